"""Training throughput: acvae's loop against a plain Keras ``model.fit``, same model and loss.

Prints training images/s for the latent1d model (64x64x4, batch 16, conv encoder/decoder,
standard normal prior, Bernoulli likelihood) on synthetic villagers, for:
  * ``keras fit``: a ``keras.Model`` with a custom ``train_step`` on the same loss, compiled
    with Keras defaults and fed by the same cached pipeline (the plain implementation);
  * acvae's ``tf.function`` loop with and without XLA, one or several steps per call;
and the cost of a whole user epoch (training + validation + the training-movie frame)
against bare training.

    python benchmarks/throughput.py [--epochs 4] [--repeats 3] [--n 400] [--image 64] [--batch 16]
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

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from acvae import experiment  # noqa: E402
from acvae.data import synthetic  # noqa: E402
from acvae.data.pipeline import input_pipeline  # noqa: E402
from acvae.models import build_vae  # noqa: E402
from acvae.steps import Steps  # noqa: E402
from acvae.visualise.training_movie import TrainingMovie  # noqa: E402


class PlainVAE(keras.Model):
    """The plain implementation: Keras ``fit`` drives a custom ``train_step`` on the same loss."""

    def __init__(self, vae, **kwargs):
        super().__init__(**kwargs)
        self.vae = vae

    def train_step(self, images):
        with tf.GradientTape() as tape:
            terms = self.vae.loss_terms(images, training=True)
            loss = tf.reduce_mean(terms["reconstruction"] + terms["kl"])
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


def _model(data):
    keras.utils.set_random_seed(0)
    return build_vae(image_shape=data.image_shape, n_channels=data.n_channels, latent_dim=1)


def keras_fit(data, epochs: int) -> tuple[float, str]:
    """Images/s of plain ``model.fit`` (first epoch, with tracing, not counted)."""
    model = PlainVAE(_model(data))
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    timer = _EpochTimer()
    model.fit(data.train.map(lambda b: b["image"]), epochs=epochs + 1, verbose=0, callbacks=[timer])
    return data.n_train * epochs / sum(timer.times[1:]), f"jit_compile={model.jit_compile}"


def acvae_loop(data, epochs: int, jit_compile: bool, steps_per_call: int) -> tuple[float, float]:
    """Images/s of acvae's loop, and the seconds of one bare training epoch."""
    model = _model(data)
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build(model.trainable_variables)
    steps = Steps(model, optimizer, jit_compile)
    steps_per_epoch = math.ceil(data.n_train / data.batch_size)
    beta = tf.constant(1.0)
    times = []
    for _ in range(epochs + 1):
        start = time.perf_counter()
        iterator = iter(steps.distribute(data.train))
        for done in range(0, steps_per_epoch, steps_per_call):
            n = tf.constant(min(steps_per_call, steps_per_epoch - done))
            totals = steps.train_steps(iterator, n, beta)
        float(totals["loss"])
        times.append(time.perf_counter() - start)
    seconds = sum(times[1:]) / epochs
    return data.n_train / seconds, seconds, (model, steps)


def epoch_overhead(data, model_and_steps, train_seconds: float) -> dict[str, float]:
    """Seconds of the validation pass and of one training-movie frame."""
    model, steps = model_and_steps
    validation_data, beta = steps.distribute(data.validation), tf.constant(1.0)
    float(steps.evaluate(validation_data, beta)["loss"])  # trace
    start = time.perf_counter()
    float(steps.evaluate(validation_data, beta)["loss"])
    validation = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        run = experiment.Run(run_dir=pathlib.Path(tmp), model=model, data=data, history=[],
                             epoch=0)
        movie = TrainingMovie()
        movie.on_epoch_end(run, 1)
        start = time.perf_counter()
        movie.on_epoch_end(run, 2)
        frame = time.perf_counter() - start
    return {"train": train_seconds, "validation": validation, "movie frame": frame}


VARIANTS = ((False, 1), (False, 8), (True, 1), (True, 8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4, help="timed epochs (after a warm-up)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="interleaved repetitions; medians are reported")
    parser.add_argument("--n", type=int, default=400, help="synthetic villagers")
    parser.add_argument("--image", type=int, default=64, help="image height and width")
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()
    files = [str(synthetic.cached_tfrecord(n=args.n))]
    data = input_pipeline(files, image_shape=(args.image, args.image), n_channels=4,
                          batch_size=args.batch)
    print(f"{data.n_train} training images {args.image}x{args.image}x4, batch {args.batch}, "
          f"{os.cpu_count()} CPU cores, TensorFlow {tf.__version__}, Keras {keras.__version__}; "
          f"median (min-max) of {args.repeats} interleaved repeats")
    rates = {"fit": []} | {variant: [] for variant in VARIANTS}
    how, best = "", None
    for _ in range(args.repeats):  # interleaved, so background load hits every variant alike
        plain, how = keras_fit(data, args.epochs)
        rates["fit"].append(plain)
        for jit, per_call in VARIANTS:
            rate, seconds, parts = acvae_loop(data, args.epochs, jit, per_call)
            rates[(jit, per_call)].append(rate)
            if best is None or rate > best[0]:
                best = (rate, seconds, parts, f"acvae loop (jit={jit}, steps/call={per_call})")
    plain = statistics.median(rates["fit"])
    for key, values in rates.items():
        label = (f"keras model.fit ({how})" if key == "fit"
                 else f"acvae loop (jit={key[0]}, steps/call={key[1]})")
        median = statistics.median(values)
        print(f"{label:<40} {median:7.1f} images/s ({min(values):.0f}-{max(values):.0f})"
              f"   {median / plain:.2f}x")
    parts = epoch_overhead(data, best[2], best[1])
    extra = (parts["validation"] + parts["movie frame"]) / parts["train"]
    print(f"user epoch with {best[3]}: train {parts['train']:.2f}s, validation "
          f"{parts['validation']:.2f}s, movie frame {parts['movie frame'] * 1000:.0f} ms "
          f"-> +{100 * extra:.1f}% over bare training")


if __name__ == "__main__":
    main()
