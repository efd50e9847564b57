"""The flags of every command that opens a saved run: ``--run_dir``, ``--checkpoint``,
``--trust_plugins`` and ``--allow_data_change``, defined once for each such command."""

from __future__ import annotations

from absl import flags

from acvae.core import cli, plugin_files
from acvae.data import content
from acvae.runs import run_folder


def define() -> tuple[flags.FlagHolder, ...]:
    """Defines the run flags for the calling command module (shown under its ``--help``).

    Returns:
      The holders of ``--run_dir``, ``--trust_plugins``, ``--allow_data_change`` and
      ``--checkpoint``.
    """
    module = cli.caller_module()
    return (
        cli.define_for(module, flags.DEFINE_string, "run_dir", None,
                       "A run folder written by acvae.main."),
        cli.define_for(module, flags.DEFINE_bool, *plugin_files.TRUST_FLAG),
        cli.define_for(module, flags.DEFINE_bool, *content.ALLOW_DATA_CHANGE_FLAG),
        cli.define_for(module, flags.DEFINE_enum, "checkpoint", "best",
                       list(run_folder.CHECKPOINTS),
                       "Which checkpoint: the best validation epoch or the latest."),
    )
