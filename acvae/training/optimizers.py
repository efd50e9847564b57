"""Keras optimizers and learning-rate schedules registered with gin (``@optimizers.adam()``,
``train.learning_rate_schedule = @schedules.cosine()``).

``gin.tf`` would register the optimizers, but it needs ``tf.estimator`` and fails to import on
TensorFlow >= 2.16, so the project registers the Keras 3 optimizers itself.

A schedule is a registered factory returning ``factor(epoch, n_epochs)``: the multiplier of the
optimizer's configured learning rate for the epoch after ``epoch`` finished ones. ``train`` sets
the rate once per epoch, so it depends only on the epoch and the run's length: a resumed run
continues the same curve, and a run whose ``N_EPOCHS`` grows stretches it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import keras

from acvae.core import registry
from acvae.core.errors import ConfigError

for _name, _cls in (
    ("adam", keras.optimizers.Adam),
    ("adamw", keras.optimizers.AdamW),
    ("sgd", keras.optimizers.SGD),
    ("rmsprop", keras.optimizers.RMSprop),
    ("lion", keras.optimizers.Lion),
):
    registry.register("optimizers", _name)(_cls)


@registry.register("schedules", "cosine")
def cosine(final_fraction: float = 0.01, warmup_epochs: int = 0) -> Callable[[int, int], float]:
    """Cosine decay of the learning rate over the run, after an optional linear warm-up.

    SGDR's cosine annealing (Loshchilov & Hutter 2017) without restarts.

    Args:
      final_fraction: the last epoch's rate as a fraction of the configured one, in [0, 1].
      warmup_epochs: epochs rising linearly to the configured rate before the decay starts.

    Raises:
      ConfigError: ``final_fraction`` outside [0, 1] or a negative ``warmup_epochs``.
    """
    if not 0.0 <= final_fraction <= 1.0 or warmup_epochs < 0:
        raise ConfigError("schedules.cosine needs 0 <= final_fraction <= 1 and warmup_epochs "
                          f">= 0, got {final_fraction} and {warmup_epochs}")

    def factor(epoch: int, n_epochs: int) -> float:
        if epoch < warmup_epochs:
            return (epoch + 1) / (warmup_epochs + 1)
        progress = min(1.0, (epoch - warmup_epochs) / max(1, n_epochs - warmup_epochs - 1))
        return final_fraction + (1.0 - final_fraction) * 0.5 * (1.0 + math.cos(math.pi * progress))

    return factor
