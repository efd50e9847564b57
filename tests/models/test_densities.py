"""Numeric tests of acvae.models.densities against closed forms and hand-derived numpy values."""

import math

import numpy as np
import pytest
import tensorflow as tf

from acvae.models import densities


def test_gaussian_kl_standard_normal_closed_form():
    mean = np.array([[0.0, 0.0], [1.0, -2.0]], np.float32)
    logvar = np.array([[0.0, 0.0], [np.log(0.5), np.log(3.0)]], np.float32)
    var = np.exp(logvar)
    expected = 0.5 * (mean**2 + var - 1.0 - logvar).sum(axis=1)
    got = densities.gaussian_kl_standard_normal(tf.constant(mean), tf.constant(logvar)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert got[0] == 0.0


def test_gaussian_kl_matches_monte_carlo():
    mean, logvar = tf.constant([[0.7, -0.3, 1.5]]), tf.constant([[-0.5, 0.4, 0.0]])
    n = 200000
    z = mean + tf.exp(0.5 * logvar) * tf.random.stateless_normal([n, 3], seed=(0, 1))
    zeros = tf.zeros_like(z)
    log_q = densities.diagonal_gaussian_log_prob(z, tf.tile(mean, [n, 1]), tf.tile(logvar, [n, 1]))
    log_p = densities.diagonal_gaussian_log_prob(z, zeros, zeros)
    mc = float(tf.reduce_mean(densities.monte_carlo_kl(log_q, log_p)))
    closed = float(densities.gaussian_kl_standard_normal(mean, logvar)[0])
    assert mc == pytest.approx(closed, abs=0.02)


def test_diagonal_gaussian_log_prob_matches_numpy_and_broadcasts():
    z = np.array([[0.5, -1.0], [2.0, 0.0]], np.float32)
    mean = np.array([[0.0, 1.0], [1.0, 1.0], [-1.0, 0.5]], np.float32)
    logvar = np.array([[0.0, 0.5], [-1.0, 0.0], [0.2, 0.2]], np.float32)
    table = densities.diagonal_gaussian_log_prob(z[:, None], mean[None], logvar[None]).numpy()
    assert table.shape == (2, 3)
    var = np.exp(logvar)
    for b in range(2):
        for k in range(3):
            expected = np.sum(
                -0.5 * np.log(2 * np.pi * var[k]) - (z[b] - mean[k]) ** 2 / (2 * var[k])
            )
            assert table[b, k] == pytest.approx(expected, rel=1e-5)


def test_log_mean_exp_is_stable():
    x = tf.constant([[1000.0, 1000.0, 1000.0 + math.log(4.0)]])
    assert float(densities.log_mean_exp(x)[0]) == pytest.approx(1000.0 + math.log(2.0), abs=1e-3)


def test_mixture_log_prob():
    z = tf.constant([[0.3, -0.2], [1.0, 2.0]])
    one = densities.mixture_log_prob(z, tf.zeros([1]), tf.constant([[0.1, 0.2]]),
                                  tf.constant([[0.0, -0.5]]))
    gauss = densities.diagonal_gaussian_log_prob(z, tf.constant([0.1, 0.2]), tf.constant([0.0, -0.5]))
    np.testing.assert_allclose(one, gauss, rtol=1e-6)
    # Two identical components with any weights equal one component.
    means, logvars = tf.constant([[0.1, 0.2]] * 2), tf.constant([[0.0, -0.5]] * 2)
    two = densities.mixture_log_prob(z, tf.constant([3.0, -1.0]), means, logvars)
    np.testing.assert_allclose(two, gauss, rtol=1e-5)
    # Weighted sum of densities, by hand.
    logits = tf.constant([0.0, math.log(3.0)])  # weights 1/4, 3/4
    means = tf.constant([[0.0, 0.0], [1.0, 1.0]])
    logvars = tf.zeros([2, 2])
    pdfs = np.exp(
        [densities.diagonal_gaussian_log_prob(z, means[k], logvars[k]).numpy() for k in range(2)]
    )
    expected = np.log(0.25 * pdfs[0] + 0.75 * pdfs[1])
    np.testing.assert_allclose(densities.mixture_log_prob(z, logits, means, logvars), expected,
                               rtol=1e-5)


def test_bernoulli_log_prob_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(2, 3, 4, 1)).astype(np.float32)
    logits = rng.normal(size=(2, 3, 4, 1)).astype(np.float32) * 3
    p = 1 / (1 + np.exp(-logits))
    expected = (x * np.log(p) + (1 - x) * np.log1p(-p)).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(densities.bernoulli_log_prob(x, logits), expected, rtol=1e-5)
    weights = rng.uniform(size=(2, 3, 4, 1)).astype(np.float32)
    weighted = (weights * (x * np.log(p) + (1 - x) * np.log1p(-p))).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(densities.bernoulli_log_prob(x, logits, weights), weighted, rtol=1e-5)


