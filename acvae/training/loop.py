"""The training loop: the configurable root that turns a gin config into a finished run.

``train`` builds data and model (``acvae.runs.experiment.build``) inside the distribution
strategy's scope (``acvae.training.distribute``; one device by default) and under the mixed-precision
policy, if any; only then opens the run folder (``acvae.runs.run_folder.RunFolder``: created, locked,
cleaned of a killed run's temporaries), so a config mistake leaves no folder behind. It
restores the latest readable checkpoint and runs epochs of a ``tf.function`` train step
(``acvae.training.steps``; replicated by the strategy; XLA-compiled when ``jit_compile``; several steps
per call) followed by a validation pass (a progress bar on stderr during long epochs,
``acvae.training.progress``). After every epoch it appends a row to
``history.csv``, writes TensorBoard summaries and saves a checkpoint, and a best checkpoint
when the validation ELBO improved; every ``epoch_step`` epochs it calls the visualisers'
``on_epoch_end``. It stops after ``n_epochs``, or earlier once validation stops improving
(``early_stopping_patience``, ``acvae.training.early_stopping``). At the end, with the best
checkpoint's weights, it fits the sampler (``experiment.Run.fit_sampler``: a learned one is
saved in ``RUN/sampler``), then calls the visualisers' ``on_train_end`` and writes the
validation embedding for TensorBoard's projector (``acvae.visualise.projector``).

Faults: running the same command again resumes from the last checkpoint, whatever killed the
run (history and TensorBoard rows after it are dropped, so every epoch appears once). SIGINT
and SIGTERM stop after the current steps call and save the unfinished epoch's progress, which
the next run completes; during a learned sampler's fit they stop it after its current step,
its progress saved in ``RUN/sampler``, which the next run resumes. A NaN or infinite loss
stops training before anything is saved (``TrainingDiverged``); an unwritable run folder or a
full disk raises ``RunFolderError``.

The objective is the model's (``VAE.objective``): by default the negative ELBO per image in
nats (Kingma & Welling 2014, Eq. 3) with a weight ``beta`` on the KL term (Higgins et al.
2017) that warms up linearly over ``kl_warmup_epochs`` (Bowman et al. 2016), averaged over the
global batch (all replicas).
"""

from __future__ import annotations

import contextlib
import math
import pathlib
import shutil
import signal
import tempfile
import time

import gin
import keras
import tensorflow as tf
from absl import logging

from acvae import visualise
from acvae.core import knobs, plugin_files
from acvae.core.errors import ConfigError
from acvae.data import batches
from acvae.models import densities
from acvae.models.learned_samplers import CodeLayout, FitInterrupted
from acvae.runs import experiment, run_folder
from acvae.training import distribute, early_stopping, progress, resume
from acvae.training import precision as precision_policy
from acvae.training.faults import StopSignals, TrainingDiverged, TrainingInterrupted, writing
from acvae.training.steps import Steps, means
from acvae.visualise import projector

