"""acvae: a gin-configurable framework for training VAEs on Animal Crossing villagers.

Data flows one way (``ARCHITECTURE.md`` has the picture): images and a label table (or
synthetic villagers) -> TFRecord with its schema (``acvae.prepare``) -> ``tf.data`` pipeline
(``acvae.data``) -> VAE (``acvae.models``) -> its objective (``acvae.models.densities``) -> training loop
(``acvae.training.loop``, ``acvae.training.steps``) -> run folder (``acvae.runs.run_folder``) -> figures
(``acvae.visualise``) and metrics (``acvae.analysis.evaluation``).

Importing the package does nothing, except when the process is an acvae command
(``python -m acvae[.module]`` or a console script): then a Ctrl-C while the command's modules
and TensorFlow load is one line and exit 130 (``acvae.core.cli.interrupt_at_start``), as it is later.
"""

import os as _os
import re as _re
import sys as _sys

__version__ = "0.1.0"


def _started_as_command() -> bool:
    """Whether this process is ``python -m acvae[.module]`` or a console script (``acvae``,
    ``acvae-train``, ...)."""
    if _re.fullmatch(r"acvae(-[\w-]+)?", _os.path.basename(_sys.argv[0] if _sys.argv else "")):
        return True
    arguments = getattr(_sys, "orig_argv", [])[1:]
    for i, argument in enumerate(arguments):
        if argument.startswith("-m"):
            module = argument[2:] or (arguments[i + 1] if i + 1 < len(arguments) else "")
            return module == "acvae" or module.startswith("acvae.")
        if not argument.startswith("-"):
            return False  # a script
    return False


if _started_as_command():
    from acvae.core import cli as _cli

    _cli.interrupt_at_start()
