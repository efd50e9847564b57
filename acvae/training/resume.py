"""Resuming a run under a changed config: what is applied, what is refused, what needs a flag.

A run's checkpoints were trained with one setup, recorded in ``RUN/setup.json``
(``RunFolder.write_setup``) when training starts and compared when it resumes
(``Resumption``):

- the image shape, the channels and the latent size size the weights: a change is refused in
  one line naming the old and new values and saying to start a fresh run (a new ``--run_dir``);
- the optimizer's type and the dataset (its items, labels, images and split,
  ``InputData.fingerprint`` and ``content``) are refused the same way unless ``allow_change``
  (``python -m acvae.main --allow_config_change``). Then training goes on from the saved
  weights with a fresh optimizer state if the optimizer changed (another optimizer's slots do
  not mean the same thing), and, if the dataset changed, the unfinished epoch starts over and
  the best checkpoint is chosen anew (validation ELBOs of two datasets do not compare), early
  stopping's count with it;
- everything else applies as configured, without a flag: batch size, beta, warm-up, epochs,
  visualisers and every optimizer hyper-parameter. Keras keeps the learning rate in a
  variable that checkpoints save, so ``Resumption.restore`` puts the configured value back
  after restoring and says so when it differs from the saved one.
"""

from __future__ import annotations

import tensorflow as tf

from acvae.core.errors import ConfigError
from acvae.data import content
from acvae.models.learned_samplers import CodeLayout
from acvae.runs import run_folder

WEIGHT_SHAPES = ("image_shape", "n_channels", "latent_dim", "latent_map")
ALLOWED_WITH_FLAG = ("optimizer", "dataset", "data")
FLAG = "--allow_config_change"


def optimizer_name(optimizer) -> str:
    """The optimizer's class, with the one it wraps: ``"LossScaleOptimizer(Adam)"``."""
    inner = getattr(optimizer, "inner_optimizer", None)
    name = type(optimizer).__name__
    return f"{name}({optimizer_name(inner)})" if inner is not None else name


def describe(data, model, optimizer) -> dict:
    """What a run's checkpoints depend on: weight shapes, optimizer type and dataset.

    Args:
      data: the ``InputData``.
      model: the VAE: its ``latent_dim``, the whole code's size, and its ``latent_map``
        (h x w x c, or "none"; ``CodeLayout``), the part of the code that is a map.
      optimizer: the Keras optimizer training uses.
    """
    setup = {"image_shape": "x".join(map(str, data.image_shape)), "n_channels": data.n_channels,
             "latent_dim": int(model.latent_dim),
             "latent_map": CodeLayout.of(model, model.latent_dim).map_name,
             "optimizer": optimizer_name(optimizer), "dataset": data.description}
    if data.content:  # what the data holds (acvae.data.content), for the post-hoc tools
        setup["data"] = data.content
    return setup


def _difference(key: str, before, now) -> str | None:
    """One setup entry's change in words, None when it did not change (``"data"``: what
    ``acvae.data.content.changes`` finds, so the same items in other files are no change)."""
    if key == "data":
        changes = content.changes(before, now)
        return "data: " + ", ".join(changes) if changes else None
    return f"{key} {before} -> {now}" if before != now else None


class Resumption:
    """The start of a ``train`` call on a run folder: the setup check, then the restore.

    Args:
      folder: the run folder (locked by the caller when ``record``).
      setup: the current setup (``describe``).
      allow_change: continue when only ``ALLOWED_WITH_FLAG`` entries differ.
      record: write the setup once restored (the chief; other workers only check).

    Attributes:
      changed: the names of the setup entries that differ (all in ``ALLOWED_WITH_FLAG``).

    Raises:
      ConfigError: a weight shape differs, or the optimizer or dataset does without
        ``allow_change`` (one line naming the old and new values).
    """

    def __init__(self, folder: run_folder.RunFolder, setup: dict, allow_change: bool = False,
                 record: bool = True):
        self.folder, self.setup, self.record = folder, setup, record
        self.before = folder.read_setup() if folder.has_checkpoint() else None
        self.changed = {key for key in setup if self.before is not None and key in self.before
                        and _difference(key, self.before[key], setup[key])}
        if not self.changed:
            return
        differences = "; ".join(_difference(key, self.before[key], setup[key])
                                for key in setup if key in self.changed)
        fresh = "to start a fresh run instead, give a new --run_dir"
        if self.changed & set(WEIGHT_SHAPES):
            raise ConfigError(f"{folder.path} was trained with another setup ({differences}); "
                              f"its weights do not fit this config: {fresh}")
        if not allow_change:
            raise ConfigError(f"{folder.path} was trained with another setup ({differences}); "
                              f"{fresh}, or pass {FLAG} to continue from its weights (with a "
                              "fresh optimizer state if the optimizer changed)")
        print(f"note: continuing {folder.path} with a changed setup ({differences})", flush=True)

    def restore(self, state: tf.train.Checkpoint, scheduled: bool = False) -> int:
        """Restores the latest checkpoint into ``state`` (``run_folder.checkpoint_state``), puts
        the configured learning rate back and records the setup; returns the finished epochs
        (0 for a new run). ``scheduled``: the rate follows ``train.learning_rate_schedule``
        from the configured one, so a saved rate that differs is no news.

        The optimizer state is not restored after an ``"optimizer"`` change, nor an unfinished
        epoch or early stopping's count (``stalled``) after a ``"dataset"`` change.

        Raises:
          ConfigError: the checkpoint does not fit the model (a run without ``setup.json``).
        """
        keep = ["model", "epoch", "n_epochs"]
        if "optimizer" not in self.changed:
            keep.append("optimizer")
        if not {"dataset", "data"} & self.changed:
            keep += ["step", "partial", "stalled"]
        optimizer = getattr(state.optimizer, "inner_optimizer", state.optimizer)
        configured = learning_rate(optimizer)
        restored = self.folder.restore(
            tf.train.Checkpoint(**{key: getattr(state, key) for key in keep}))
        if restored:
            saved = learning_rate(optimizer)
            if configured is not None and saved != configured:
                optimizer.learning_rate = configured
                if not scheduled:
                    print(f"note: learning rate {configured:.6g} as configured (the checkpoint "
                          f"had {saved:.6g})", flush=True)
        if self.record and (self.before is None or self.changed):
            self.folder.write_setup(self.setup)
        return int(state.epoch.numpy()) if restored else 0


def learning_rate(optimizer) -> float | None:
    """The optimizer's learning rate, or None when a schedule computes it from the step."""
    value = optimizer.get_config()["learning_rate"]  # a schedule's is a dict
    return float(value) if isinstance(value, (int, float)) else None
