"""The training loop: the configurable root that turns a gin config into a finished run.

``train`` builds data and model (``acvae.runs.experiment``), restores the latest checkpoint of
the run folder if there is one, and runs epochs of a ``tf.function`` train step (XLA-compiled
when ``jit_compile``; several steps per call) followed by a validation pass. After every epoch
it appends a row to ``history.csv``, writes TensorBoard scalars and saves a checkpoint; every
``epoch_step`` epochs it writes image summaries and calls the visualisers' ``on_epoch_end``;
at the end, their ``on_train_end``. Running the same command again resumes where it stopped.

The objective is the negative ELBO per image in nats (Kingma & Welling 2014, Eq. 3) with a
weight ``beta`` on the KL term (Higgins et al. 2017) that warms up linearly over
``kl_warmup_epochs`` (Bowman et al. 2016): loss = reconstruction + beta * KL.
"""

from __future__ import annotations

import math
import pathlib
import time

import gin
import keras
import numpy as np
import tensorflow as tf

from acvae import losses, runs, summaries, visualise


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


def _format_seconds(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


class _Steps:
    """The compiled train and evaluation functions of one model and optimizer."""

    def __init__(self, model, optimizer, jit_compile: bool):
        self.model = model
        self.optimizer = optimizer
        self._train_step = tf.function(self._train_step_eager, jit_compile=jit_compile)
        self._eval_step = tf.function(self._eval_step_eager, jit_compile=jit_compile)

    def _train_step_eager(self, batch, beta):
        """One gradient step on a batch of images [B, H, W, C] and labels; returns
        [sum rec, sum kl, B]."""
        with tf.GradientTape() as tape:
            terms = self.model.loss_terms(batch["image"], training=True, labels=_ids(batch))
            loss = tf.reduce_mean(terms["reconstruction"] + beta * terms["kl"])
        variables = self.model.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return _sums(terms)

    def _eval_step_eager(self, batch):
        return _sums(self.model.loss_terms(batch["image"], training=False, labels=_ids(batch)))

    @tf.function
    def train_steps(self, iterator, n_steps, beta):
        """Runs ``n_steps`` train steps on batches from ``iterator`` in one call."""
        totals = tf.zeros([3])
        for _ in tf.range(n_steps):
            totals += self._train_step(_numeric(next(iterator)), beta)
        return totals

    @tf.function
    def evaluate(self, dataset):
        """[sum rec, sum kl, count] over a whole (batched) dataset, without updates."""
        totals = tf.zeros([3])
        for batch in dataset:
            totals += self._eval_step(_numeric(batch))
        return totals


def _numeric(batch: dict) -> dict:
    """The batch without its string labels (XLA takes numbers only): image and label ids."""
    return {key: value for key, value in batch.items() if value.dtype != tf.string}


def _ids(batch: dict) -> dict:
    """Label ids [B] by label name ("species", ...), for models that condition on labels."""
    return {key[: -len("_id")]: value for key, value in batch.items() if key.endswith("_id")}


def _sums(terms) -> tf.Tensor:
    reconstruction = tf.cast(terms["reconstruction"], tf.float32)
    kl = tf.cast(terms["kl"], tf.float32)
    count = tf.cast(tf.shape(reconstruction)[0], tf.float32)
    return tf.stack([tf.reduce_sum(reconstruction), tf.reduce_sum(kl), count])


def _metrics(totals, beta: float) -> dict[str, float]:
    """Per-image means in nats from ``[sum rec, sum kl, count]``."""
    reconstruction, kl, count = (float(x) for x in np.asarray(totals))
    reconstruction, kl = reconstruction / count, kl / count
    return {
        "loss": reconstruction + beta * kl,
        "elbo": -(reconstruction + kl),
        "reconstruction": reconstruction,
        "kl": kl,
    }


def _restore(state, manager, run_dir: pathlib.Path) -> int:
    """Restores the latest checkpoint into ``state``; returns the restored epoch (0 if none)."""
    if manager.latest_checkpoint is None:
        return 0
    try:
        state.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    except (AssertionError, ValueError, tf.errors.OpError) as error:
        raise ValueError(
            f"the checkpoint in {run_dir} does not fit this model ({str(error).splitlines()[0]}); "
            "use another --run_dir or the config that made it"
        ) from None
    return int(state.epoch.numpy())


@gin.configurable(module="acvae", denylist=["run_dir"])
def train(
    run_dir: str | pathlib.Path,
    n_epochs: int = 1,
    epoch_step: int = 1,
    optimizer=None,
    beta: float = 1.0,
    kl_warmup_epochs: int = 0,
    seed: int = 0,
    jit_compile: bool | None = None,
    steps_per_call: int = 8,
    visualisers=(),
    summary_images: int = 8,
    checkpoints_to_keep: int = 3,
) -> runs.Run:
    """Trains (or resumes training of) the configured VAE into ``run_dir``.

    Args:
      run_dir: the run folder; created if needed, resumed if it holds a checkpoint.
      n_epochs: total epochs; a finished run trains further when this grows.
      epoch_step: interval in epochs for image summaries and visualisers' ``on_epoch_end``.
      optimizer: a Keras optimizer (``@optimizers.adam()``); Adam(1e-3) when None.
      beta: final weight of the KL term.
      kl_warmup_epochs: epochs of linear warm-up of beta from 0 (0: constant beta).
      seed: seeds weights, shuffling and sampling; the same seed gives the same losses on CPU.
      jit_compile: XLA-compile the train and evaluation steps; None: only when a GPU is
        present (XLA's convolutions are slower than oneDNN's on CPU, as Keras also decides).
      steps_per_call: train steps run by one ``tf.function`` call.
      visualisers: objects with ``on_epoch_end(run, epoch)`` and ``on_train_end(run)``.
      summary_images: validation images whose reconstructions go to TensorBoard.
      checkpoints_to_keep: how many epoch checkpoints to keep.

    Returns:
      The finished ``Run``.
    """
    if n_epochs < 1 or epoch_step < 1 or steps_per_call < 1:
        raise ValueError("n_epochs, epoch_step and steps_per_call must be at least 1")
    run_dir = pathlib.Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(seed)
    data, model = runs.experiment()
    optimizer = optimizer if optimizer is not None else keras.optimizers.Adam(1e-3)
    optimizer.build(model.trainable_variables)

    state = runs.checkpoint(model, optimizer)
    manager = tf.train.CheckpointManager(
        state, str(run_dir / runs.CHECKPOINT_DIR), max_to_keep=checkpoints_to_keep
    )
    epoch = _restore(state, manager, run_dir)
    history = [row for row in summaries.read_history(run_dir) if row["epoch"] <= epoch]
    run = runs.Run(run_dir=run_dir, model=model, data=data, history=history, epoch=epoch)
    print(
        f"data: {data.n_train} training and {data.n_validation} validation images of "
        f"{data.image_shape[0]}x{data.image_shape[1]}x{data.n_channels}; "
        f"model: {model.count_params():,} parameters; "
        + (f"resuming after epoch {epoch}" if epoch else f"run folder {run_dir}"),
        flush=True,
    )

    if jit_compile is None:
        jit_compile = bool(tf.config.list_physical_devices("GPU"))
    steps = _Steps(model, optimizer, jit_compile)
    tensorboard = summaries.TensorBoard(run_dir)
    shown = next(iter(data.validation.unbatch().batch(summary_images)))["image"]
    steps_per_epoch = math.ceil(data.n_train / data.batch_size)
    started, first_epoch = time.perf_counter(), epoch
    while epoch < n_epochs:
        epoch_start = time.perf_counter()
        beta_now = losses.kl_warmup_beta(epoch, beta, kl_warmup_epochs)
        beta_tensor = tf.constant(beta_now, tf.float32)
        iterator = iter(data.train)
        totals = tf.zeros([3])
        for done in range(0, steps_per_epoch, steps_per_call):
            n_steps = tf.constant(min(steps_per_call, steps_per_epoch - done))
            totals += steps.train_steps(iterator, n_steps, beta_tensor)
            if epoch == first_epoch and done == 0:
                summaries.write_operative_config(run_dir)
        train_metrics = _metrics(totals, beta_now)
        val_metrics = _metrics(steps.evaluate(data.validation), beta_now)
        if not all(math.isfinite(v) for v in (*train_metrics.values(), *val_metrics.values())):
            raise TrainingDiverged(
                f"loss became {train_metrics['loss']} in epoch {epoch + 1}: lower the learning "
                f"rate or check the data; the checkpoint of epoch {epoch} is kept in {run_dir}"
            )
        epoch += 1
        seconds = time.perf_counter() - epoch_start
        row = {"epoch": epoch, "beta": beta_now, "seconds": seconds}
        row.update({f"train_{k}": v for k, v in train_metrics.items()})
        row.update({f"val_{k}": v for k, v in val_metrics.items()})
        run.history.append(row)
        run.epoch = epoch
        summaries.write_history(run_dir, run.history)
        state.epoch.assign(epoch)
        manager.save(checkpoint_number=epoch)
        tensorboard.scalars("train", {**train_metrics, "beta": beta_now}, epoch)
        tensorboard.scalars("validation", val_metrics, epoch)
        if epoch % epoch_step == 0 or epoch == n_epochs:
            tensorboard.images("validation", "reconstructions", model.reconstruct(shown), epoch)
            for visualiser in visualisers:
                visualiser.on_epoch_end(run, epoch)
        elapsed = time.perf_counter() - started
        eta = elapsed / (epoch - first_epoch) * (n_epochs - epoch)
        print(
            f"epoch {epoch}/{n_epochs}  train loss {train_metrics['loss']:.1f} "
            f"(rec {train_metrics['reconstruction']:.1f}, kl {train_metrics['kl']:.2f})  "
            f"val loss {val_metrics['loss']:.1f}  beta {beta_now:.2f}  "
            f"{seconds:.1f}s  ETA {_format_seconds(eta)}",
            flush=True,
        )
    tensorboard.flush()
    if not (run_dir / summaries.CONFIG_FILE).exists():
        summaries.write_operative_config(run_dir)
    for path in visualise.train_end(visualisers, run):
        print(f"wrote {path}", flush=True)
    return run
