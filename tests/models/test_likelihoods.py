"""Every registered likelihood: shapes, means in [0, 1], normalisation, alpha weighting."""

import math

import gin
import numpy as np
import pytest
import tensorflow as tf

from acvae.core import registry
from acvae.models import likelihoods

NAMES = registry.names("likelihoods")


def make(name, n_channels, **config):
    return gin.get_configurable(registry.get("likelihoods", name))(n_channels=n_channels, **config)


def batch(channels, shape=(4, 6), n=3, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.uniform(size=(n, *shape, channels)).astype(np.float32)
    return tf.constant(images)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_shapes_and_mean_range(name, channels):
    likelihood = make(name, channels)
    per_channel = likelihood.params_per_channel
    assert isinstance(per_channel, int) and per_channel >= 1
    images = batch(channels)
    params = tf.random.normal([3, 4, 6, channels * per_channel], stddev=5.0)
    log_prob = likelihood.log_prob(images, params)
    mean = likelihood.mean(params).numpy()
    assert tuple(log_prob.shape) == (3,)
    assert np.isfinite(log_prob.numpy()).all()
    assert mean.shape == (3, 4, 6, channels)
    assert mean.min() >= 0.0 and mean.max() <= 1.0


@pytest.mark.parametrize("name", NAMES)
def test_alpha_weighting_needs_four_channels(name):
    with pytest.raises(ValueError, match="alpha_weighting needs 4-channel") as info:
        make(name, 3, alpha_weighting=0.1)
    assert "alpha_weighting needs 4-channel" in str(info.value).splitlines()[0]


ADDITIVE = [name for name in NAMES if name != "sigma_vae"]  # sums of per-element terms


def channel_params(likelihood, params, c):
    """The parameters of channel ``c`` alone (every parameter group keeps its c-th slice)."""
    channels = likelihood.n_channels
    return tf.concat([params[..., g * channels + c: g * channels + c + 1]
                      for g in range(likelihood.params_per_channel)], axis=-1)


@pytest.mark.parametrize("name", ADDITIVE)
def test_alpha_weighting(name):
    """Weight 1 changes nothing; weight w scales the colour terms of transparent pixels by w
    and leaves their alpha terms (the outline) whole."""
    images = batch(4).numpy()
    images[:, :, :3, 3] = 0.0  # left half transparent
    images[:, :, 3:, 3] = 1.0  # right half opaque
    images = tf.constant(images)
    likelihood = make(name, 4)
    params = tf.random.normal([3, 4, 6, 4 * likelihood.params_per_channel])
    plain = likelihood.log_prob(images, params).numpy()
    np.testing.assert_allclose(make(name, 4, alpha_weighting=1.0).log_prob(images, params), plain,
                               rtol=1e-5)
    one = make(name, 1)
    terms = {(c, half): one.log_prob(images[:, :, cols, c:c + 1],
                                     channel_params(likelihood, params, c)[:, :, cols]).numpy()
             for c in range(4) for half, cols in (("left", slice(0, 3)), ("right", slice(3, 6)))}
    expected = sum(0.25 * terms[(c, "left")] if c < 3 else terms[(c, "left")] for c in range(4))
    expected += sum(terms[(c, "right")] for c in range(4))
    weighted = make(name, 4, alpha_weighting=0.25).log_prob(images, params).numpy()
    np.testing.assert_allclose(weighted, expected, rtol=1e-4)


def test_sigma_vae_is_the_gaussian_at_the_weighted_mse():
    images = batch(4).numpy()
    images[..., 3] = np.where(np.arange(6) < 3, 0.0, 1.0)  # left half transparent
    params = tf.random.normal([3, 4, 6, 4], seed=2)
    mean = 1.0 / (1.0 + np.exp(-params.numpy()))
    got = make("sigma_vae", 4, alpha_weighting=0.5).log_prob(tf.constant(images), params).numpy()
    weights = np.ones_like(images)
    weights[..., :3] = 0.5 + 0.5 * images[..., 3:4]
    squared = (images - mean) ** 2
    for b in range(3):
        expected = 0.0
        for c in range(4):
            w, e = weights[b, ..., c], squared[b, ..., c]
            sigma2 = (w * e).sum() / w.sum()
            expected += np.sum(w * (-0.5 * np.log(2 * np.pi * sigma2) - e / (2 * sigma2)))
        assert got[b] == pytest.approx(expected, rel=1e-4)


def test_bernoulli_matches_numpy():
    images = batch(3)
    logits = tf.random.normal([3, 4, 6, 3], seed=1)
    x, p = images.numpy(), 1.0 / (1.0 + np.exp(-logits.numpy()))
    expected = (x * np.log(p) + (1 - x) * np.log(1 - p)).sum(axis=(1, 2, 3))
    got = likelihoods.Bernoulli(3).log_prob(images, logits).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4)


@pytest.mark.parametrize("cls", [likelihoods.Gaussian, likelihoods.LearnedGaussian])
def test_gaussian_matches_numpy(cls):
    images = batch(1)
    params = tf.random.normal([3, 4, 6, 1], seed=2)
    mu = 1.0 / (1.0 + np.exp(-params.numpy()))
    sigma = 0.1
    pointwise = -0.5 * math.log(2 * math.pi) - math.log(sigma) - (images.numpy() - mu) ** 2 / (
        2 * sigma**2
    )
    got = cls(1).log_prob(images, params).numpy()
    np.testing.assert_allclose(got, pointwise.sum(axis=(1, 2, 3)), rtol=1e-4)


def test_gaussian_density_integrates_to_one():
    """Per pixel, exp(log_prob) over a fine grid of targets integrates to ~1."""
    grid = np.linspace(-1.0, 2.0, 30001, dtype=np.float32)
    images = tf.constant(grid.reshape(-1, 1, 1, 1))
    params = tf.zeros_like(images)
    density = np.exp(likelihoods.Gaussian(1, sigma=0.2).log_prob(images, params).numpy())
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-3)


def test_learned_sigma_is_trainable_and_bounded():
    likelihood = likelihoods.LearnedGaussian(3, min_sigma=0.05)
    assert len(likelihood.trainable_variables) == 1
    images, params = batch(3), tf.zeros([3, 4, 6, 3])
    with tf.GradientTape() as tape:
        loss = -tf.reduce_sum(likelihood.log_prob(images, params))
    (grad,) = tape.gradient(loss, likelihood.trainable_variables)
    assert grad is not None and tuple(grad.shape) == (3,)
    likelihood.raw_log_sigma.assign([-10.0, -10.0, -10.0])
    np.testing.assert_allclose(np.exp(likelihood.log_sigma.numpy()), 0.05, rtol=1e-5)


def test_gaussian_rejects_bad_sigma():
    with pytest.raises(ValueError, match="sigma must be > 0"):
        likelihoods.Gaussian(3, sigma=0.0)
