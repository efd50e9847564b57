"""Honest numbers for a trained VAE: ``python -m acvae evaluate --run_dir=RUN [--k 1000]``.

Loads the run's best checkpoint (``--checkpoint=latest`` for the latest; see
``acvae.runs.experiment.load_run``) and measures it with ``acvae.analysis.evaluation``
(whose docstring names every key): the ELBO and its parts, the importance-weighted bound,
KL per dimension, MSE, probes of every categorical label, memorisation and the quality of
the samples of every sampler of the run, side by side: the prior, the run's own sampler and
those ``evaluate.compare_samplers`` names (``--gin_param``; none by default: a learned
sampler's fit takes minutes), beside held-out reconstructions and held-out real images;
``--sample_quality=fast`` leaves out the CNN two-sample test (most of the time), ``off`` all
of it. Writes ``RUN/metrics.json``, prints the tables, writes the scalars to TensorBoard
(``RUN/logs/evaluation``, step = epoch), the validation embedding for TensorBoard's projector
(``acvae.visualise.projector``) and re-renders ``RUN/figures/index.html`` when it exists.

The run's sampler gets its fit once the folder is open (``experiment.Run.fit_sampler``): a
learned one is restored from ``RUN/sampler`` when it was fitted to these weights, and
otherwise fitted and saved there; ``--refit_sampler`` fits it afresh and saves it.
"""

from __future__ import annotations

import pathlib
import time

import gin
from absl import flags

from acvae.analysis import evaluation
from acvae.commands import run_flags
from acvae.core import cli, config
from acvae.core.errors import UserError
from acvae.runs import experiment
from acvae.visualise import projector

RUN_DIR, TRUST_PLUGINS, ALLOW_DATA_CHANGE, CHECKPOINT = run_flags.define()
SEED = cli.define(flags.DEFINE_integer, "seed", 0, "Sampling seed; the same seed gives the "
                  "same numbers.", lower_bound=0)
K = flags.DEFINE_integer("k", 1000, "Importance samples per validation image for IWAE.")
SAMPLES = flags.DEFINE_integer("samples", 100, "Samples of each sampler for the sample metrics.")
ELBO_SAMPLES = flags.DEFINE_integer("elbo_samples", 10,
                                    "Posterior samples per image averaged in the ELBO.")
SAMPLE_QUALITY = cli.define(flags.DEFINE_enum, "sample_quality", "full",
                            list(evaluation.QUALITY_MODES),
                            "Sample metrics of every sampler: all of them (the CNN two-sample "
                            f"test from {evaluation.MIN_CNN_IMAGES} images per set), all but "
                            "the CNN two-sample test (fast), or none.")
REFIT_SAMPLER = cli.define(flags.DEFINE_bool, "refit_sampler", False,
                           "Fit the run's learned sampler afresh and save it in RUN/sampler, "
                           "even when it holds a fit of these weights.")
GIN_PARAM = cli.define(flags.DEFINE_multi_string, "gin_param", [],
                       "A gin binding applied after the run's config, e.g. "
                       "'evaluate.compare_samplers = [@samplers.latent_diffusion()]'; "
                       "repeatable.")


def write(run: experiment.Run, result: dict) -> list[pathlib.Path]:
    """Writes metrics.json, the TensorBoard scalars, the projector's embedding and (if
    present) a new index.html."""
    written = [run.folder.write_metrics(result)]
    board = run.folder.tensorboard(("evaluation",))
    board.scalars("evaluation", evaluation.scalars(result), int(run.epoch))
    board.close()
    written.append(projector.write(run)[0])
    from acvae import visualise

    (page,) = visualise.create(["index_html"])
    if run.folder.figure(page.filename).exists():
        written += page.on_train_end(run)
    return written


def main(argv: list[str]) -> dict:
    """Loads, evaluates, writes and prints; returns the result."""
    if len(argv) > 1:
        raise UserError(f"unexpected arguments: {' '.join(argv[1:])}")
    if not RUN_DIR.value:
        raise UserError("--run_dir is required (a folder made by python -m acvae.main)")
    evaluation.check_settings(K.value, SAMPLES.value, ELBO_SAMPLES.value)
    loaded = experiment.load_run(RUN_DIR.value, CHECKPOINT.value, TRUST_PLUGINS.value,
                                  ALLOW_DATA_CHANGE.value, fit_sampler=False)
    with gin.unlock_config():
        config.parse(lambda: gin.parse_config(GIN_PARAM.value))
    with loaded.folder.open("acvae.commands.evaluate"):
        started = time.perf_counter()
        loaded.fit_sampler(refit=REFIT_SAMPLER.value)  # saved in RUN/sampler: the lock is held
        with config.calls():  # a compared sampler's mistakes: one line
            result = evaluation.evaluate(loaded, k=K.value, n_samples=SAMPLES.value,
                                         elbo_samples=ELBO_SAMPLES.value, seed=SEED.value,
                                         quality=SAMPLE_QUALITY.value)
        paths = write(loaded, result)
    print(evaluation.format_table(result))
    print(f"evaluated epoch {loaded.epoch} ({CHECKPOINT.value} checkpoint) in "
          f"{time.perf_counter() - started:.0f}s; wrote " + ", ".join(str(p) for p in paths),
          flush=True)
    return result


if __name__ == "__main__":
    cli.run(main)
