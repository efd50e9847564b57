"""Post-hoc figures: ``python -m acvae.visualise --run_dir=RUN [--only NAME ...]``.

Rebuilds the run's data and model from its operative config and latest checkpoint
(``acvae.runs.load_run``), then runs the selected visualisers (all by default) and writes their
figures into ``RUN/figures/``. ``--gin_param`` configures them (``visualisers.latent_grid.n=15``).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m acvae.visualise",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--run_dir", help="a run folder made by acvae.main")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="visualisers to run (default: all)")
    parser.add_argument("--gin_param", action="append", default=[],
                        help="a gin binding applied after the run's config; repeatable")
    parser.add_argument("--list", action="store_true", help="list the visualisers and exit")
    return parser.parse_args(argv)


def main(argv=None) -> list[pathlib.Path]:
    """Runs the command on ``argv`` (default: the command line) and returns what it wrote;
    user mistakes end with a one-line ``error: ...``."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import gin

    import acvae.components  # noqa: F401  (registers everything an operative config names)
    from acvae import config, registry, runs, visualise

    if args.list:
        for name in visualise.available():
            print(f"{name:<18} {registry.describe(registry.get('visualisers', name))}")
        return []
    if not args.run_dir:
        raise SystemExit("error: --run_dir is required (a folder made by python -m acvae.main)")
    unknown = [n for n in args.only or () if n not in registry.names("visualisers")]
    if unknown:
        raise SystemExit(f"error: unknown visualiser(s) {', '.join(unknown)}; "
                         f"valid names: {', '.join(visualise.available())}")
    if not pathlib.Path(args.run_dir).is_dir():
        raise SystemExit(f"error: no run folder {args.run_dir}")
    try:
        loaded = runs.load_run(args.run_dir)
        with gin.unlock_config():
            gin.parse_config(args.gin_param)
        visualisers = visualise.create(args.only)
    except config.USER_ERRORS as error:
        raise SystemExit(f"error: {config.explain(error)}") from None
    paths = visualise.train_end(visualisers, loaded)
    for path in paths:
        print(f"wrote {path}", flush=True)
    return paths


def run() -> None:
    """Console entry point (``acvae-visualise``)."""
    main()


if __name__ == "__main__":
    run()
