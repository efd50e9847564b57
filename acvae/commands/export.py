"""A trained model as a SavedModel: ``python -m acvae export --run_dir=RUN --out=DIR``.

The export needs plain TensorFlow only (no acvae, no gin, no Keras code)::

    import tensorflow as tf
    model = tf.saved_model.load("DIR")
    images = model.decode(tf.random.normal([8, int(model.latent_dim)]))["images"]

Its functions (``encode``, ``decode``, ``sample``, ``prior_sample``, and for a conditional
model ``encode_conditioned`` and ``decode_conditioned``), ``signature.json``, ``README.txt``
and manifest are those of ``acvae.analysis.saved_model``, which writes it. The run's best
checkpoint is exported (``--checkpoint=latest`` for the latest); ``sample(n)`` draws from the
run's sampler (the config's ``experiment.sampler``), a learned one restored from
``RUN/sampler`` or, when that holds no fit of these weights, fitted in memory: the export
never writes the run.

An existing ``DIR`` is refused before any work, an earlier export included, unless
``--overwrite`` (``acvae.core.outputs``); replacing one keeps every file the user added to it or
changed (a changed one beside the new file, as ``<name>.kept``) and says so in one line.
"""

from __future__ import annotations

import pathlib

from absl import flags

from acvae.analysis import saved_model
from acvae.commands import run_flags
from acvae.core import cli, outputs
from acvae.core.errors import UserError

RUN_DIR, TRUST_PLUGINS, ALLOW_DATA_CHANGE, CHECKPOINT = run_flags.define()
OUT = cli.define(flags.DEFINE_string, "out", None, "The export folder (a SavedModel).")
OVERWRITE = cli.define(flags.DEFINE_bool, *outputs.OVERWRITE_FLAG)


def main(argv: list[str]) -> pathlib.Path:
    """Exports the run's model and returns the export folder."""
    if len(argv) > 1:
        raise UserError(f"unexpected arguments: {' '.join(argv[1:])}")
    if not RUN_DIR.value or not OUT.value:
        raise UserError("--run_dir and --out are required, e.g. python -m acvae export "
                        "--run_dir=runs/demo --out=exports/demo")
    out, run = pathlib.Path(OUT.value).resolve(), pathlib.Path(RUN_DIR.value).resolve()
    if run in (out, *out.parents) or out in (*run.parents, *pathlib.Path.cwd().parents,
                                             pathlib.Path.cwd()):  # even with --overwrite
        raise UserError(f"--out {OUT.value} is the run folder {RUN_DIR.value}, inside it or "
                        "around it, or holds the current folder, and an export replaces its "
                        "--out: choose a new folder outside the run")
    saved_model.check_out(OUT.value, OVERWRITE.value)
    from acvae.runs import experiment

    loaded = experiment.load_run(RUN_DIR.value, CHECKPOINT.value, TRUST_PLUGINS.value,
                                  ALLOW_DATA_CHANGE.value)
    path, kept = saved_model.export(loaded.model, OUT.value, RUN_DIR.value, OVERWRITE.value)
    print(f"wrote {path} (load it with tf.saved_model.load; see "
          f"{path / saved_model.README_FILE})", flush=True)
    if kept:
        print(f"note: kept what you had added to the earlier {path}: {', '.join(kept)}",
              flush=True)
    return path


if __name__ == "__main__":
    cli.run(main)
