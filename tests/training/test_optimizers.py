"""Tests for acvae.training.optimizers: registered optimizers and the cosine learning-rate schedule."""

import gin
import pytest

from acvae.core.errors import ConfigError
from acvae.training import optimizers


def test_optimizers_are_chosen_by_gin_reference():
    gin.clear_config()
    gin.parse_config(["optimizers.adamw.weight_decay = 0.01"])
    optimizer = gin.get_configurable("optimizers.adamw")()
    assert type(optimizer).__name__ == "AdamW" and optimizer.weight_decay == 0.01
    gin.clear_config()


def test_cosine_falls_from_the_configured_rate_to_the_final_fraction():
    factor = optimizers.cosine(final_fraction=0.1)
    rates = [factor(epoch, 5) for epoch in range(5)]
    assert rates[0] == pytest.approx(1.0) and rates[-1] == pytest.approx(0.1)
    assert rates[2] == pytest.approx(0.55)  # half way: the mean of the two ends
    assert all(a > b for a, b in zip(rates, rates[1:]))
    assert factor(9, 5) == pytest.approx(0.1)  # epochs past the end stay at the floor


def test_cosine_warms_up_linearly_first():
    factor = optimizers.cosine(final_fraction=0.0, warmup_epochs=3)
    assert [factor(epoch, 10) for epoch in range(4)] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert factor(9, 10) == pytest.approx(0.0)


@pytest.mark.parametrize("arguments", [{"final_fraction": 1.5}, {"final_fraction": -0.1},
                                       {"warmup_epochs": -1}])
def test_cosine_refuses_bad_arguments(arguments):
    with pytest.raises(ConfigError, match="schedules.cosine needs"):
        optimizers.cosine(**arguments)
