"""What every learned latent sampler shares: the code's layout, fitting, saving and restoring.

A Gaussian mixture (``samplers.gaussian_mixture``) treats a code as one flat vector. The
learned samplers (``two_stage.py``, ``latent_diffusion.py``) instead train a small network on
the aggregate posterior of the training images (Dai & Wipf 2019; Vahdat et al. 2021;
Rombach et al. 2022), and may use the code's layout (``CodeLayout``: ``build_vae`` with
``map_channels`` gives ``global_dim`` global numbers followed by an (h, w, c) latent map
flattened row-major). ``LearnedSampler`` does the rest once:

- ``fit(model, means, logvars, directory=None, stop=None)``: normalises the codes per
  dimension (mean and standard deviation of the aggregate posterior), then trains for
  ``steps`` Adam steps or ``max_seconds``, whichever comes first (``budget``), on fresh
  posterior draws ``z = mean + exp(logvar / 2) * eps`` of random training items each step
  (the decoder was trained on such draws, not on the means). With ``directory`` the fit is
  checkpointed there every ``checkpoint_every`` steps and resumed from it when the same codes
  and settings are fitted again (``fingerprint``), and the fitted sampler is saved there
  (``save``). A Ctrl-C (or ``stop`` raising ``KeyboardInterrupt``) checkpoints the fit and
  raises ``FitInterrupted``. ``fit_info`` records the steps, seconds, final loss and the
  codes' ``fingerprint``, so a caller can tell whether a saved sampler belongs to the
  current weights (``restore_if_fitted``).
- ``sample(n, seed) -> [n, L]``: TensorFlow only (stateless random ops for a given seed), so it
  runs eagerly, inside ``tf.function`` and in an exported SavedModel. The sampler is a
  ``tf.Module`` whose networks are built by ``fit`` or ``restore``, so a model that holds it
  tracks its variables for export, while checkpoints written during training (before any
  fit) carry none.
- ``save(directory)`` / ``restore(directory)``: the sampling networks' weights (the
  exponential moving average of the trained ones when ``ema_decay > 0``), the normalisation
  and ``sampler.json`` (name, settings, layout, fit summary), written last so that a
  half-written folder is never restored. The same seed draws the same codes after a restore.
  ``SAVED_FILES`` names everything a fit and a save write into a directory.

A subclass registers with ``registry.register("samplers", name)`` and implements
``_networks(layout) -> {name: keras.Model}``, ``_loss(networks, x, seed) -> scalar`` (x: a
batch of normalised codes) and ``_generate(n, seed) -> [n, L]`` (normalised codes from
``self.networks``).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import os
import pathlib
import signal
from time import perf_counter

import keras
import numpy as np
import tensorflow as tf

from acvae.core import fileio
from acvae.core.errors import ConfigError, Interrupted

STATE_FILE = "sampler.json"
WEIGHTS_PREFIX = "weights"
FIT_DIR = "fit"  # the resumable fit's checkpoint, inside a fit's directory
FINGERPRINT_FILE = "fingerprint"  # in FIT_DIR: the codes and settings its checkpoint is of
MIN_STD = 1e-3  # the normalisation's smallest scale: collapsed dimensions stay finite
# every file fit and save write into a directory (globs relative to it), and the folder
# TensorFlow writes the weights through (left behind when a save is killed)
SAVED_FILES = (STATE_FILE, f"{WEIGHTS_PREFIX}.index", f"{WEIGHTS_PREFIX}.data-*",
               f"{FIT_DIR}/{FINGERPRINT_FILE}", f"{FIT_DIR}/checkpoint",
               f"{FIT_DIR}/ckpt-*.index", f"{FIT_DIR}/ckpt-*.data-*")
SAVE_TEMPORARY = f"{WEIGHTS_PREFIX}_temp"


class FitInterrupted(Interrupted):
    """A signal (or the caller's ``stop``) stopped a fit; the message says where it stopped
    and, when the fit had a directory, that fitting again there resumes it."""


@dataclasses.dataclass(frozen=True)
class CodeLayout:
    """How a code of ``size`` numbers splits: ``global_dim`` global numbers, then a latent map
    of ``map_shape`` (h, w, c) flattened row-major (None: no map)."""

    global_dim: int
    map_shape: tuple[int, int, int] | None = None

    @property
    def map_size(self) -> int:
        """h * w * c, or 0 without a map."""
        return math.prod(self.map_shape) if self.map_shape else 0

    @property
    def size(self) -> int:
        """L, the code's length."""
        return self.global_dim + self.map_size

    @classmethod
    def of(cls, model, latent_dim: int) -> "CodeLayout":
        """The layout of a model's codes of ``latent_dim`` numbers: the map the decoder
        reshapes its last dimensions into (``decoders.conv``'s ``latent_map`` layer), if any.

        Args:
          model: a VAE (its ``decoder`` is inspected), or None for a flat code.
          latent_dim: L.
        """
        try:
            layer = model.decoder.get_layer("latent_map")
        except (AttributeError, ValueError):
            return cls(int(latent_dim))
        map_shape = tuple(int(s) for s in layer.target_shape)
        global_dim = int(latent_dim) - math.prod(map_shape)
        if global_dim < 0:
            raise ValueError(f"a code of {latent_dim} numbers cannot hold the decoder's "
                             f"{map_shape} latent map")
        return cls(global_dim, map_shape)

    @property
    def map_name(self) -> str:
        """The latent map as ``"8x8x8"`` (h x w x c), ``"none"`` without one."""
        return "x".join(map(str, self.map_shape)) if self.map_shape else "none"

    def describe(self) -> str:
        """In words: ``"520 numbers (8 global + 8x8x8 map)"``, ``"2 numbers"`` without a
        map."""
        numbers = f"{self.size} number{'' if self.size == 1 else 's'}"
        return f"{numbers} ({self.global_dim} global + {self.map_name} map)" \
            if self.map_shape else numbers

    def to_json(self) -> dict:
        """The layout as JSON values."""
        return {"global_dim": self.global_dim,
                "map_shape": list(self.map_shape) if self.map_shape else None}

    @classmethod
    def from_json(cls, values: dict) -> "CodeLayout":
        """The inverse of ``to_json``."""
        shape = values["map_shape"]
        return cls(int(values["global_dim"]), tuple(int(s) for s in shape) if shape else None)


def check_positive(component: str, **values) -> None:
    """Raises a ConfigError naming ``component`` unless every value is a number > 0."""
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(f"samplers.{component}: {key} must be a number > 0, got "
                              f"{value!r}")


def seed_pair(seed, salt: int) -> tf.Tensor:
    """A stateless-op seed [2] (int32): ``(seed, salt)``, or random when ``seed`` is None."""
    if seed is None:
        return tf.random.uniform([2], 0, 2**31 - 1, dtype=tf.int32)
    return tf.stack([tf.cast(seed, tf.int32), tf.constant(salt, tf.int32)])


def saved_state(directory: str | os.PathLike) -> dict | None:
    """The ``sampler.json`` of a sampler saved in ``directory`` (name, settings, layout, fit),
    or None when there is none or it is unreadable."""
    try:
        state = json.loads((pathlib.Path(directory) / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def aggregate_statistics(means: np.ndarray, logvars: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-dimension mean and standard deviation [L] of the aggregate posterior
    ``(1/N) sum_i q(z|x_i)``: the variance of the means plus the mean posterior variance."""
    variance = means.var(axis=0) + np.exp(logvars).mean(axis=0)
    return means.mean(axis=0), np.maximum(np.sqrt(variance), MIN_STD)


class LearnedSampler(tf.Module):
    """A latent sampler that trains networks on the training codes (see the module docstring).

    Args:
      steps: Adam steps of a fit.
      batch_size: codes per step.
      learning_rate: Adam's, decayed to zero along a cosine over ``steps``.
      max_seconds: a fit stops after this long even if fewer steps ran (the fit's time bound).
      ema_decay: the exponential moving average of the weights that samples (0: the trained
        weights themselves).
      posterior_draws: train on draws from each item's posterior (False: on the means).
      checkpoint_every: steps between checkpoints of a fit given a directory.
      seed: the batches' and noises' seed.
    """

    name = "learned"

    def __init__(self, steps: int, batch_size: int, learning_rate: float, max_seconds: float,
                 ema_decay: float, posterior_draws: bool, checkpoint_every: int, seed: int):
        super().__init__(name=self.name)
        check_positive(self.name, steps=steps, batch_size=batch_size,
                       learning_rate=learning_rate, max_seconds=max_seconds,
                       checkpoint_every=checkpoint_every)
        if not 0.0 <= ema_decay < 1.0:
            raise ConfigError(f"samplers.{self.name}: ema_decay must be in [0, 1), got "
                              f"{ema_decay!r}")
        self.settings = {"steps": int(steps), "batch_size": int(batch_size),
                         "learning_rate": float(learning_rate), "ema_decay": float(ema_decay),
                         "posterior_draws": bool(posterior_draws), "seed": int(seed)}
        self.max_seconds, self.checkpoint_every = float(max_seconds), int(checkpoint_every)
        self.layout = self.networks = self.mean = self.std = None
        self.fit_info: dict = {}

    @property
    def config(self) -> dict:
        """The settings as plain JSON values (``tf.Module`` wraps the dict it holds)."""
        return json.loads(json.dumps(dict(self.settings)))

    # ------------------------------------------------------------------ subclass hooks

    def _networks(self, layout: CodeLayout) -> dict:
        """Builds fresh networks {name: keras.Model} for codes of ``layout``."""
        raise NotImplementedError

    def _loss(self, networks: dict, x: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """The scalar training loss of ``networks`` on normalised codes x [B, L]."""
        raise NotImplementedError

    def _generate(self, n, seed: tf.Tensor) -> tf.Tensor:
        """[n, L] normalised codes drawn with ``self.networks`` (stateless, from ``seed``)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ interface

    @property
    def fitted(self) -> bool:
        """Whether ``fit`` or ``restore`` has run."""
        return self.networks is not None

    @property
    def budget(self) -> str:
        """What a fit costs at most, in words: ``"3000 steps, 10 min at most"``."""
        limit = (f"{self.max_seconds / 60:.3g} min" if self.max_seconds >= 60
                 else f"{self.max_seconds:.3g} s")
        return f"{self.settings['steps']} steps, {limit} at most"

    def fit(self, model, means: np.ndarray, logvars: np.ndarray | None = None,
            directory: str | os.PathLike | None = None, stop=None) -> "LearnedSampler":
        """Trains the sampler on the training posteriors (see the module docstring).

        Args:
          model: the VAE (its code layout is read from the decoder), or None (a flat code).
          means: posterior means [N, L] of the training items.
          logvars: their log-variances [N, L]; None fits the means only.
          directory: where the fit is checkpointed, resumed and finally saved (optional).
          stop: called between steps; raising ``KeyboardInterrupt`` there stops the fit
            (``faults.StopSignals.stop_if_received``). None: only a Ctrl-C stops it.

        Raises:
          FitInterrupted: a Ctrl-C or ``stop`` stopped the fit (checkpointed first when
            ``directory`` is given).
        """
        means, logvars = self._fitted_codes(means, logvars)
        self._build(CodeLayout.of(model, means.shape[1]), *aggregate_statistics(means, logvars))
        started = perf_counter()
        fingerprint = self.fingerprint(means, logvars)
        steps, loss = self._train(means, logvars, directory, fingerprint, stop)
        self.fit_info = {"steps": steps, "seconds": round(perf_counter() - started, 2),
                         "final_loss": loss, "items": len(means), "fingerprint": fingerprint}
        if directory is not None:
            self.save(directory)
        return self

    def fingerprint(self, means: np.ndarray, logvars: np.ndarray | None = None) -> str:
        """A digest of the codes and settings a fit uses (``fit_info["fingerprint"]`` after
        ``fit`` or ``restore``): equal when a saved sampler was fitted to these codes."""
        means, logvars = self._fitted_codes(means, logvars)
        return hashlib.sha256(means.tobytes() + logvars.tobytes() + json.dumps(
            [self.name, self.config]).encode()).hexdigest()

    def _fitted_codes(self, means, logvars) -> tuple[np.ndarray, np.ndarray]:
        """float32 means and log-variances [N, L] as the fit uses them (log-variances of
        -inf when it fits the means only)."""
        means = np.asarray(means, np.float32)
        if means.ndim != 2 or len(means) < 2:
            raise ValueError(f"need at least 2 codes [N, L] to fit a sampler, got "
                             f"{means.shape}")
        if logvars is None or not self.settings["posterior_draws"]:
            return means, np.full_like(means, -np.inf)
        return means, np.asarray(logvars, np.float32)

    def sample(self, n, seed: int | None = None) -> tf.Tensor:
        """[n, L] codes; reproducible when ``seed`` is given."""
        if not self.fitted:
            raise RuntimeError(f"the {self.name} sampler is used before it was fitted or "
                               f"restored")
        return self._generate(n, seed_pair(seed, 1)) * self.std + self.mean

    def save(self, directory: str | os.PathLike) -> pathlib.Path:
        """Writes the fitted state to ``directory`` (see the module docstring)."""
        directory = pathlib.Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / STATE_FILE).unlink(missing_ok=True)  # the folder is incomplete until ...
        self._checkpoint(self.networks).write(str(directory / WEIGHTS_PREFIX))
        state = {"name": self.name, "settings": self.config, "layout": self.layout.to_json(),
                 "fit": dict(self.fit_info)}
        fileio.write_text(directory / STATE_FILE, json.dumps(state, indent=1) + "\n")  # ... now
        return directory

    def restore_if_fitted(self, directory: str | os.PathLike, means: np.ndarray,
                          logvars: np.ndarray | None = None) -> bool:
        """Restores the sampler saved in ``directory`` when it is this one (name, settings)
        fitted to these codes (``fingerprint``); returns whether it did.

        Raises:
          As ``restore``, for a saved sampler that matches but cannot be read.
        """
        state = saved_state(directory)
        if (state is None or state.get("name") != self.name
                or state.get("settings") != self.config
                or (state.get("fit") or {}).get("fingerprint")
                != self.fingerprint(means, logvars)):
            return False
        self.restore(directory)
        return True

    def restore(self, directory: str | os.PathLike) -> "LearnedSampler":
        """Loads what ``save`` wrote; the settings must be this sampler's.

        Raises:
          FileNotFoundError: ``directory`` holds no complete saved sampler.
          ConfigError: it holds another sampler, or one saved with other settings.
        """
        directory = pathlib.Path(directory)
        if not (directory / STATE_FILE).is_file():
            raise FileNotFoundError(f"no saved sampler in {directory} (no {STATE_FILE})")
        state = json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))
        if state["name"] != self.name or state["settings"] != self.config:
            raise ConfigError(f"{directory} holds a {state['name']} sampler with settings "
                              f"{state['settings']}, not this {self.name} sampler's "
                              f"{self.config}; refit it")
        layout = CodeLayout.from_json(state["layout"])
        self._build(layout, np.zeros(layout.size, np.float32), np.ones(layout.size, np.float32))
        self._checkpoint(self.networks).read(str(directory / WEIGHTS_PREFIX)).assert_consumed()
        self.fit_info = state["fit"]
        return self

    # ------------------------------------------------------------------ fitting

    def _build(self, layout: CodeLayout, mean: np.ndarray, std: np.ndarray) -> None:
        self.layout, self.networks = layout, self._float32_networks(layout)
        self.mean = tf.Variable(mean, trainable=False, name="code_mean")
        self.std = tf.Variable(std, trainable=False, name="code_std")

    def _float32_networks(self, layout: CodeLayout) -> dict:
        """``_networks`` in float32 whatever the global Keras policy (mixed precision training
        sets one): the samplers are small, and their losses need the precision."""
        policy = keras.config.dtype_policy()
        keras.config.set_dtype_policy("float32")
        try:
            return self._networks(layout)
        finally:
            keras.config.set_dtype_policy(policy)

    def _checkpoint(self, networks: dict, **extra) -> tf.train.Checkpoint:
        return tf.train.Checkpoint(networks=networks, mean=self.mean, std=self.std, **extra)

    def _train(self, means: np.ndarray, logvars: np.ndarray, directory, fingerprint: str,
               stop) -> tuple[int, float | None]:
        """The fit's loop: returns (steps trained in all, the last 100 steps' mean loss, None
        when a resumed fit had no step left)."""
        averaged = self.settings["ema_decay"] > 0
        trained = self._float32_networks(self.layout) if averaged else self.networks
        if averaged:
            for average, value in zip(self._variables(self.networks), self._variables(trained)):
                average.assign(value)
        schedule = keras.optimizers.schedules.CosineDecay(self.settings["learning_rate"],
                                                          self.settings["steps"])
        optimizer = keras.optimizers.Adam(schedule)
        optimizer.build(self._variables(trained, trainable=True))
        step = tf.Variable(0, dtype=tf.int64, trainable=False)
        manager = self._resume(directory, fingerprint, self._checkpoint(
            trained, ema=self.networks if averaged else {}, optimizer=optimizer, step=step))
        train_step = tf.function(functools.partial(
            self._train_step, trained, optimizer, tf.constant(means), tf.constant(logvars)))
        losses, deadline = [], perf_counter() + self.max_seconds
        try:
            while int(step) < self.settings["steps"] and perf_counter() < deadline:
                if stop is not None:
                    stop()
                losses = [*losses[-99:], float(train_step(step))]
                step.assign_add(1)
                if manager is not None and int(step) % self.checkpoint_every == 0:
                    manager.save(checkpoint_number=int(step))
        except KeyboardInterrupt as error:
            raise self._interrupted(error, int(step), manager, directory) from None
        if manager is not None:
            manager.save(checkpoint_number=int(step))
        return int(step), round(float(np.mean(losses)), 5) if losses else None

    def _interrupted(self, error: KeyboardInterrupt, step: int, manager,
                     directory) -> FitInterrupted:
        """Checkpoints a stopped fit (with a directory) and says where it stopped."""
        where = ""
        if manager is not None:
            manager.save(checkpoint_number=step)
            where = f"; its progress is saved in {directory}, where fitting it again resumes it"
        return FitInterrupted(
            f"stopped the {self.name} sampler's fit at step {step} of "
            f"{self.settings['steps']}{where}",
            getattr(error, "signal_number", signal.SIGINT))

    def _train_step(self, trained: dict, optimizer, means, logvars, step) -> tf.Tensor:
        """One Adam step on a batch of posterior draws; updates the moving average."""
        seed = tf.stack([tf.cast(self.settings["seed"], tf.int64), step])
        index = tf.random.stateless_uniform([self.settings["batch_size"]], seed,
                                            maxval=tf.shape(means, out_type=tf.int64)[0],
                                            dtype=tf.int64)
        eps = tf.random.stateless_normal([self.settings["batch_size"], self.layout.size],
                                         tf.random.experimental.stateless_fold_in(seed, 1))
        z = tf.gather(means, index) + tf.exp(0.5 * tf.gather(logvars, index)) * eps
        x = (z - self.mean) / self.std
        variables = self._variables(trained, trainable=True)
        with tf.GradientTape() as tape:
            loss = self._loss(trained, x, tf.random.experimental.stateless_fold_in(seed, 2))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        if trained is not self.networks:
            # Warm-up as in TensorFlow's ExponentialMovingAverage with num_updates.
            step_f = tf.cast(step, tf.float32)
            decay = tf.minimum(self.settings["ema_decay"], (1.0 + step_f) / (10.0 + step_f))
            for average, value in zip(self._variables(self.networks), self._variables(trained)):
                average.assign(decay * average + (1.0 - decay) * value)
        return loss

    @staticmethod
    def _variables(networks: dict, trainable: bool = False) -> list:
        """The variables of ``networks`` in a fixed order (by network name)."""
        return [v for key in sorted(networks)
                for v in (networks[key].trainable_variables if trainable
                          else networks[key].variables)]

    def _resume(self, directory, fingerprint: str, state: tf.train.Checkpoint):
        """A checkpoint manager in ``directory/fit`` (None without a directory); restores the
        fit checkpointed there when it had the same ``fingerprint`` (codes and settings)."""
        if directory is None:
            return None
        folder = pathlib.Path(directory) / FIT_DIR
        stamp = folder / FINGERPRINT_FILE
        resume = stamp.is_file() and stamp.read_text(encoding="utf-8") == fingerprint
        if not resume:  # another fit's checkpoint: start afresh
            for pattern in SAVED_FILES:
                if pattern.startswith(f"{FIT_DIR}/"):
                    for path in pathlib.Path(directory).glob(pattern):
                        path.unlink()
            folder.mkdir(parents=True, exist_ok=True)
            fileio.write_text(stamp, fingerprint)
        manager = tf.train.CheckpointManager(state, str(folder), max_to_keep=1)
        if resume and manager.latest_checkpoint:
            state.restore(manager.latest_checkpoint).assert_existing_objects_matched()
            print(f"{self.name} sampler: resuming its fit at step {int(state.step)}", flush=True)
        return manager
