"""Throughput: a user's acvae epoch against the reference's model in a plain Keras ``fit``.

On the same synthetic villagers (64x64x4, batch 16, latent 1, the reference's knobs), prints
seconds per epoch and the speed-up over the reference for:

  * ``reference model.fit``: the reference's model (``configs/reference.gin``: its decoder,
    loss and sampling) in ``keras.Model.fit`` with a custom ``train_step``: training only, no
    validation, nothing drawn (what the reference's ``run.py`` does per epoch, minus its
    figures);
  * ``acvae step``: ``configs/latent1d.gin``'s model trained by acvae's compiled steps alone;
  * ``acvae user epoch``: ``python -m acvae.main --gin_file=configs/latent1d.gin`` as a user runs
    it (training, validation every epoch, the training-movie frame every epoch, checkpoint),
    from ``history.csv``, with its parts (train, validation, figures);

each in float32, in ``mixed_bfloat16`` when the CPU has bfloat16 units (``auto`` keeps float32
on CPUs: ``acvae.training.precision``) and in ``train.precision='auto'`` when that picks another policy.
Every number is the median of the timed epochs (the first, with tracing, is not counted) over
interleaved repeats, so background load hits every variant alike. The CPU's name and its
relevant flags are printed first.

    python benchmarks/throughput.py [--epochs 4] [--repeats 3] [--n 400]
"""

from __future__ import annotations

import argparse
import math
import os
import pathlib
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import gin  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from acvae.core import config
from acvae.runs import experiment
from acvae.runs.run_folder import RunFolder  # noqa: E402
from acvae.training import precision
from acvae.training.loop import train  # noqa: E402
from acvae.training.steps import Steps  # noqa: E402
from acvae.visualise.training_movie import TrainingMovie  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parent.parent
FLAGS_SHOWN = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


class PlainVAE(keras.Model):
    """The reference's loop: Keras ``fit`` drives a custom ``train_step`` on the model's loss."""

    def __init__(self, vae, **kwargs):
        super().__init__(**kwargs)
        self.vae = vae

    def train_step(self, images):
        with tf.GradientTape() as tape:
            terms = self.vae.loss_terms(images, training=True)
            loss = tf.reduce_mean(self.vae.objective(terms, 1.0))
        variables = self.vae.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return {"loss": loss}


class _EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._start)


def _configure(config_file: str, args, policy: str) -> None:
    gin.clear_config(clear_constants=True)
    config.load([str(REPO / config_file)], [
        "experiment.dataset = @datasets.synthetic()", f"datasets.synthetic.n = {args.n}",
        "LATENT_DIM = 1", "BATCH_SIZE = 16", "EPOCH_STEP = 1", f"N_EPOCHS = {args.epochs + 1}",
        f"train.precision = '{policy}'"], finalize=False)


def reference_fit(args, policy: str) -> list[float]:
    """Seconds of each timed epoch of the reference's model in ``model.fit``."""
    _configure("configs/reference.gin", args, policy)
    keras.mixed_precision.set_global_policy(policy)
    try:
        keras.utils.set_random_seed(0)
        data, model = experiment.build()
        plain = PlainVAE(model)
        plain.compile(optimizer=keras.optimizers.Adam(1e-3))
        timer = _EpochTimer()
        plain.fit(data.train.map(lambda batch: batch["image"]), epochs=args.epochs + 1,
                  verbose=0, callbacks=[timer])
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return timer.times[1:]


def acvae_step(args, policy: str) -> list[float]:
    """Seconds of each timed epoch of latent1d's model trained by acvae's steps alone."""
    _configure("configs/latent1d.gin", args, policy)
    keras.mixed_precision.set_global_policy(policy)
    try:
        keras.utils.set_random_seed(0)
        data, model = experiment.build()
        optimizer = keras.optimizers.Adam(1e-3)
        optimizer.build(model.trainable_variables)
        steps = Steps(model, optimizer, jit_compile=False)
        steps_per_epoch, beta = math.ceil(data.n_train / data.batch_size), tf.constant(1.0)
        times = []
        for _ in range(args.epochs + 1):
            start = time.perf_counter()
            iterator = iter(steps.distribute(data.train))
            for done in range(0, steps_per_epoch, 8):
                totals = steps.train_steps(iterator, tf.constant(min(8, steps_per_epoch - done)),
                                           beta)
            float(totals["loss"])
            times.append(time.perf_counter() - start)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return times[1:]


def user_epoch(args, policy: str) -> dict[str, list[float]]:
    """``history.csv``'s timed epochs of a real latent1d training: seconds and their parts."""
    _configure("configs/latent1d.gin", args, policy)
    gin.bind_parameter("train.visualisers", [TrainingMovie()])  # the one drawn every epoch
    with tempfile.TemporaryDirectory() as tmp:
        train(pathlib.Path(tmp) / "run")
        rows = RunFolder(pathlib.Path(tmp) / "run").read_history()[1:]
    return {key: [row[key] for row in rows]
            for key in ("seconds", "train_seconds", "validation_seconds", "figure_seconds")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4, help="timed epochs (after a warm-up)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repetitions")
    parser.add_argument("--n", type=int, default=400, help="synthetic villagers")
    args = parser.parse_args()
    name, flags = precision.cpu()
    auto, why = precision.resolve("auto")
    shown = " ".join(flag for flag in FLAGS_SHOWN if flag in flags) or "none of " + ", ".join(
        FLAGS_SHOWN)
    print(f"CPU: {name}; {os.cpu_count()} cores; flags: {shown}\n"
          f"TensorFlow {tf.__version__}, Keras {keras.__version__}; precision 'auto' = {auto} "
          f"({why})\n{args.n} synthetic villagers 64x64x4, batch 16, latent 1; median of "
          f"{args.epochs} timed epochs x {args.repeats} interleaved repeats", flush=True)
    policies = ["float32"]
    if flags.intersection(precision.BF16_FLAGS):
        policies.append("mixed_bfloat16")
    if auto not in policies:
        policies.append(auto)
    variants = [(what, policy) for policy in policies
                for what in ("reference model.fit", "acvae step", "acvae user epoch")]
    seconds = {variant: [] for variant in variants}
    parts = {policy: {} for policy in policies}
    for _ in range(args.repeats):
        for what, policy in variants:
            if what == "reference model.fit":
                seconds[(what, policy)] += reference_fit(args, policy)
            elif what == "acvae step":
                seconds[(what, policy)] += acvae_step(args, policy)
            else:
                timed = user_epoch(args, policy)
                seconds[(what, policy)] += timed["seconds"]
                for key, values in timed.items():
                    parts[policy].setdefault(key, []).extend(values)
    reference = statistics.median(seconds[("reference model.fit", "float32")])
    print("\n| run | precision | s/epoch | speed vs reference fit (float32) |\n"
          "| --- | --- | ---: | ---: |")
    for (what, policy), values in seconds.items():
        median = statistics.median(values)
        print(f"| {what} | {policy} | {median:.2f} ({min(values):.2f}-{max(values):.2f}) | "
              f"{reference / median:.2f}x |")
    for policy, columns in parts.items():
        median = {key: statistics.median(values) for key, values in columns.items()}
        share = (median["validation_seconds"] + median["figure_seconds"]) / median["seconds"]
        print(f"\nuser epoch ({policy}): train {median['train_seconds']:.2f}s, validation "
              f"{median['validation_seconds']:.2f}s, figures {median['figure_seconds']:.2f}s "
              f"of {median['seconds']:.2f}s: validation + figures {100 * share:.0f}%")


if __name__ == "__main__":
    main()
