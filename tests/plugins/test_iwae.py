"""plugins.iwae: K = 1 is the ELBO, and the bound grows with K on a fixed model."""

import math

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf


from acvae.core.errors import ConfigError
from acvae.models import build_vae, priors
from plugins import iwae
from tests.conftest import train_shipped_config

IMAGES = tf.random.stateless_uniform([8, 16, 16, 4], seed=(4, 2))


def iwae_model(n_samples: int, **kwargs):
    gin.parse_config("encoders.conv.filters = (4, 8)\ndecoders.conv.filters = (4, 8)\n"
                     f"models.iwae.n_samples = {n_samples}")
    keras.utils.set_random_seed(0)
    return build_vae((16, 16), 4, latent_dim=3, model=iwae.IWAE, **kwargs)


def test_the_bound_of_known_log_weights():
    log_weights = tf.math.log(tf.constant([[1.0, 2.0], [3.0, 2.0], [5.0, 2.0]]))  # [K=3, B=2]
    np.testing.assert_allclose(iwae.iwae_bound(log_weights), np.log([3.0, 2.0]), rtol=1e-6)


def test_one_sample_is_exactly_the_elbo_with_a_monte_carlo_kl():
    """With one sample and a prior whose KL is log q(z|x) - log p(z) at that sample, -L_1 is
    reconstruction + kl of the same draw."""
    model = iwae_model(1, prior=priors.Mixture)
    terms = model.loss_terms(IMAGES)
    np.testing.assert_allclose(terms["iwae"], terms["reconstruction"] + terms["kl"], rtol=1e-5)
    np.testing.assert_allclose(model.objective(terms, 1.0), terms["iwae"])


def test_one_sample_is_the_elbo_in_expectation():
    model = iwae_model(1)
    draws = [model.loss_terms(IMAGES) for _ in range(300)]
    bound = np.mean([d["iwae"] for d in draws], axis=0)
    elbo = np.mean([d["reconstruction"] + d["kl"] for d in draws], axis=0)
    np.testing.assert_allclose(bound, elbo, rtol=1e-4)


def test_the_bound_grows_with_k_on_a_fixed_model():
    """A posterior wider than the prior (variance 9) makes the weights vary, so each larger K
    tightens -L_K by well over its noise (measured: 717.1, 711.4, 710.0, each +-0.6 at most)."""
    model = iwae_model(1)
    posterior = model.encoder.get_layer("posterior")
    posterior.bias.assign(tf.concat([tf.zeros([3]), tf.fill([3], math.log(9.0))], 0))
    bounds = []
    for k in (1, 4, 32):
        model.n_samples = k
        bounds.append(np.mean([np.mean(model.loss_terms(IMAGES)["iwae"]) for _ in range(20)]))
    assert bounds[0] > bounds[1] + 2.0 and bounds[1] > bounds[2] + 0.7, bounds  # -L_K falls


def test_the_objective_discounts_the_kl_like_the_elbo_during_warm_up():
    model = iwae_model(3)
    terms = model.loss_terms(IMAGES, training=True)
    assert set(terms) == {"reconstruction", "kl", "iwae"}
    np.testing.assert_allclose(model.objective(terms, 0.25),
                               terms["iwae"] - 0.75 * terms["kl"], rtol=1e-6)


def test_no_samples_is_one_config_error():
    with pytest.raises(ConfigError, match="models.iwae.n_samples must be an integer >= 1"):
        iwae.IWAE(n_samples=0, latent_dim=2)


def test_trains_from_its_config_and_reports_the_bound(tmp_path):
    _, history = train_shipped_config(tmp_path, "iwae")
    for row in history:
        assert row["train_loss"] == pytest.approx(row["train_iwae"], rel=1e-6)
        assert np.isfinite(row["val_iwae"])
