"""plugins.wae_mmd: InfoVAE with alpha = 1 and WAE's inverse multiquadric kernel."""

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf


from acvae.core.errors import ConfigError
from acvae.models import build_vae
from plugins import info_vae, wae_mmd
from tests.conftest import train_shipped_config


def test_the_objective_is_reconstruction_plus_lambda_mmd_without_kl():
    gin.parse_config("encoders.conv.filters = (4, 8)\ndecoders.conv.filters = (4, 8)\n"
                     "models.wae_mmd.divergence_weight = 7.0")
    keras.utils.set_random_seed(0)
    model = build_vae((16, 16), 4, latent_dim=3, model=wae_mmd.WAEMMD)
    assert (model.kernel, model.scales) == ("imq", info_vae.WAE_SCALES)
    terms = model.loss_terms(tf.random.uniform([6, 16, 16, 4]))
    assert float(tf.reduce_min(terms["kl"])) > 0  # reported for the ELBO, not trained on
    np.testing.assert_allclose(model.objective(terms, 0.3),
                               terms["reconstruction"] + 7.0 * terms["mmd"], rtol=1e-6)


def test_the_mmd_term_is_the_batch_estimate_against_prior_draws():
    """With a prior whose draws are fixed, the term equals the MMD computed by hand."""
    gin.parse_config("encoders.conv.filters = (4, 8)\ndecoders.conv.filters = (4, 8)")
    model = build_vae((16, 16), 4, latent_dim=2, model=wae_mmd.WAEMMD)
    z, draws = tf.random.normal([5, 2], seed=1), tf.random.normal([5, 2], seed=2)
    model.prior.sample = lambda n, seed=None: draws
    terms = model.regulariser(z, tf.zeros_like(z), z)
    expected = info_vae.mmd(z, draws, "imq", info_vae.WAE_SCALES)
    np.testing.assert_allclose(terms["mmd"], np.full(5, float(expected)), rtol=1e-6)


def test_a_negative_lambda_names_wae():
    with pytest.raises(ConfigError, match="models.wae_mmd.divergence_weight must be a number"):
        wae_mmd.WAEMMD(divergence_weight=-1.0, latent_dim=2)


def test_trains_from_its_config(tmp_path):
    _, history = train_shipped_config(tmp_path, "wae_mmd")
    for row in history:
        assert row["train_loss"] == pytest.approx(
            row["train_reconstruction"] + 100.0 * row["train_mmd"], rel=1e-4)
        assert row["val_elbo"] == pytest.approx(-(row["val_reconstruction"] + row["val_kl"]))
