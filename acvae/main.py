"""Entry point: ``python -m acvae.main --gin_file=configs/latent1d.gin [--gin_param=...]``.

Parses flags, loads gin files and bindings, finalizes the config and calls ``train``; no
training logic lives here. ``--list`` prints every registered component.
``--plugin=path/to/file.py`` (repeatable) imports a plugin file first; it is recorded in
``RUN/plugins.txt`` so that tools working on the run load it again.
"""

from __future__ import annotations

import pathlib
import sys

from absl import app, flags, logging

FLAGS = flags.FLAGS
flags.DEFINE_multi_string("gin_file", [], "Gin config file(s), applied in order.")
flags.DEFINE_multi_string("gin_param", [], "Gin bindings, e.g. LATENT_DIM=2; applied last.")
flags.DEFINE_string("run_dir", None, "Run folder (default: runs/<name of the last gin file>).")
flags.DEFINE_multi_string("plugin", [], "A plugin .py file to import first; repeatable.")
flags.DEFINE_bool("list", False, "Print every registered component and exit.")
flags.DEFINE_bool("traceback", False, "Show the full traceback of an error.")


def default_run_dir(gin_files: list[str]) -> pathlib.Path:
    """``runs/<stem of the last gin file>``, or ``runs/default`` without one."""
    return pathlib.Path("runs") / (pathlib.Path(gin_files[-1]).stem if gin_files else "default")


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    if not FLAGS["verbosity"].present:
        logging.set_verbosity(logging.WARNING)  # TensorFlow logs an INFO line per checkpoint
    from acvae import components, config, faults, plugins, registry, train  # noqa: F401

    run_dir = pathlib.Path(FLAGS.run_dir) if FLAGS.run_dir else default_run_dir(FLAGS.gin_file)
    try:
        plugins.load(FLAGS.plugin)
        if FLAGS.list:
            print(registry.listing())
            return
        if not FLAGS.gin_file:
            raise app.UsageError("give at least one --gin_file, e.g. --gin_file=configs/demo.gin")
        config.load(FLAGS.gin_file, FLAGS.gin_param)
        plugins.record(run_dir)
        train.train(run_dir)
    except (*config.USER_ERRORS, faults.TrainingError) as error:
        if FLAGS.traceback:
            raise
        sys.exit(f"error: {config.explain(error)}")
    except KeyboardInterrupt:
        sys.exit(f"interrupted; run the same command again to resume from {run_dir}")


def run() -> None:
    """Console-script entry point (``acvae-train``)."""
    app.run(main)


if __name__ == "__main__":
    run()
