"""Tests for acvae.analysis.metrics: every metric on a case with a known answer."""

import math

import numpy as np
import pytest
import tensorflow as tf

from acvae.analysis import metrics
from acvae.models import densities


class LinearGaussian:
    """p(z) = N(0, I), p(x|z) = N(Wz + b, s^2 I), so p(x) = N(b, W W^T + s^2 I) exactly.

    Duck-types the parts of ``VAE`` that ``vae_log_weights`` uses. The encoder returns the
    exact posterior N(A (x - b), S) scaled by ``posterior_scale`` in standard deviation
    (1: exact, so every importance weight equals p(x)).
    """

    def __init__(self, latent_dim=2, data_dim=3, sigma=0.5, posterior_scale=1.0, seed=0):
        rng = np.random.default_rng(seed)
        self.w = rng.normal(size=[data_dim, latent_dim])
        self.b = rng.normal(size=[data_dim])
        self.sigma = sigma
        precision = np.eye(latent_dim) + self.w.T @ self.w / sigma**2
        self.post_cov = np.linalg.inv(precision)
        self.post_gain = self.post_cov @ self.w.T / sigma**2
        self.scale = posterior_scale
        self.likelihood, self.prior = self, _StandardNormal()

    def encode(self, images, condition=None):
        x = images.numpy().reshape(len(images), -1)
        mean = (x - self.b) @ self.post_gain.T
        # a diagonal posterior: exact when the posterior covariance is diagonal (see below)
        logvar = np.log(np.diag(self.post_cov) * self.scale**2)[None].repeat(len(x), 0)
        return tf.constant(mean, tf.float32), tf.constant(logvar, tf.float32)

    def decode(self, z, condition=None):
        return tf.matmul(z, tf.constant(self.w.T, tf.float32)) + tf.constant(self.b, tf.float32)

    def log_prob(self, images, params):  # the likelihood's
        x = tf.reshape(images, [tf.shape(images)[0], -1])
        return densities.gaussian_log_prob(x, params, math.log(self.sigma))

    def exact_log_px(self, x):
        cov = self.w @ self.w.T + self.sigma**2 * np.eye(len(self.b))
        diff = x - self.b
        _, logdet = np.linalg.slogdet(cov)
        quad = np.einsum("nd,de,ne->n", diff, np.linalg.inv(cov), diff)
        return -0.5 * (len(self.b) * np.log(2 * np.pi) + logdet + quad)


class _StandardNormal:
    def log_prob(self, z):
        return densities.diagonal_gaussian_log_prob(z, tf.zeros_like(z), tf.zeros_like(z))


def _orthogonal_model(posterior_scale):
    """A linear Gaussian model with orthogonal W columns, so the exact posterior is diagonal."""
    model = LinearGaussian(posterior_scale=posterior_scale)
    q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=[3, 2]))
    model.w = q * np.array([1.5, 0.7])
    model.post_cov = np.linalg.inv(np.eye(2) + model.w.T @ model.w / model.sigma**2)
    model.post_gain = model.post_cov @ model.w.T / model.sigma**2
    return model


def _data(model, n=64, seed=2):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=[n, 2])
    x = z @ model.w.T + model.b + model.sigma * rng.normal(size=[n, 3])
    return x.reshape(n, 3, 1, 1)


def test_iwae_bound_is_log_mean_exp():
    log_w = np.log(np.array([[1.0, 2.0, 3.0], [1e-300, 1e-300, 1e-300]]))
    np.testing.assert_allclose(metrics.iwae_bound(log_w), [np.log(2.0), np.log(1e-300)])
    assert metrics.iwae_bound(np.array([[-1e4, -1e4]]))[0] == pytest.approx(-1e4)


def test_iwae_with_the_exact_posterior_equals_log_px():
    model = _orthogonal_model(posterior_scale=1.0)
    x = _data(model)
    bound = metrics.iwae_bound(metrics.vae_log_weights(model, x, n_samples=10, chunk=4))
    np.testing.assert_allclose(bound, model.exact_log_px(x.reshape(len(x), -1)), atol=1e-4)


def test_iwae_approaches_log_px_and_grows_with_k():
    model = _orthogonal_model(posterior_scale=1.5)  # a too-wide posterior: a loose ELBO
    x = _data(model)
    exact_per_image = model.exact_log_px(x.reshape(len(x), -1))
    exact = exact_per_image.mean()
    log_w = metrics.vae_log_weights(model, x, n_samples=1000, chunk=100, seed=3)
    elbo = log_w.mean()
    # L_k averaged over the 1000 / k disjoint groups of k samples (less noise than one group)
    by_k = [metrics.iwae_bound(log_w.reshape(len(x), -1, k)).mean() for k in (1, 10, 100, 1000)]
    assert elbo == by_k[0] and elbo < exact - 0.3  # the posterior is wrong: a loose ELBO
    assert by_k == sorted(by_k)
    assert by_k[-1] == pytest.approx(exact, abs=0.01)
    np.testing.assert_allclose(metrics.iwae_bound(log_w), exact_per_image, atol=0.1)


def test_log_weights_are_reproducible_and_chunk_independent():
    model = _orthogonal_model(posterior_scale=0.8)
    x = _data(model, n=5)
    a = metrics.vae_log_weights(model, x, n_samples=20, chunk=20, seed=7)
    b = metrics.vae_log_weights(model, x, n_samples=20, chunk=3, seed=7)
    assert a.shape == (5, 20)
    np.testing.assert_allclose(a, b, rtol=1e-6)
    assert not np.allclose(a, metrics.vae_log_weights(model, x, n_samples=20, seed=8))


