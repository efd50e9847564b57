"""plugins.dip_vae: the covariance penalties of DIP-VAE I and II against hand computations."""

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf


from acvae.core.errors import ConfigError
from acvae.models import build_vae
from plugins import dip_vae
from tests.conftest import train_shipped_config

# four posterior means whose batch covariance (1/M) is exactly the identity
UNIT = tf.constant([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]]) + [3.0, -2.0]


def test_covariances_match_numpy():
    rng = np.random.default_rng(0)
    mean, logvar = rng.normal(size=(7, 3)), rng.normal(size=(7, 3))
    first = dip_vae.code_covariance(tf.constant(mean), tf.constant(logvar), 1)
    np.testing.assert_allclose(first, np.cov(mean, rowvar=False, bias=True), rtol=1e-10)
    second = dip_vae.code_covariance(tf.constant(mean), tf.constant(logvar), 2)
    np.testing.assert_allclose(second, first + np.diag(np.exp(logvar).mean(0)), rtol=1e-10)


def test_means_with_identity_covariance_cost_nothing_in_dip_vae_i():
    covariance = dip_vae.code_covariance(UNIT, tf.zeros_like(UNIT), 1)
    np.testing.assert_allclose(covariance, np.eye(2), atol=1e-6)
    assert float(dip_vae.covariance_penalty(covariance, 10.0, 100.0)) == pytest.approx(0.0,
                                                                                        abs=1e-5)


def test_dip_vae_ii_adds_the_posterior_variances():
    """Posterior variances of 1/2 make the diagonal 1.5: penalty lambda_d * 2 * 0.5^2."""
    covariance = dip_vae.code_covariance(UNIT, tf.fill(UNIT.shape, float(np.log(0.5))), 2)
    np.testing.assert_allclose(covariance, 1.5 * np.eye(2), atol=1e-6)
    assert float(dip_vae.covariance_penalty(covariance, 3.0, 7.0)) == pytest.approx(7.0 * 0.5)


def test_off_diagonal_and_diagonal_weights():
    covariance = tf.constant([[2.0, 0.5], [0.5, 1.0]])
    # lambda_od * (0.5^2 + 0.5^2) + lambda_d * ((2 - 1)^2 + 0^2)
    assert float(dip_vae.covariance_penalty(covariance, 4.0, 3.0)) == pytest.approx(
        4.0 * 0.5 + 3.0 * 1.0)


@pytest.mark.parametrize("variant, factor", [(1, 10.0), (2, 1.0)])
def test_the_objective_adds_the_batch_penalty(variant, factor):
    gin.parse_config("encoders.conv.filters = (4, 8)\ndecoders.conv.filters = (4, 8)\n"
                     f"models.dip_vae.variant = {variant}\nmodels.dip_vae.lambda_od = 2.0")
    keras.utils.set_random_seed(0)
    model = build_vae((16, 16), 4, latent_dim=3, model=dip_vae.DIPVAE)
    assert model.lambda_d == 2.0 * factor  # disentanglement_lib's lambda_d / lambda_od
    images = tf.random.uniform([6, 16, 16, 4])
    terms = model.loss_terms(images)
    mean, logvar = model.encode(images)
    penalty = dip_vae.covariance_penalty(dip_vae.code_covariance(mean, logvar, variant), 2.0,
                                         2.0 * factor)
    np.testing.assert_allclose(terms["dip"], np.full(6, float(penalty)), rtol=1e-5)
    np.testing.assert_allclose(model.objective(terms, 0.5), terms["reconstruction"]
                               + 0.5 * terms["kl"] + terms["dip"], rtol=1e-6)


def test_an_unknown_variant_is_one_config_error():
    with pytest.raises(ConfigError, match="models.dip_vae.variant must be one of 1, 2"):
        dip_vae.DIPVAE(variant=3, latent_dim=2)


def test_trains_from_its_config_and_reports_the_penalty(tmp_path):
    _, history = train_shipped_config(tmp_path, "dip_vae")
    for row in history:
        assert row["train_dip"] > 0 and np.isfinite(row["val_dip"])
        assert row["train_loss"] == pytest.approx(
            row["train_reconstruction"] + row["train_kl"] + row["train_dip"], rel=1e-4)
