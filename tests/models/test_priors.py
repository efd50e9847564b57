"""Every registered prior: shapes, seeded sampling, normalised density, KL consistent with it."""

import gin
import numpy as np
import pytest
import tensorflow as tf

from acvae.core import registry
from acvae.models import densities, encoders, priors

NAMES = registry.names("priors")
IMAGE_SHAPE = (8, 8, 3)


def make(name, latent_dim=2, **config):
    encoder = encoders.dense(IMAGE_SHAPE, latent_dim, units=(8,))
    factory = gin.get_configurable(registry.get("priors", name))
    return factory(latent_dim=latent_dim, encoder=encoder, input_shape=IMAGE_SHAPE, **config)


@pytest.mark.parametrize("name", NAMES)
def test_shapes(tiny, name):
    prior = make(name)
    z = tf.random.normal([5, 2])
    mean, logvar = tf.random.normal([5, 2]), tf.random.normal([5, 2]) * 0.1
    assert tuple(prior.kl(mean, logvar, z).shape) == (5,)
    assert tuple(prior.log_prob(z).shape) == (5,)
    assert tuple(prior.sample(7).shape) == (7, 2)


@pytest.mark.parametrize("name", NAMES)
def test_seeded_sampling_is_reproducible(tiny, name):
    prior = make(name)
    first, again, other = prior.sample(6, seed=3), prior.sample(6, seed=3), prior.sample(6, seed=4)
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    assert not np.allclose(first.numpy(), other.numpy())


@pytest.mark.parametrize("name", NAMES)
def test_density_integrates_to_one(tiny, name):
    """In one dimension, exp(log_prob) over a wide grid integrates to ~1."""
    prior = make(name, latent_dim=1)
    grid = np.linspace(-30.0, 30.0, 20001, dtype=np.float32)
    density = np.exp(prior.log_prob(tf.constant(grid[:, None])).numpy())
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=2e-3)


@pytest.mark.parametrize("name", NAMES)
def test_kl_is_consistent_with_log_prob(tiny, name):
    """E_q[kl(mean, logvar, z)] ≈ E_q[log q(z) - log p(z)] with z ~ q (closed form or MC)."""
    prior = make(name)
    n = 20000
    mean = tf.tile(tf.constant([[0.5, -1.0]]), [n, 1])
    logvar = tf.tile(tf.constant([[-1.0, 0.5]]), [n, 1])
    z = mean + tf.exp(0.5 * logvar) * tf.random.stateless_normal([n, 2], seed=(1, 2))
    reference = densities.diagonal_gaussian_log_prob(z, mean, logvar) - prior.log_prob(z)
    kl = prior.kl(mean, logvar, z)
    assert float(tf.reduce_mean(kl)) == pytest.approx(float(tf.reduce_mean(reference)), abs=0.05)


@pytest.mark.parametrize("name", NAMES)
def test_samples_follow_log_prob(tiny, name):
    """The mean of log p over samples from p is the negative entropy; compare with a grid."""
    prior = make(name, latent_dim=1)
    samples = prior.sample(20000, seed=0)
    by_sampling = float(tf.reduce_mean(prior.log_prob(samples)))
    grid = np.linspace(-30.0, 30.0, 20001, dtype=np.float32)
    log_p = prior.log_prob(tf.constant(grid[:, None])).numpy()
    by_grid = np.trapezoid(np.exp(log_p) * log_p, grid)
    assert by_sampling == pytest.approx(by_grid, abs=0.05)


def test_mixture_with_one_component_is_a_gaussian():
    prior = priors.Mixture(3, n_components=1)
    prior.means.assign([[0.0, 1.0, -2.0]])
    prior.logvars.assign([[0.0, 0.3, -0.5]])
    z = tf.random.normal([4, 3])
    expected = densities.diagonal_gaussian_log_prob(z, prior.means[0], prior.logvars[0])
    np.testing.assert_allclose(prior.log_prob(z), expected, rtol=1e-5)


def test_mixture_variables_are_trainable():
    prior = priors.Mixture(2, n_components=4)
    assert sorted(tuple(v.shape) for v in prior.trainable_variables) == [(4,), (4, 2), (4, 2)]


def test_vamp_pseudo_inputs_in_unit_interval_and_trained_with_encoder():
    encoder = encoders.dense(IMAGE_SHAPE, 2, units=(8,))
    prior = priors.Vamp(2, encoder, IMAGE_SHAPE, n_pseudo_inputs=4)
    pseudo = prior.pseudo_inputs.numpy()
    assert pseudo.shape == (4, *IMAGE_SHAPE)
    assert pseudo.min() > 0.4 and pseudo.max() < 0.6
    z = tf.random.normal([3, 2])
    with tf.GradientTape() as tape:
        loss = -tf.reduce_sum(prior.log_prob(z))
    grads = tape.gradient(loss, [prior.pseudo_logits, *encoder.trainable_variables])
    assert all(g is not None for g in grads)


def test_vamp_with_one_pseudo_input_is_its_posterior():
    encoder = encoders.dense(IMAGE_SHAPE, 2, units=(8,))
    prior = priors.Vamp(2, encoder, IMAGE_SHAPE, n_pseudo_inputs=1)
    out = encoder(prior.pseudo_inputs)
    z = tf.random.normal([4, 2])
    expected = densities.diagonal_gaussian_log_prob(z, out[:, :2], out[:, 2:])
    np.testing.assert_allclose(prior.log_prob(z), expected, rtol=1e-5)


def test_standard_normal_kl_is_closed_form():
    prior = priors.StandardNormal(2)
    mean, logvar = tf.constant([[1.0, 0.0]]), tf.constant([[0.0, np.log(2.0)]])
    # 0.5 * (mu^2) + 0.5 * (sigma^2 - 1 - log sigma^2) per dimension.
    expected = 0.5 * 1.0 + 0.5 * (2.0 - 1.0 - np.log(2.0))
    assert float(prior.kl(mean, logvar, tf.zeros([1, 2]))[0]) == pytest.approx(expected, rel=1e-6)
