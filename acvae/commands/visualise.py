"""Post-hoc figures: ``python -m acvae visualise --run_dir=RUN [--only=NAME,NAME]``.

Rebuilds the run's data and model from its operative config and restores its best checkpoint
(``--checkpoint=latest`` for the latest; ``acvae.runs.experiment.load_run``), gives its sampler
its fit (``Run.fit_sampler``: restored from ``RUN/sampler``, or fitted and saved there), then
runs the selected visualisers (all by default) and writes their figures into
``RUN/figures/`` (never outside it: ``RunFolder.figure``); an empty ``--only`` is refused
before any work.
``--gin_param`` configures them (``--gin_param=visualisers.latent_grid.n=15``); ``--list``
prints the visualisers. A visualiser named in ``--only`` that draws nothing for the run (the
traversals of a 1D code, the embedding of a dataset without a categorical label) is named in a
note, and an ``--only`` of which none draws anything is an error.
"""

from __future__ import annotations

import pathlib

from absl import flags

from acvae.commands import run_flags
from acvae.core import cli
from acvae.core.errors import UserError

RUN_DIR, TRUST_PLUGINS, ALLOW_DATA_CHANGE, CHECKPOINT = run_flags.define()
GIN_PARAM = cli.define(flags.DEFINE_multi_string, "gin_param", [],
                       "A gin binding applied after the run's config; repeatable.")
LIST = cli.define(flags.DEFINE_bool, "list", False, "List what there is to choose and exit.")
ONLY = flags.DEFINE_list("only", None, "Visualisers to run, comma-separated (default: all).")
flags.register_validator("only", lambda names: names is None or bool(names) and all(names),
                         "must name at least one visualiser, comma-separated "
                         "(python -m acvae visualise --list shows them)")


def main(argv: list[str]) -> list[pathlib.Path]:
    """Runs the selected visualisers on a run; returns what they wrote."""
    if len(argv) > 1:
        raise UserError(f"unexpected arguments: {' '.join(argv[1:])}")
    import gin

    from acvae import visualise
    from acvae.core import config, registry
    from acvae.runs import experiment

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
                                  ALLOW_DATA_CHANGE.value, fit_sampler=False)
    with gin.unlock_config():
        config.parse(lambda: gin.parse_config(GIN_PARAM.value))
    with config.calls():  # an undefined macro or a missing binding: one line
        visualisers = visualise.create(ONLY.value)
    with loaded.folder.open("acvae.visualise"):
        loaded.fit_sampler()  # a learned sampler's fit is saved in RUN/sampler: the lock is held
        written = {name: visualise.train_end([visualiser], loaded) for name, visualiser in
                   _in_order(ONLY.value or visualise.available(), visualisers)}
    paths = [path for files in written.values() for path in files]
    for path in paths:
        print(f"wrote {path}", flush=True)
    idle = [name for name, files in written.items() if not files and ONLY.value]
    for name in idle if paths else ():
        print(f"note: {name} drew nothing for this run ({_what(name)})", flush=True)
    if idle and not paths:
        raise UserError(f"nothing was drawn: {'; '.join(f'{n} ({_what(n)})' for n in idle)}")
    return paths


def _in_order(names, visualisers) -> list:
    """``(name, visualiser)`` pairs in the order visualisers run (``base.in_order``)."""
    from acvae.visualise import base

    by_id = {id(visualiser): name for name, visualiser in zip(names, visualisers)}
    return [(by_id[id(visualiser)], visualiser) for visualiser in base.in_order(visualisers)]


def _what(name: str) -> str:
    """What visualiser ``name`` draws, and so when it has nothing to draw (its docstring)."""
    from acvae.core import registry

    return registry.describe(registry.get("visualisers", name)).rstrip(".")


if __name__ == "__main__":
    cli.run(main)
