"""plugins.beta_tcvae: the minibatch TC estimate against closed forms, and the objective."""

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf


from acvae.models import build_vae
from plugins import beta_tcvae
from tests.conftest import train_shipped_config


def _posteriors(correlation: float, n: int = 2000, seed: int = 0):
    """Posterior means drawn from N(0, [[1, c], [c, 1]]), every posterior N(mean, 0.5^2 I),
    and one sample z from each: the aggregate posterior is N(0, [[1.25, c], [c, 1.25]])."""
    rng = np.random.default_rng(seed)
    mean = rng.multivariate_normal([0, 0], [[1, correlation], [correlation, 1]], size=n)
    logvar = np.full_like(mean, np.log(0.25))
    z = mean + 0.5 * rng.normal(size=mean.shape)
    return (tf.constant(a, tf.float32) for a in (z, mean, logvar))


def gaussian_total_correlation(correlation: float) -> float:
    """KL(N(0, S) || N(0, diag S)) = -1/2 log det R, R the correlation matrix of S."""
    r = correlation / 1.25
    return -0.5 * np.log(1 - r**2)


def test_tc_is_zero_for_independent_dimensions():
    tc = beta_tcvae.total_correlation(*_posteriors(0.0))
    assert tc.shape == (2000,)
    assert abs(float(tf.reduce_mean(tc))) < 0.03


@pytest.mark.parametrize("correlation", [0.6, 0.9])
def test_tc_matches_the_closed_form_for_correlated_dimensions(correlation):
    tc = float(tf.reduce_mean(beta_tcvae.total_correlation(*_posteriors(correlation))))
    assert tc == pytest.approx(gaussian_total_correlation(correlation), abs=0.04)
    assert tc > 0.1  # well above the independent case


def test_one_image_has_no_total_correlation():
    z, mean, logvar = (tf.random.normal([1, 3], seed=s) for s in (1, 2, 3))
    np.testing.assert_allclose(beta_tcvae.total_correlation(z, mean, logvar), 0.0, atol=1e-5)


def test_the_objective_weighs_tc_by_tc_weight():
    gin.parse_config("encoders.conv.filters = (4, 8)\ndecoders.conv.filters = (4, 8)\n"
                     "models.beta_tcvae.tc_weight = 4.0")
    keras.utils.set_random_seed(0)
    model = build_vae((16, 16), 4, latent_dim=3, model=beta_tcvae.BetaTCVAE)
    terms = model.loss_terms(tf.random.uniform([6, 16, 16, 4]))
    assert set(terms) == set(model.term_names) == {"reconstruction", "kl", "tc"}
    expected = terms["reconstruction"] + 0.5 * (terms["kl"] + 3.0 * terms["tc"])
    np.testing.assert_allclose(model.objective(terms, 0.5), expected, rtol=1e-6)


def test_trains_from_its_config_and_reports_tc(tmp_path):
    run, history = train_shipped_config(tmp_path, "beta_tcvae")
    assert [row["epoch"] for row in history] == [1, 2]
    for row in history:
        assert np.isfinite(row["train_tc"]) and np.isfinite(row["val_tc"])
        assert row["train_loss"] == pytest.approx(
            row["train_reconstruction"] + row["train_kl"] + 5.0 * row["train_tc"], rel=1e-4)
    assert run.model.tc_weight == 6.0