def test_bernoulli_log_prob_is_finite_for_extreme_logits():
    x = tf.constant([[0.0, 1.0]])
    assert np.isfinite(densities.bernoulli_log_prob(x, tf.constant([[1e4, -1e4]])).numpy()).all()


def test_gaussian_log_prob_matches_numpy():
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(3, 2, 2, 3)).astype(np.float32)
    mean = rng.uniform(size=(3, 2, 2, 3)).astype(np.float32)
    log_sigma = np.log(np.array([0.1, 0.2, 0.5], np.float32))
    sigma = np.exp(log_sigma)
    expected = (
        -0.5 * np.log(2 * np.pi * sigma**2) - (x - mean) ** 2 / (2 * sigma**2)
    ).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(densities.gaussian_log_prob(x, mean, log_sigma), expected, rtol=1e-5)
    scalar = densities.gaussian_log_prob(x, mean, math.log(0.1)).numpy()
    expected = (-0.5 * np.log(2 * np.pi * 0.01) - (x - mean) ** 2 / 0.02).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(scalar, expected, rtol=1e-5)


@pytest.mark.parametrize(
    "epoch, warmup, expected",
    [(0, 0, 2.0), (5, 0, 2.0), (0, 4, 0.0), (1, 4, 0.5), (2, 4, 1.0), (4, 4, 2.0),
     (10, 4, 2.0), (0.5, 1, 1.0)],
)
def test_kl_warmup_beta(epoch, warmup, expected):
    value = densities.kl_warmup_beta(epoch, beta=2.0, warmup_epochs=warmup)
    assert isinstance(value, float) and value == pytest.approx(expected)


def test_kl_warmup_beta_rejects_negative():
    with pytest.raises(ValueError, match="warmup_epochs >= 0"):
        densities.kl_warmup_beta(1, 1.0, -1)


def test_optimal_sigma_gaussian_is_the_gaussian_at_the_mse():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(2, 4, 3, 2)).astype(np.float32)
    mean = rng.uniform(size=x.shape).astype(np.float32)
    got = densities.optimal_sigma_gaussian_log_prob(tf.constant(x), tf.constant(mean)).numpy()
    for b in range(2):
        expected = 0.0
        for c in range(2):
            sigma2 = np.mean((x[b, ..., c] - mean[b, ..., c]) ** 2)
            expected += np.sum(-0.5 * np.log(2 * np.pi * sigma2)
                               - (x[b, ..., c] - mean[b, ..., c]) ** 2 / (2 * sigma2))
        assert got[b] == pytest.approx(expected, rel=1e-5)
    # sigma* maximises the Gaussian likelihood: any fixed sigma gives less
    for sigma in (0.05, 0.2, 0.5):
        fixed = densities.gaussian_log_prob(tf.constant(x), tf.constant(mean), np.log(sigma)).numpy()
        assert np.all(fixed <= got + 1e-4)


def test_one_optimal_sigma_per_image_pools_the_channels():
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(2, 4, 3, 2)).astype(np.float32)
    mean = rng.uniform(size=x.shape).astype(np.float32)
    got = densities.optimal_sigma_gaussian_log_prob(tf.constant(x), tf.constant(mean),
                                                 per_channel=False).numpy()
    for b in range(2):
        sigma2 = np.mean((x[b] - mean[b]) ** 2)
        expected = np.sum(-0.5 * np.log(2 * np.pi * sigma2)
                          - (x[b] - mean[b]) ** 2 / (2 * sigma2))
        assert got[b] == pytest.approx(expected, rel=1e-5)
    per_channel = densities.optimal_sigma_gaussian_log_prob(tf.constant(x), tf.constant(mean))
    assert np.all(got <= per_channel.numpy() + 1e-4)  # fewer free sigmas: a lower maximum


