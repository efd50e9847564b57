"""Post-hoc figures: ``python -m acvae.visualise --run_dir=RUN [--only=NAME,NAME]``.

Rebuilds the run's data and model from its operative config and restores its best checkpoint
(``--checkpoint=latest`` for the latest; ``acvae.experiment.load_run``), then runs the
selected visualisers (all by default) and writes their figures into ``RUN/figures/`` (never
outside it: ``RunFolder.figure``); an empty ``--only`` is refused before any work.
``--gin_param`` configures them (``--gin_param=visualisers.latent_grid.n=15``); ``--list``
prints the visualisers.
"""

from __future__ import annotations

import pathlib

from absl import flags

from acvae import cli, plugins, run_folder
from acvae.data import content
from acvae.errors import UserError

RUN_DIR = cli.define(flags.DEFINE_string, "run_dir", None, "A run folder written by acvae.main.")
TRUST_PLUGINS = cli.define(flags.DEFINE_bool, *plugins.TRUST_FLAG)
ALLOW_DATA_CHANGE = cli.define(flags.DEFINE_bool, *content.ALLOW_DATA_CHANGE_FLAG)
CHECKPOINT = cli.define(flags.DEFINE_enum, "checkpoint", "best",
                        list(run_folder.CHECKPOINTS),
                        "Which checkpoint: the best validation epoch or the latest.")
GIN_PARAM = cli.define(flags.DEFINE_multi_string, "gin_param", [],
                       "A gin binding applied after the run's config; repeatable.")
LIST = cli.define(flags.DEFINE_bool, "list", False, "List what there is to choose and exit.")
ONLY = flags.DEFINE_list("only", None, "Visualisers to run, comma-separated (default: all).")
flags.register_validator("only", lambda names: names is None or bool(names) and all(names),
                         "must name at least one visualiser, comma-separated "
                         "(python -m acvae.visualise --list shows them)")


def main(argv: list[str]) -> list[pathlib.Path]:
    """Runs the selected visualisers on a run; returns what they wrote."""
    if len(argv) > 1:
        raise UserError(f"unexpected arguments: {' '.join(argv[1:])}")
    import gin

    from acvae import components, config, experiment, registry, visualise  # noqa: F401

    if LIST.value:
        for name in visualise.available():
            print(f"{name:<18} {registry.describe(registry.get('visualisers', name))}")
        return []
    if not RUN_DIR.value:
        raise UserError("--run_dir is required (a folder made by python -m acvae.main)")
    unknown = [n for n in ONLY.value or () if n not in registry.names("visualisers")]
    if unknown:
        raise UserError(f"unknown visualiser(s) {', '.join(unknown)}; "
                        f"valid names: {', '.join(visualise.available())}")
    loaded = experiment.load_run(RUN_DIR.value, CHECKPOINT.value, TRUST_PLUGINS.value,
                                  ALLOW_DATA_CHANGE.value)
    with gin.unlock_config():
        config.parse(lambda: gin.parse_config(GIN_PARAM.value))
    with config.calls():  # an undefined macro or a missing binding: one line
        visualisers = visualise.create(ONLY.value)
    with loaded.folder.open("acvae.visualise"):
        paths = visualise.train_end(visualisers, loaded)
    for path in paths:
        print(f"wrote {path}", flush=True)
    return paths


def run() -> None:
    """Console entry point (``acvae-visualise``)."""
    cli.run(main)


if __name__ == "__main__":
    run()