def _format_seconds(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


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


@gin.configurable(module="acvae", denylist=["run_dir", "allow_config_change"])
def train(run_dir: str | pathlib.Path, n_epochs: int = 1, epoch_step: int = 1,
          validate_every: int = 1, optimizer=None, beta: float = 1.0, kl_warmup_epochs: int = 0,
          seed: int = 0, jit_compile: bool | None = None, steps_per_call: int = 8, visualisers=(),
          summary_images: int = 8, checkpoints_to_keep: int = 3, strategy=None,
          precision: str | None = "auto", augment=None, learning_rate_schedule=None,
          early_stopping_patience: int | None = None, early_stopping_min_delta: float = 0.0,
          allow_config_change: bool = False) -> experiment.Run:
    """Trains (or resumes training of) the configured VAE into ``run_dir``.

    Args:
      run_dir: the run folder; created once the config has built, resumed from a checkpoint.
      n_epochs: total epochs (fewer when training stops early); a finished run trains further
        when this grows.
      epoch_step: interval in epochs for image summaries and visualisers' ``on_epoch_end``.
      validate_every: interval in epochs between validation passes (always after the last
        epoch); the best checkpoint is chosen among validated epochs.
      optimizer: a Keras optimizer (``@optimizers.adam()``); Adam(1e-3) when None.
      beta: final weight of the KL term.
      kl_warmup_epochs: epochs of linear warm-up of beta from 0 (0: constant beta).
      seed: seeds weights, shuffling and sampling; the same seed gives the same losses on CPU.
      jit_compile: XLA-compile the steps; None: with a GPU only (XLA is slower on CPU).
      steps_per_call: train steps run by one ``tf.function`` call.
      visualisers: objects with ``on_epoch_end(run, epoch)`` and ``on_train_end(run)``.
      summary_images: validation images whose reconstructions go to TensorBoard.
      checkpoints_to_keep: how many epoch checkpoints to keep (besides the best one).
      strategy: a ``tf.distribute.Strategy`` (``@strategies.mirrored()``); None: one device.
      precision: ``"auto"`` (``acvae.training.precision``: mixed_float16 on a GPU, float32 on
        a CPU), ``"fast"`` (the same but mixed_bfloat16 on a CPU with bfloat16 units), None or
        ``"float32"``, ``"mixed_float16"`` (dynamic loss scaling) or ``"mixed_bfloat16"``.
      augment: an augmentation (``@augmentations.shift()``) inside the compiled step, or None.
      learning_rate_schedule: ``factor(epoch, n_epochs)`` (``@schedules.cosine()``) scaling
        the configured learning rate each epoch (history's ``learning_rate``), or None.
      early_stopping_patience: stop after this many validated epochs in a row whose validation
        ELBO did not improve on the best by more than ``early_stopping_min_delta`` nats per
        image (``acvae.training.early_stopping``); None: never stop early.
      early_stopping_min_delta: the smallest improvement that counts, in nats per image.
      allow_config_change: resume with a changed optimizer or dataset (``--allow_config_change``).

    Returns the finished ``Run``.

    Raises:
      TrainingDiverged: the loss became NaN or infinite (the last good checkpoint is kept).
      RunFolderError: the run folder cannot be written.
      RunFolderBusy: another process is writing the run folder.
      TrainingInterrupted: SIGINT or SIGTERM (progress saved; the same call resumes).
      ConfigError: bad arguments or a checkpoint of another model.
    """
    started = time.perf_counter()
    knobs.check("train", **{name: value for name, value in locals().items()  # ranged arguments
                            if name in knobs.RANGES["train"]})
    strategy = strategy if strategy is not None else tf.distribute.get_strategy()
    with precision_policy.applied(precision) as policy:
        keras.utils.set_random_seed(seed)
        stopping = early_stopping.EarlyStopping(early_stopping_patience, early_stopping_min_delta)
        loop_settings = (n_epochs, epoch_step, validate_every, beta, kl_warmup_epochs,
                         steps_per_call, visualisers, summary_images, stopping)
        return _build_and_run(run_dir, strategy, policy, optimizer, jit_compile, augment,
                              learning_rate_schedule, checkpoints_to_keep, allow_config_change,
                              started, loop_settings)


def _build_and_run(run_dir, strategy, policy, optimizer, jit_compile, augment,
                   learning_rate_schedule, checkpoints_to_keep, allow_config_change, started,
                   loop_settings) -> experiment.Run:
    """``train`` once its arguments are checked and the precision policy is set: builds data,
    model, optimizer and steps, opens the run folder (the chief only) and runs the loop with
    ``loop_settings`` (``_Loop.run``'s arguments before ``signals``)."""
    folder = run_folder.RunFolder(run_dir)
    chief = distribute.is_chief(strategy)
    with strategy.scope():
        data, model = experiment.build()
        optimizer = _optimizer(optimizer, strategy, policy)
        optimizer.build(model.objective_variables)
    schedule = _Schedule(learning_rate_schedule, optimizer)
    if jit_compile is None:
        jit_compile = bool(tf.config.list_physical_devices("GPU"))
    steps = Steps(model, optimizer, jit_compile, strategy, augment)
    state = run_folder.checkpoint_state(model, optimizer, sums=(*steps.names, "count"))
    # non-chief workers neither create, lock nor write the run folder
    lock = folder.open("acvae.main") if chief else contextlib.nullcontext()
    with lock, StopSignals() as signals:
        if chief:
            folder.record_plugins(plugin_files.loaded())
        resumption = resume.Resumption(folder, resume.describe(data, model, optimizer),
                                       allow_config_change, record=chief)
        loop = _Loop(folder, data, model, state, steps, strategy, chief,
                     checkpoints_to_keep, resumption, schedule, started)
        return loop.run(*loop_settings, signals)


class _Schedule:
    """A learning-rate schedule applied to an optimizer once per epoch (``set``), scaling the
    configured rate (read here; ``Resumption.restore`` puts it back after a restore).

    Raises:
      ConfigError: a schedule for an optimizer whose learning rate is already a Keras schedule.
    """

    def __init__(self, factor, optimizer):
        self.factor = factor
        self.optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        self.base = resume.learning_rate(self.optimizer)
        if factor is not None and self.base is None:
            raise ConfigError("train.learning_rate_schedule needs an optimizer with a number as "
                              "its learning_rate, not a Keras schedule: give one of the two")

    def set(self, epoch: int, n_epochs: int) -> dict[str, float]:
        """Sets the rate of the epoch after ``epoch``; returns it as a history column (none
        without a schedule)."""
        if self.factor is None:
            return {}
        rate = self.base * self.factor(epoch, n_epochs)
        self.optimizer.learning_rate = rate
        return {"learning_rate": rate}


class _Loop:
    """The epochs of one ``train`` call: restore, train, validate, write, checkpoint."""

    def __init__(self, folder, data, model, state, steps, strategy, chief, checkpoints_to_keep,
                 resumption, schedule, started):
        self.folder, self.data, self.model, self.state = folder, data, model, state
        # seconds since ``train`` was called: the first figure drawn, for the closing line
        self.started, self.first_figure = started, None
        self.steps, self.strategy, self.chief = steps, strategy, chief
        self.epoch = resumption.restore(state, scheduled=schedule.factor is not None)
        self.schedule = schedule
        # non-chief workers save to a private folder they delete (the collective save needs
        # every worker; only the chief's checkpoints count)
        self._scratch = None if chief else tempfile.mkdtemp(
            prefix=f"acvae-{distribute.worker_id(strategy)}-")
        folder.track(state, checkpoints_to_keep, self._scratch)
        history = (folder.repair_history(self.epoch) if chief else
                   [row for row in folder.read_history() if row["epoch"] <= self.epoch])
        self.live = experiment.Run(run_dir=folder.path, model=model, data=data,
                                   history=history, epoch=self.epoch, folder=folder)
        # every epoch's batches from one iterator (the same batches as a new iterator each
        # epoch): the next epoch's shuffle and first batches are prepared during validation
        # and figures, and no iterator is torn down between epochs (a stall of up to 0.3 s)
        self.train_data, self._epochs = steps.distribute(data.train), None
        self.validation = steps.distribute(data.validation)
        self.tensorboard = folder.tensorboard(resume_after=self.epoch) if chief else None
        self._config_written = False
        # every worker follows the best (early stopping must stop them all at the same epoch);
        # validation ELBOs of another dataset do not compare: the best is chosen anew
        best = None if "dataset" in resumption.changed else folder.best_epoch()
        elbos = {row["epoch"]: row["val_elbo"] for row in history}
        self.best_epoch, self.best_elbo = best, elbos.get(best, -math.inf)
        self.stopping = early_stopping.EarlyStopping()  # ``run`` sets the configured one

    def _hint(self) -> str:
        """How to go on after a failed write: from the newest checkpoint on disk by now (the
        failed block may have written one)."""
        epoch = self.folder.saved_epoch() if self.chief else self.epoch
        return f"fix it and run the same command again to resume after epoch {epoch or 0}"

    def _first_line(self) -> str:
        """Training's first line: the data, the model and its code's size, where it starts."""
        data, step = self.data, int(self.state.step.numpy())
        return (
            f"data: {data.n_train} training and {data.n_validation} validation images of "
            f"{data.image_shape[0]}x{data.image_shape[1]}x{data.n_channels}; "
            f"model: {self.model.count_params():,} parameters, a code of "
            f"{CodeLayout.of(self.model, self.model.latent_dim).describe()}; "
            + (f"resuming after epoch {self.epoch}" + (f" (+{step} steps)" if step else "")
               if self.epoch or step else f"run folder {self.folder.path}")
            + (f"; {self.strategy.num_replicas_in_sync} replicas"
               if self.strategy.num_replicas_in_sync > 1 else ""))

    def run(self, n_epochs, epoch_step, validate_every, beta, kl_warmup_epochs, steps_per_call,
            visualisers, summary_images, stopping, signals) -> experiment.Run:
        data = self.data
        print(self._first_line(), flush=True)
        shown = None  # validation images for reconstruction summaries, read at the first frame
        steps_per_epoch = math.ceil(data.n_train / data.batch_size)
        started, first_epoch = time.perf_counter(), self.epoch
        self.stopping = stopping
        stopping.start(self.state, n_epochs)
        while self.epoch < n_epochs and not stopping.exhausted(self.state):
            epoch_start = time.perf_counter()
            beta_now = densities.kl_warmup_beta(self.epoch, beta, kl_warmup_epochs)
            beta_tensor = tf.constant(beta_now, tf.float32)
            rate = self.schedule.set(self.epoch, n_epochs)
            train_metrics = means(self._train_epoch(steps_per_epoch, steps_per_call,
                                                    beta_tensor, signals))
            seconds = {"train_seconds": time.perf_counter() - epoch_start}
            validate = (self.epoch + 1) % validate_every == 0 or self.epoch + 1 == n_epochs
            val_metrics = (means(self.steps.evaluate(self.validation, beta_tensor))
                           if validate else {})
            seconds["validation_seconds"] = (time.perf_counter() - epoch_start
                                             - seconds["train_seconds"])
            seconds["figure_seconds"] = 0.0
            self._check_finite(train_metrics, val_metrics)
            self.epoch += 1
            self.live.weights_changed(self.epoch)
            frame = self.epoch % epoch_step == 0 or self.epoch == n_epochs
            if frame and shown is None:  # a whole pass: a cache being filled is completed
                shown = batches.collect(data.validation, limit=summary_images,
                                        keep=("image",))["image"]
            row = self._end_epoch(train_metrics, val_metrics, {"beta": beta_now, **rate},
                                  seconds, epoch_start, shown if frame else None)
            if self.chief and frame:  # after the checkpoint: a failing figure loses nothing
                figures_start = time.perf_counter()
                for visualiser in visualisers:
                    visualiser.on_epoch_end(self.live, self.epoch)
                self._add_figure_seconds(row, time.perf_counter() - figures_start)
                if self.first_figure is None:
                    self.first_figure = time.perf_counter() - self.started
            eta = ((time.perf_counter() - started) / (self.epoch - first_epoch)
                   * (n_epochs - self.epoch))
            self._say(self._epoch_line(n_epochs, train_metrics, val_metrics, beta_now, eta))
            if signals.received:
                raise TrainingInterrupted(
                    f"{signals.received}: stopped after epoch {self.epoch} (checkpoint saved); "
                    f"run the same command again to resume", signals.number)
        if self.epoch < n_epochs:  # the patience ran out (now, or before this call)
            best = [row for row in self.live.history if row["epoch"] == self.best_epoch]
            self._say(stopping.explain(self.state, self.epoch, n_epochs, (best or [None])[0]))
        return self._finish(visualisers, signals)

    @staticmethod
    def _say(line: str) -> None:
        """Prints a line of training's story and logs it (kept by ``--log_dir``)."""
        print(line, flush=True)
        logging.info(line)

    def _epoch_line(self, n_epochs, train_metrics, val_metrics, beta, eta) -> str:
        """The line that ends an epoch: its losses, ``beta``, its seconds in parts (history's
        last row) and the ``eta`` in seconds."""
        validation = f"val loss {val_metrics['loss']:.1f}" if val_metrics else "val loss -"
        timing = self.live.history[-1]
        return (
            f"epoch {self.epoch}/{n_epochs}  train loss {train_metrics['loss']:.1f} "
            f"(rec {train_metrics['reconstruction']:.1f}, kl {train_metrics['kl']:.2f})  "
            f"{validation}  beta {beta:.2f}  {timing['seconds']:.1f}s "
            f"(train {timing['train_seconds']:.1f}, val {timing['validation_seconds']:.1f}, "
            f"figures {timing['figure_seconds']:.1f})  ETA {_format_seconds(eta)}")

    def _train_epoch(self, steps_per_epoch, steps_per_call, beta, signals) -> dict:
        """Train sums of the epoch after ``self.epoch``, continuing a saved unfinished one."""
        done = min(int(self.state.step.numpy()), steps_per_epoch)
        partial = self.state.partial
        totals = ({name: tf.convert_to_tensor(partial[name]) for name in partial} if done
                  else self.steps.zeros())
        if done:  # a resumed unfinished epoch: the rest of one pass
            iterator = iter(self.train_data)
        else:
            if self._epochs is None:
                self._epochs = iter(self.steps.distribute(self.data.train.repeat()))
            iterator = self._epochs
        with progress.EpochProgress(steps_per_epoch, self.epoch + 1, done,
                                    enabled=self.chief) as bar:
            while done < steps_per_epoch:
                n_steps = min(steps_per_call, steps_per_epoch - done)
                sums = self.steps.train_steps(iterator, tf.constant(n_steps), beta)
                totals = {name: totals[name] + sums[name] for name in totals}
                done += n_steps
                bar.update(n_steps)
                if self.chief and not self._config_written:  # after this call's first steps
                    with writing(self.folder.config_path, self._hint):
                        self.folder.write_config(gin.operative_config_str())
                    self._config_written = True
                if signals.received and done < steps_per_epoch:
                    self._save_unfinished(done, totals, signals)
        return totals

    def _save_unfinished(self, done, totals, signals) -> None:
        """Saves an unfinished epoch (as checkpoint ``epoch + 1``) and stops."""
        self._check_finite(means(totals), {})
        self.state.step.assign(done)
        for name, value in totals.items():
            self.state.partial[name].assign(value)
        with writing(self.folder.checkpoints_dir, self._hint):
            self.folder.save(self.epoch + 1)
        raise TrainingInterrupted(
            f"{signals.received}: stopped in epoch {self.epoch + 1} after {done} steps "
            f"(progress saved); run the same command again to resume", signals.number)

    def _check_finite(self, train_metrics, val_metrics) -> None:
        for split, values in (("training", train_metrics), ("validation", val_metrics)):
            if values and not all(math.isfinite(v) for v in values.values()):
                kept = (f"the checkpoint of epoch {self.epoch} is kept in {self.folder.path}"
                        if self.epoch else "no checkpoint was saved")
                raise TrainingDiverged(
                    f"{split} loss became {values['loss']} in epoch {self.epoch + 1}: the "
                    f"learning rate is probably too high (or the data holds NaN/Inf values); "
                    f"{kept}")

    def _end_epoch(self, train_metrics, val_metrics, settings, seconds, epoch_start,
                   shown) -> dict[str, float]:
        """History row, then TensorBoard summaries (reconstructions of ``shown`` unless None),
        then the checkpoint and, if the validation ELBO improved, the best checkpoint: a kill
        in between is undone on resume (history rows and events after the checkpoint's epoch
        are dropped). Returns the history row: validation values are nan in an epoch without
        validation; ``settings`` are the epoch's ``beta`` and, under a schedule,
        ``learning_rate``; ``seconds`` is the epoch until this row (the checkpoint after it is
        not counted), its parts are ``train_seconds``, ``validation_seconds`` and
        ``figure_seconds`` (``_add_figure_seconds`` adds the visualisers' frames)."""
        figures_start = time.perf_counter()
        if self.chief and shown is not None:
            reconstructions = self.model.reconstruct(shown)
        seconds["figure_seconds"] += time.perf_counter() - figures_start
        row = {"epoch": self.epoch, **settings,
               "seconds": time.perf_counter() - epoch_start, **seconds}
        row.update({f"train_{k}": v for k, v in train_metrics.items()})
        row.update({f"val_{k}": v for k, v in val_metrics.items()})
        if self.chief:
            with writing(self.folder.path / run_folder.HISTORY_FILE, self._hint):
                self.live.history = self.folder.append_history(row)
            with writing(self.folder.path / run_folder.LOGS_DIR, self._hint):
                self.tensorboard.scalars("train", {**train_metrics, **settings}, self.epoch)
                if val_metrics:
                    self.tensorboard.scalars("validation", val_metrics, self.epoch)
                if shown is not None:
                    self.tensorboard.images("validation", "reconstructions", reconstructions,
                                            self.epoch)
                self.tensorboard.flush()
        else:
            self.live.history.append(row)
        self.state.epoch.assign(self.epoch)
        self.state.step.assign(0)
        for variable in self.state.partial.values():
            variable.assign(0.0)
        best = bool(val_metrics) and self._observe(val_metrics["elbo"])
        with writing(self.folder.checkpoints_dir, self._hint):
            self.folder.save(self.epoch)
            if self.chief and best:
                self.folder.save_best(self.model, self.epoch)
        return row

    def _observe(self, elbo: float) -> bool:
        """Counts a validated epoch for early stopping against the best validation ELBO, then
        makes it the best if it is better; returns whether it is (for the best checkpoint)."""
        self.stopping.observe(self.state, elbo - self.best_elbo)
        if elbo <= self.best_elbo:
            return False
        self.best_epoch, self.best_elbo = self.epoch, elbo
        return True

    def _add_figure_seconds(self, row: dict[str, float], seconds: float) -> None:
        """Counts the visualisers' frames (drawn after the checkpoint) in the epoch's row."""
        row = {**row, "figure_seconds": row["figure_seconds"] + seconds,
               "seconds": row["seconds"] + seconds}
        with writing(self.folder.path / run_folder.HISTORY_FILE, self._hint):
            self.live.history = self.folder.append_history(row)

    def _use_best(self) -> None:
        """Figures show the best validation epoch: its weights replace the latest ones (the
        latest checkpoint stays on disk, so a longer run resumes from it)."""
        best = self.folder.best_epoch()
        if best is None or best == self.epoch:
            return
        state = run_folder.checkpoint_state(self.model)
        self.folder.restore(state, "best", strict=False)
        self.live.weights_changed(best)
        print(f"figures show epoch {best}, the best validation ELBO", flush=True)

    def _finish(self, visualisers, signals) -> experiment.Run:
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
        if not self.chief:
            return self.live
        signals.then = ("stopping before the final figures (a learned sampler's fit after its "
                        "current step, its progress saved)")
        self.tensorboard.close()
        if not self.folder.is_run():
            self.folder.write_config(gin.operative_config_str())
        self._use_best()
        fit_start = time.perf_counter()
        self._fit_sampler(signals)
        signals.then = "stopping after the current figure"
        figures_start = time.perf_counter()
        self._final_figures(visualise.base.in_order(visualisers), signals)
        done = time.perf_counter()
        first = ("no epoch figure" if self.first_figure is None
                 else f"first figure after {self.first_figure:.1f} s")
        print(f"finished epoch {self.epoch} in {done - self.started:.1f} s: {first}, sampler fit "
              f"{figures_start - fit_start:.1f} s, final figures {done - figures_start:.1f} s",
              flush=True)
        return self.live

    def _fit_sampler(self, signals) -> None:
        """Fits the sampler to the chosen weights (``Run.fit_sampler``); a signal stops a
        learned sampler's fit after its current step, with its progress saved."""
        try:
            self.live.fit_sampler(stop=signals.stop_if_received)
        except FitInterrupted as error:
            raise TrainingInterrupted(
                f"{signals.received or 'SIGINT'}: {error} (all checkpoints saved); run the same "
                "command again to finish the fit and write the figures",
                signals.number or error.signal_number) from None

    def _final_figures(self, pending, signals) -> None:
        """The visualisers' final figures, then the embedding for TensorBoard's projector.

        A signal stops them between two figures (a second one at once) with a
        ``TrainingInterrupted`` saying what was and was not written: the checkpoints are all
        saved, and the same command writes the figures again.
        """
        written = []
        try:
            while pending:
                signals.stop_if_received()
                for path in pending[0].on_train_end(self.live):
                    print(f"wrote {path}", flush=True)
                    written.append(pathlib.Path(path).name)
                pending.pop(0)
            signals.stop_if_received()
        except KeyboardInterrupt:
            missing = [getattr(v, "filename", "") or type(v).__name__ for v in pending]
            raise TrainingInterrupted(
                f"{signals.received or 'SIGINT'}: stopped writing the final figures after epoch "
                f"{self.epoch} (all checkpoints saved); written: {', '.join(written) or 'none'}; "
                f"not written: {', '.join([*missing, 'the projector embedding'])}; run the same "
                "command again to write them", signals.number or signal.SIGINT) from None
        logs = self.folder.path / run_folder.LOGS_DIR
        print(f"wrote {projector.write(self.live)[0]} (the embedding for TensorBoard's "
              f"projector: tensorboard --logdir {logs})", flush=True)
