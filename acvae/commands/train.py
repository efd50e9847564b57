"""Entry point: ``python -m acvae.main --gin_file=configs/latent1d.gin [--gin_param=...]``.

Parses flags, loads gin files and bindings, finalizes the config and calls ``train``; no
training logic lives here. ``--list`` prints every registered component.
``--plugin=path/to/file.py`` (repeatable) imports a plugin file first; training records it in
``RUN/plugins.txt`` so that tools working on the run load it again. ``--allow_config_change``
resumes a run whose optimizer or dataset changed (``acvae.training.resume``). A folder that is not a
run and holds anything acvae did not make is refused unless ``--overwrite``
(``RunFolder.refuse_foreign``).
"""

from __future__ import annotations

import pathlib

from absl import flags

from acvae.core import cli, outputs
from acvae.core.errors import UserError

GIN_FILE = flags.DEFINE_multi_string("gin_file", [], "Gin config file(s), applied in order.")
GIN_PARAM = cli.define(flags.DEFINE_multi_string, "gin_param", [],
                       "Gin bindings, e.g. LATENT_DIM=2; applied last.")
RUN_DIR = cli.define(flags.DEFINE_string, "run_dir", None,
                     "Run folder (default: runs/<name of the last gin file>).")
PLUGIN = flags.DEFINE_multi_string("plugin", [], "A plugin .py file to import first; repeatable.")
LIST = cli.define(flags.DEFINE_bool, "list", False, "Print every registered component and exit.")
ALLOW_CONFIG_CHANGE = flags.DEFINE_bool(
    "allow_config_change", False,
    "Resume a run although its optimizer or dataset changed (weights kept; a changed optimizer "
    "starts with a fresh state). Image shape, channels and latent size can never change.")
OVERWRITE = cli.define(flags.DEFINE_bool, *outputs.OVERWRITE_FLAG)


def default_run_dir(gin_files: list[str]) -> pathlib.Path:
    """``runs/<stem of the last gin file>``, or ``runs/default`` without one."""
    return pathlib.Path("runs") / (pathlib.Path(gin_files[-1]).stem if gin_files else "default")


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise UserError(f"unexpected arguments: {' '.join(argv[1:])}")
    from acvae.core import config, plugin_files, registry
    from acvae.runs import run_folder
    from acvae.training import loop

    plugin_files.load(PLUGIN.value)
    if LIST.value:
        print(registry.listing())
        return
    if not GIN_FILE.value:
        raise UserError("give at least one --gin_file, e.g. --gin_file=configs/demo.gin")
    run_dir = pathlib.Path(RUN_DIR.value) if RUN_DIR.value else default_run_dir(GIN_FILE.value)
    run_folder.RunFolder(run_dir).refuse_foreign(OVERWRITE.value)
    config.load(GIN_FILE.value, GIN_PARAM.value)
    with config.calls():  # gin's call-time config mistakes become one line
        loop.train(run_dir, allow_config_change=ALLOW_CONFIG_CHANGE.value)


if __name__ == "__main__":
    cli.run(main)