def test_a_collapsed_dimension_has_zero_kl_and_is_inactive():
    rng = np.random.default_rng(0)
    mean = np.stack([rng.normal(size=100) * 2.0, np.zeros(100)], axis=1)
    logvar = np.stack([np.full(100, -2.0), np.zeros(100)], axis=1)
    kl = metrics.kl_per_dimension(mean, logvar)
    assert kl[1] == 0.0 and kl[0] > 1.0
    total = densities.gaussian_kl_standard_normal(tf.constant(mean, tf.float32),
                                               tf.constant(logvar, tf.float32))
    assert kl.sum() == pytest.approx(float(tf.reduce_mean(total)), rel=1e-5)
    n_active, activity = metrics.active_units(mean)
    assert n_active == 1 and activity[1] == 0.0
    assert metrics.active_units(mean, threshold=1e9)[0] == 0


def _clusters(n_per_class=20, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])[:n_classes]
    y = np.repeat(np.arange(n_classes), n_per_class)
    return centres[y] + rng.normal(size=[len(y), 2]), y


def test_knn_and_linear_probe_are_perfect_on_separable_latents():
    train_z, train_y = _clusters(seed=0)
    val_z, val_y = _clusters(seed=1)
    assert metrics.knn_accuracy(train_z, train_y, val_z, val_y, k=5) == 1.0
    assert metrics.linear_probe_accuracy(train_z, train_y, val_z, val_y) == 1.0


def test_probes_are_at_chance_on_label_free_latents():
    rng = np.random.default_rng(0)
    train_z, val_z = rng.normal(size=[400, 2]), rng.normal(size=[400, 2])
    train_y, val_y = rng.integers(0, 2, 400), rng.integers(0, 2, 400)
    assert abs(metrics.knn_accuracy(train_z, train_y, val_z, val_y) - 0.5) < 0.1
    assert abs(metrics.linear_probe_accuracy(train_z, train_y, val_z, val_y) - 0.5) < 0.1
    assert metrics.majority_accuracy([0, 0, 1], [0, 1, 0, 0]) == 0.75


def test_knn_vote_ties_go_to_the_class_whose_voters_are_nearer():
    train_z = np.array([[0.0], [1.0], [-1.5], [2.0]])
    train_y = np.array([0, 1, 1, 0])
    assert metrics.knn_accuracy(train_z, train_y, np.array([[0.1]]), np.array([0]), k=4) == 1.0


def test_nearest_distance_is_per_pixel_rms():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=[300, 4, 4, 3])
    index, distance = metrics.nearest(images, images, batch=64)
    np.testing.assert_array_equal(distance, 0.0)
    np.testing.assert_array_equal(index, np.arange(300))
    shifted = images[:5] + 0.1
    np.testing.assert_allclose(metrics.nearest(shifted, images[:5])[1], 0.1)
    with pytest.raises(ValueError, match="same shape"):
        metrics.nearest(images, images[:, :2])


def test_nearest_in_chunks_is_the_brute_force_nearest():
    rng = np.random.default_rng(1)
    a, b = rng.uniform(size=[37, 3, 3, 2]), rng.uniform(size=[101, 3, 3, 2])
    table = np.sqrt(((a.reshape(37, 1, -1) - b.reshape(1, 101, -1)) ** 2).mean(-1))
    index, distance = metrics.nearest(a, b, batch=8, chunk=16)
    np.testing.assert_array_equal(index, table.argmin(1))
    np.testing.assert_allclose(distance, table.min(1), rtol=1e-12)


def test_memorisation_compares_with_held_out_images_against_the_whole_training_set():
    rng = np.random.default_rng(0)
    train, val = rng.uniform(size=[200, 4, 4, 1]), rng.uniform(size=[40, 4, 4, 1])
    # a quarter of the training images, copied: found whichever training images they are
    copies = metrics.memorisation(train[::4], train, val)
    assert copies["samples_to_train"] == 0.0 and copies["ratio"] == 0.0
    fresh = metrics.memorisation(rng.uniform(size=[60, 4, 4, 1]), train, val)
    assert 0.9 < fresh["ratio"] < 1.1  # drawn like the data, copying nothing
    assert fresh["n_train"] == 200 and fresh["n_validation"] == 40 and fresh["n_samples"] == 60
    assert copies["validation_to_train"] == fresh["validation_to_train"] > 0.1


def test_memorisation_is_a_median_that_few_far_samples_do_not_hide():
    rng = np.random.default_rng(0)
    train, val = rng.uniform(size=[10, 4, 4, 1]), rng.uniform(size=[30, 4, 4, 1])
    far = np.full([2, 4, 4, 1], 5.0)  # two off-manifold samples, far from both sets
    result = metrics.memorisation(np.concatenate([train[:9], far]), train, val)
    assert result["n_samples"] == 11
    # nine of eleven samples copy training images: the median sees it, whatever the far ones
    assert result["samples_to_train"] == 0.0 and result["ratio"] == 0.0


def test_reconstruction_mse():
    images = np.zeros([2, 2, 2, 1])
    recon = np.stack([np.zeros([2, 2, 1]), np.full([2, 2, 1], 0.5)])
    np.testing.assert_allclose(metrics.reconstruction_mse(images, recon), [0.0, 0.25])
