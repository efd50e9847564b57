"""The training loop: the configurable root that turns a gin config into a finished run.

``train`` builds data and model (``acvae.runs.experiment``) inside the distribution strategy's
scope (``acvae.distribute``; one device by default) and under the mixed-precision policy, if
any; restores the newest readable checkpoint of the run folder; and runs epochs of a
``tf.function`` train step (replicated by the strategy; XLA-compiled when ``jit_compile``;
several steps per call) followed by a validation pass. After every epoch it appends a row to
``history.csv``, writes TensorBoard summaries and then saves a checkpoint; every ``epoch_step``
epochs it calls the visualisers' ``on_epoch_end``; at the end, their ``on_train_end``.

Faults: running the same command again resumes from the last checkpoint, whatever killed the
run (history and TensorBoard rows after it are dropped, so every epoch appears once). SIGINT
and SIGTERM stop after the current steps call and save the unfinished epoch's progress, which
the next run completes. A NaN or infinite loss stops training before anything is saved
(``TrainingDiverged``); an unwritable run folder or a full disk raises ``RunFolderError``.

The objective is the negative ELBO per image in nats (Kingma & Welling 2014, Eq. 3) with a
weight ``beta`` on the KL term (Higgins et al. 2017) that warms up linearly over
``kl_warmup_epochs`` (Bowman et al. 2016): loss = reconstruction + beta * KL, averaged over
the global batch (all replicas).
"""

from __future__ import annotations

import math
import pathlib
import shutil
import tempfile
import time

import gin
import keras
import numpy as np
import tensorflow as tf

from acvae import distribute, losses, runs, summaries, visualise
from acvae.faults import (
    StopSignals,
    TrainingDiverged,
    TrainingInterrupted,
    prepare_run_folder,
    writing,
)
from acvae.steps import Steps, numeric

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