def test_optimal_sigma_over_the_batch_is_one_gaussian_for_all_its_images():
    rng = np.random.default_rng(2)
    x = rng.uniform(size=(3, 4, 3, 2)).astype(np.float32)
    mean = rng.uniform(size=x.shape).astype(np.float32)
    got = densities.optimal_sigma_gaussian_log_prob(tf.constant(x), tf.constant(mean),
                                                 per_channel=False, over_batch=True).numpy()
    sigma2 = np.mean((x - mean) ** 2)  # one sigma, fitted to every pixel of the batch
    for b in range(3):
        expected = np.sum(-0.5 * np.log(2 * np.pi * sigma2)
                          - (x[b] - mean[b]) ** 2 / (2 * sigma2))
        assert got[b] == pytest.approx(expected, rel=1e-5)
    per_image = densities.optimal_sigma_gaussian_log_prob(tf.constant(x), tf.constant(mean),
                                                       per_channel=False).numpy()
    assert got.sum() <= per_image.sum() + 1e-3  # one free sigma for all: a lower maximum
    by_channel = densities.optimal_sigma_gaussian_log_prob(tf.constant(x), tf.constant(mean),
                                                        over_batch=True).numpy()
    sigma2 = np.mean((x - mean) ** 2, axis=(0, 1, 2))  # [C]
    expected = np.sum(-0.5 * np.log(2 * np.pi * sigma2) - (x - mean) ** 2 / (2 * sigma2),
                      axis=(1, 2, 3))
    assert by_channel == pytest.approx(expected, rel=1e-5)


def test_optimal_sigma_respects_weights_and_its_lower_bound():
    x = tf.zeros([1, 2, 2, 1])
    exact = densities.optimal_sigma_gaussian_log_prob(x, x, min_sigma=0.01).numpy()[0]
    assert exact == pytest.approx(-0.5 * 4 * (np.log(2 * np.pi * 1e-4)), rel=1e-5)
    mean = tf.constant([[[[0.0], [1.0]], [[0.0], [0.0]]]])
    weights = tf.constant([[[[1.0], [0.0]], [[1.0], [1.0]]]])  # the wrong pixel does not count
    masked = densities.optimal_sigma_gaussian_log_prob(x, mean, weights, min_sigma=0.01).numpy()[0]
    assert masked == pytest.approx(-0.5 * 3 * (np.log(2 * np.pi * 1e-4)), rel=1e-5)


def test_discretized_logistic_sums_to_one_over_all_bins_and_matches_sigmoids():
    values = np.arange(256, dtype=np.float32) / 255.0
    x = tf.constant(values[:, None])
    for mu, log_s in ((0.3, -3.0), (0.0, -1.0), (0.999, -5.0)):
        mean = tf.fill(x.shape, mu)
        log_scale = tf.fill(x.shape, log_s)
        log_p = densities.discretized_logistic_log_prob(x, mean, log_scale).numpy()
        assert np.exp(log_p).sum() == pytest.approx(1.0, abs=1e-4)
    sigmoid = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    s, mu, value = np.exp(-2.0), 0.4, 100 / 255.0
    expected = np.log(sigmoid((value + 0.5 / 255 - mu) / s) - sigmoid((value - 0.5 / 255 - mu) / s))
    got = densities.discretized_logistic_log_prob(
        tf.constant([[value]]), tf.constant([[mu]]), tf.constant([[-2.0]])).numpy()[0]
    assert got == pytest.approx(expected, rel=1e-4)


def test_colour_weights_count_colour_where_opaque_and_alpha_everywhere():
    images = tf.constant([[[[0.2, 0.4, 0.6, 1.0], [0.0, 0.0, 0.0, 0.0]]]])
    weights = densities.colour_weights(images, 0.1).numpy()
    np.testing.assert_allclose(weights[0, 0, 0], [1, 1, 1, 1])
    np.testing.assert_allclose(weights[0, 0, 1], [0.1, 0.1, 0.1, 1.0])
