"""plugins.info_vae: the MMD against a hand computation, and InfoVAE's weights."""

import itertools

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf


from acvae.core.errors import ConfigError
from acvae.models import build_vae
from plugins import info_vae
from tests.conftest import train_shipped_config


def hand_mmd(x, y, kernel, scales):
    """The unbiased MMD^2 by loops over every pair, C = 2 L s."""
    dim = len(x[0])

    def k(a, b):
        squared = sum((ai - bi) ** 2 for ai, bi in zip(a, b))
        return sum(np.exp(-squared / (2 * dim * s)) if kernel == "rbf"
                   else 2 * dim * s / (2 * dim * s + squared) for s in scales)

    def within(points):
        pairs = list(itertools.permutations(range(len(points)), 2))
        return sum(k(points[i], points[j]) for i, j in pairs) / len(pairs)

    cross = sum(k(a, b) for a in x for b in y) / (len(x) * len(y))
    return within(x) + within(y) - 2 * cross


@pytest.mark.parametrize("kernel, scales", [("rbf", (1.0,)), ("imq", info_vae.WAE_SCALES),
                                            ("rbf", (0.5, 3.0))])
def test_mmd_matches_a_hand_computation(kernel, scales):
    x = [[0.0, 1.0, 2.0], [1.0, -1.0, 0.5], [0.3, 0.2, -2.0]]
    y = [[2.0, 0.0, 0.0], [-1.0, 1.0, 1.0], [0.0, 0.0, 0.1], [1.5, 1.5, -0.5]]
    got = info_vae.mmd(tf.constant(x, tf.float64), tf.constant(y, tf.float64), kernel, scales)
    assert float(got) == pytest.approx(hand_mmd(x, y, kernel, scales), rel=1e-10)


@pytest.mark.parametrize("kernel", info_vae.KERNELS)
def test_mmd_is_near_zero_for_one_distribution_and_not_for_two(kernel):
    rng = np.random.default_rng(0)
    draw = lambda shift: tf.constant(rng.normal(size=(400, 4)) + shift, tf.float32)  # noqa: E731
    same = float(info_vae.mmd(draw(0.0), draw(0.0), kernel, (1.0,)))
    shifted = float(info_vae.mmd(draw(1.0), draw(0.0), kernel, (1.0,)))
    assert abs(same) < 0.01 and shifted > 0.1


def test_weights_of_kl_and_mmd():
    gin.parse_config("encoders.conv.filters = (4, 8)\ndecoders.conv.filters = (4, 8)\n"
                     "models.info_vae.alpha = 0.25\nmodels.info_vae.divergence_weight = 10.0")
    keras.utils.set_random_seed(0)
    model = build_vae((16, 16), 4, latent_dim=3, model=info_vae.InfoVAE)
    terms = model.loss_terms(tf.random.uniform([6, 16, 16, 4]))
    assert set(terms) == {"reconstruction", "kl", "mmd"}
    assert len(set(terms["mmd"].numpy())) == 1  # the batch's estimate, for every image
    expected = terms["reconstruction"] + 0.5 * 0.75 * terms["kl"] + 9.25 * terms["mmd"]
    np.testing.assert_allclose(model.objective(terms, 0.5), expected, rtol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"alpha": 0.0, "divergence_weight": 0.5}, "alpha \\+ divergence_weight - 1 must be >= 0"),
    ({"kernel": "laplace"}, "kernel must be one of rbf, imq, got 'laplace'"),
    ({"alpha": 1.5}, "models.info_vae.alpha must be a number <= 1"),
])
def test_bad_settings_are_one_config_error(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        info_vae.InfoVAE(latent_dim=2, **kwargs)


def test_trains_from_its_config_and_reports_the_mmd(tmp_path):
    _, history = train_shipped_config(tmp_path, "info_vae")
    for row in history:
        assert np.isfinite(row["train_mmd"]) and np.isfinite(row["val_mmd"])
        assert row["train_loss"] == pytest.approx(
            row["train_reconstruction"] + row["train_kl"] + 99.0 * row["train_mmd"], rel=1e-4)