def _format_seconds(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


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


def _set_precision(precision: str | None) -> None:
    if precision is not None and precision not in PRECISIONS:
        raise ValueError(
            f"train.precision must be None or one of {', '.join(PRECISIONS)}, got {precision!r}"
        )
    keras.mixed_precision.set_global_policy(precision or "float32")


def _optimizer(optimizer, strategy, precision: str | None):
    """The optimizer, created in ``strategy``'s scope (gin creates it before ``train`` runs)
    and wrapped for dynamic loss scaling under ``mixed_float16``."""
    if optimizer is None:
        optimizer = keras.optimizers.Adam(1e-3)
    elif getattr(optimizer, "_distribution_strategy", strategy) is not strategy:
        optimizer = type(optimizer).from_config(optimizer.get_config())
    if precision == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


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
    strategy=None,
    precision: str | None = None,
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
      strategy: a ``tf.distribute.Strategy`` (``@strategies.mirrored()``); None: one device.
      precision: None (float32), ``"mixed_float16"`` (GPU; with dynamic loss scaling) or
        ``"mixed_bfloat16"`` (CPU, TPU, recent GPUs); losses are computed in float32.

    Returns:
      The finished ``Run``.

    Raises:
      TrainingDiverged: the loss became NaN or infinite (the last good checkpoint is kept).
      RunFolderError: the run folder cannot be written.
      TrainingInterrupted: SIGINT or SIGTERM (progress saved; the same call resumes).
      ValueError: bad arguments or a checkpoint of another model.
    """
    if n_epochs < 1 or epoch_step < 1 or steps_per_call < 1:
        raise ValueError("n_epochs, epoch_step and steps_per_call must be at least 1")
    strategy = strategy if strategy is not None else tf.distribute.get_strategy()
    run_dir = pathlib.Path(run_dir)
    chief = distribute.is_chief(strategy)
    if chief:
        prepare_run_folder(run_dir)
    previous_policy = keras.mixed_precision.global_policy()
    _set_precision(precision)
    try:
        keras.utils.set_random_seed(seed)
        with strategy.scope():
            data, model = runs.experiment()
            optimizer = _optimizer(optimizer, strategy, precision)
            optimizer.build(model.trainable_variables)
        state = runs.checkpoint(model, optimizer)
        if jit_compile is None:
            jit_compile = bool(tf.config.list_physical_devices("GPU"))
        loop = _Loop(run_dir, data, model, state, Steps(model, optimizer, jit_compile, strategy),
                     strategy, chief, checkpoints_to_keep)
        with StopSignals() as signals:
            return loop.run(n_epochs, epoch_step, beta, kl_warmup_epochs, steps_per_call,
                            visualisers, summary_images, signals)
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)


class _Loop:
    """The epochs of one ``train`` call: restore, train, validate, write, checkpoint."""

    def __init__(self, run_dir, data, model, state, steps, strategy, chief, checkpoints_to_keep):
        self.run_dir, self.data, self.model, self.state = run_dir, data, model, state
        self.steps, self.strategy, self.chief = steps, strategy, chief
        checkpoint_dir = run_dir / runs.CHECKPOINT_DIR
        self.epoch = int(state.epoch.numpy()) if runs.restore(state, checkpoint_dir) else 0
        # non-chief workers save to a private folder they delete (the collective save needs
        # every worker; only the chief's checkpoints count)
        self._scratch = None if chief else tempfile.mkdtemp(
            prefix=f"acvae-{distribute.worker_id(strategy)}-")
        self.manager = tf.train.CheckpointManager(
            state, self._scratch or str(checkpoint_dir), max_to_keep=checkpoints_to_keep
        )
        history = [row for row in summaries.read_history(run_dir) if row["epoch"] <= self.epoch]
        self.live = runs.Run(run_dir=run_dir, model=model, data=data, history=history,
                             epoch=self.epoch)
        self.train_data = strategy.experimental_distribute_dataset(data.train.map(numeric))
        self.validation = strategy.experimental_distribute_dataset(data.validation.map(numeric))
        self.tensorboard = (
            summaries.TensorBoard(run_dir, resume_after=self.epoch) if chief else None
        )
        self._config_written = False

    def _hint(self) -> str:
        return f"fix it and run the same command again to resume after epoch {self.epoch}"

    def run(self, n_epochs, epoch_step, beta, kl_warmup_epochs, steps_per_call, visualisers,
            summary_images, signals) -> runs.Run:
        data, step = self.data, int(self.state.step.numpy())
        print(
            f"data: {data.n_train} training and {data.n_validation} validation images of "
            f"{data.image_shape[0]}x{data.image_shape[1]}x{data.n_channels}; "
            f"model: {self.model.count_params():,} parameters; "
            + (f"resuming after epoch {self.epoch}" + (f" (+{step} steps)" if step else "")
               if self.epoch or step else f"run folder {self.run_dir}")
            + (f"; {self.strategy.num_replicas_in_sync} replicas"
               if self.strategy.num_replicas_in_sync > 1 else ""),
            flush=True,
        )
        shown = next(iter(data.validation.unbatch().batch(summary_images)))["image"]
        steps_per_epoch = math.ceil(data.n_train / data.batch_size)
        started, first_epoch = time.perf_counter(), self.epoch
        while self.epoch < n_epochs:
            epoch_start = time.perf_counter()
            beta_now = losses.kl_warmup_beta(self.epoch, beta, kl_warmup_epochs)
            totals = self._train_epoch(steps_per_epoch, steps_per_call, beta_now, signals)
            train_metrics = _metrics(totals, beta_now)
            val_metrics = _metrics(self.steps.evaluate(self.validation), beta_now)
            self._check_finite(train_metrics, val_metrics)
            self.epoch += 1
            seconds = time.perf_counter() - epoch_start
            frame = self.epoch % epoch_step == 0 or self.epoch == n_epochs
            self._end_epoch(train_metrics, val_metrics, beta_now, seconds, shown if frame else None)
            if self.chief and frame:
                for visualiser in visualisers:
                    visualiser.on_epoch_end(self.live, self.epoch)
            elapsed = time.perf_counter() - started
            eta = elapsed / (self.epoch - first_epoch) * (n_epochs - self.epoch)
            print(
                f"epoch {self.epoch}/{n_epochs}  train loss {train_metrics['loss']:.1f} "
                f"(rec {train_metrics['reconstruction']:.1f}, kl {train_metrics['kl']:.2f})  "
                f"val loss {val_metrics['loss']:.1f}  beta {beta_now:.2f}  "
                f"{seconds:.1f}s  ETA {_format_seconds(eta)}",
                flush=True,
            )
            if signals.received:
                raise TrainingInterrupted(
                    f"{signals.received}: stopped after epoch {self.epoch} (checkpoint saved); "
                    f"run the same command again to resume")
        return self._finish(visualisers)

    def _train_epoch(self, steps_per_epoch, steps_per_call, beta_now, signals) -> tf.Tensor:
        """Train totals of the epoch after ``self.epoch``, continuing a saved unfinished one."""
        done = min(int(self.state.step.numpy()), steps_per_epoch)
        totals = tf.convert_to_tensor(self.state.partial) if done else tf.zeros([3])
        iterator, beta_tensor = iter(self.train_data), tf.constant(beta_now, tf.float32)
        while done < steps_per_epoch:
            n_steps = min(steps_per_call, steps_per_epoch - done)
            totals += self.steps.train_steps(iterator, tf.constant(n_steps), beta_tensor)
            done += n_steps
            if self.chief and not self._config_written:  # after this call's first steps
                with writing(self.run_dir / summaries.CONFIG_FILE, self._hint()):
                    summaries.write_operative_config(self.run_dir)
                self._config_written = True
            if signals.received and done < steps_per_epoch:
                self._save_unfinished(done, totals, beta_now, signals.received)
        return totals

    def _save_unfinished(self, done, totals, beta_now, signal_name) -> None:
        """Saves an unfinished epoch (as checkpoint ``epoch + 1``) and stops."""
        metrics = _metrics(totals, beta_now)
        self._check_finite(metrics, {})
        self.state.step.assign(done)
        self.state.partial.assign(totals)
        with writing(self.run_dir / runs.CHECKPOINT_DIR, self._hint()):
            self.manager.save(checkpoint_number=self.epoch + 1)
        raise TrainingInterrupted(
            f"{signal_name}: stopped in epoch {self.epoch + 1} after {done} steps (progress "
            f"saved); run the same command again to resume")

    def _check_finite(self, train_metrics, val_metrics) -> None:
        for split, metrics in (("training", train_metrics), ("validation", val_metrics)):
            if metrics and not all(math.isfinite(v) for v in metrics.values()):
                kept = (f"the checkpoint of epoch {self.epoch} is kept in {self.run_dir}"
                        if self.epoch else "no checkpoint was saved")
                raise TrainingDiverged(
                    f"{split} loss became {metrics['loss']} in epoch {self.epoch + 1}: the "
                    f"learning rate is probably too high (or the data holds NaN/Inf values); "
                    f"{kept}")

    def _end_epoch(self, train_metrics, val_metrics, beta_now, seconds, shown) -> None:
        """History row, then TensorBoard summaries (reconstructions of ``shown`` unless None),
        then the checkpoint: a kill in between is undone on resume (history rows and events
        after the checkpoint's epoch are dropped)."""
        row = {"epoch": self.epoch, "beta": beta_now, "seconds": seconds}
        row.update({f"train_{k}": v for k, v in train_metrics.items()})
        row.update({f"val_{k}": v for k, v in val_metrics.items()})
        self.live.history.append(row)
        self.live.epoch = self.epoch
        hint = (f"run the same command again (after fixing it) to resume after epoch "
                f"{self.epoch - 1}")
        if self.chief:
            with writing(self.run_dir / summaries.HISTORY_FILE, hint):
                summaries.write_history(self.run_dir, self.live.history)
            with writing(self.run_dir / summaries.LOGS_DIR, hint):
                self.tensorboard.scalars("train", {**train_metrics, "beta": beta_now}, self.epoch)
                self.tensorboard.scalars("validation", val_metrics, self.epoch)
                if shown is not None:
                    self.tensorboard.images("validation", "reconstructions",
                                            self.model.reconstruct(shown), self.epoch)
                self.tensorboard.flush()
        self.state.epoch.assign(self.epoch)
        self.state.step.assign(0)
        self.state.partial.assign(tf.zeros([3]))
        with writing(self.run_dir / runs.CHECKPOINT_DIR, hint):
            self.manager.save(checkpoint_number=self.epoch)

    def _finish(self, visualisers) -> runs.Run:
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
        if not self.chief:
            return self.live
        self.tensorboard.close()
        if not (self.run_dir / summaries.CONFIG_FILE).exists():
            summaries.write_operative_config(self.run_dir)
        for path in visualise.train_end(visualisers, self.live):
            print(f"wrote {path}", flush=True)
        return self.live
