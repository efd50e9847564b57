"""plugins.vq_vae: quantisation, the EMA codebook, the loss terms, and the learned code prior."""

import math

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf


from acvae.core.errors import ConfigError
from acvae.models import VAE, build_vae
from plugins import vq_vae
from tests.conftest import train_shipped_config

CODEBOOK = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]], np.float32)


def vq_model(latent_dim: int = 4, **bindings):
    lines = ["encoders.conv.filters = (4, 8)", "decoders.conv.filters = (4, 8)",
             "models.vq_vae.code_dim = 2", "models.vq_vae.n_codes = 3",
             *(f"models.vq_vae.{key} = {value}" for key, value in bindings.items())]
    gin.parse_config("\n".join(lines))
    keras.utils.set_random_seed(0)
    model = build_vae((16, 16), 4, latent_dim=latent_dim, model=vq_vae.VQVAE)
    model.codebook.assign(CODEBOOK)
    if model.ema_decay:
        model.ema_sums.assign(CODEBOOK)
    return model


def test_each_vector_goes_to_its_nearest_code():
    vectors = tf.constant([[[0.9, 0.2], [0.1, 1.2]], [[-3.0, 0.0], [0.4, 0.9]]])
    np.testing.assert_array_equal(vq_vae.nearest_codes(vectors, CODEBOOK), [[1, 2], [0, 0]])


def test_code_entropy_is_zero_for_one_code_and_log_k_for_all_alike():
    assert float(vq_vae.code_entropy(tf.zeros([6], tf.int32), 3)) == pytest.approx(0.0)
    assert float(vq_vae.code_entropy(tf.constant([0, 1, 2, 2, 1, 0]), 3)) == pytest.approx(
        math.log(3.0), rel=1e-6)


def test_one_ema_step_by_hand():
    counts, sums = tf.constant([1.0, 1.0, 1.0]), tf.constant(CODEBOOK)
    vectors = tf.constant([[1.0, 1.0], [3.0, 1.0], [0.0, 4.0]])
    counts, sums, codebook = vq_vae.ema_update(counts, sums, vectors, tf.constant([1, 1, 2]),
                                               decay=0.5, epsilon=1e-5)
    np.testing.assert_allclose(counts, [0.5, 1.5, 1.0])  # 0.5 * 1 + 0.5 * [0, 2, 1]
    np.testing.assert_allclose(sums, [[0, 0], [0.5 + 2.0, 1.0], [0.0, 1.0 + 2.0]])
    total, eps = 3.0, 1e-5
    smoothed = (np.array([0.5, 1.5, 1.0]) + eps) / (total + 3 * eps) * total
    np.testing.assert_allclose(codebook, np.array([[0, 0], [2.5, 1.0], [0, 3.0]])
                               / smoothed[:, None], rtol=1e-6)


def test_decoding_snaps_to_the_codebook_and_passes_gradients_straight_through():
    model = vq_model()
    z = tf.constant([[0.9, 0.2, 0.1, 1.2]])
    np.testing.assert_allclose(model.decoder_inputs(z), [[1.0, 0.0, 0.0, 2.0]])
    np.testing.assert_allclose(model.decode_mean(z), model.decode_mean(tf.constant(
        [[1.0, 0.0, 0.0, 2.0]])))
    weights = tf.constant([[1.0, 2.0, 3.0, 4.0]])
    with tf.GradientTape() as tape:
        tape.watch(z)
        out = tf.reduce_sum(model.decoder_inputs(z) * weights)
    np.testing.assert_allclose(tape.gradient(out, z), weights)


def test_the_posterior_is_a_point():
    model = vq_model()
    images = tf.random.uniform([3, 16, 16, 4])
    mean, logvar = model.encode(images)
    assert not model.gaussian_posterior and np.isneginf(logvar).all()
    np.testing.assert_array_equal(model.reparameterize(mean, logvar), mean)


def test_loss_terms_and_objective():
    model = vq_model(commitment_weight=0.5)
    images = tf.random.uniform([5, 16, 16, 4])
    terms = model.loss_terms(images)
    assert set(terms) == set(model.term_names) == {"reconstruction", "kl", "commitment",
                                                   "code_entropy"}
    np.testing.assert_allclose(terms["kl"], 2 * math.log(3.0), rtol=1e-6)  # N log K, N = 2
    z_e, _ = model.encode(images)
    _, codes = model.quantise(z_e)
    np.testing.assert_allclose(terms["commitment"], np.sum((z_e - codes) ** 2, -1), rtol=1e-5)
    np.testing.assert_allclose(model.objective(terms, 0.5), terms["reconstruction"]
                               + 0.5 * terms["kl"] + 0.5 * terms["commitment"], rtol=1e-6)


def test_the_codebook_moves_only_in_training_steps_by_the_ema():
    model = vq_model(ema_decay=0.5)
    assert not any(v is model.codebook for v in model.trainable_variables)
    images = tf.random.uniform([5, 16, 16, 4])
    model.loss_terms(images)
    np.testing.assert_array_equal(model.codebook.numpy(), CODEBOOK)
    z_e, _ = model.encode(images, training=True)
    indices, _ = model.quantise(z_e)
    _, _, expected = vq_vae.ema_update(tf.ones([3]), tf.constant(CODEBOOK),
                                       tf.reshape(z_e, [-1, 2]), tf.reshape(indices, [-1]),
                                       0.5, model.epsilon)
    model.loss_terms(images, training=True)
    np.testing.assert_allclose(model.codebook.numpy(), expected, rtol=1e-5)


def test_without_ema_the_codebook_learns_from_its_own_loss():
    model = vq_model(ema_decay=0.0)
    assert any(v is model.codebook for v in model.trainable_variables)
    terms = model.loss_terms(tf.random.uniform([5, 16, 16, 4]))
    np.testing.assert_allclose(terms["codebook"], terms["commitment"], rtol=1e-6)
    np.testing.assert_allclose(model.objective(terms, 1.0), terms["reconstruction"] + terms["kl"]
                               + 0.25 * terms["commitment"] + terms["codebook"], rtol=1e-6)


def test_a_latent_size_that_is_no_multiple_of_the_code_is_one_config_error():
    with pytest.raises(ConfigError, match="latent_dim 5 is not a multiple of code_dim 2"):
        vq_vae.VQVAE(code_dim=2, latent_dim=5)


def fitted_prior(model, tmp_path=None):
    """A code prior fitted to codes that are one of two index sequences, half the items each:
    (0, 2) and (1, 1)."""
    means = np.concatenate([np.tile(np.r_[CODEBOOK[0], CODEBOOK[2]], (10, 1)),
                            np.tile(np.r_[CODEBOOK[1], CODEBOOK[1]], (10, 1))])
    means = means + np.random.default_rng(0).normal(scale=0.05, size=means.shape)
    prior = vq_vae.CodePrior(width=16, steps=150, batch_size=32, learning_rate=1e-2)
    return prior.fit(model, means.astype(np.float32), np.full_like(means, -np.inf),
                     directory=tmp_path)


def test_the_code_prior_learns_a_known_distribution_and_restores(tmp_path):
    model = vq_model()
    prior = fitted_prior(model, tmp_path / "prior")
    draws = prior.sample(400, seed=3).numpy()
    indices = vq_vae.nearest_codes(draws.reshape(-1, 2, 2), CODEBOOK).numpy()
    pairs = {tuple(row): np.mean((indices == row).all(1)) for row in ([0, 2], [1, 1])}
    assert sum(pairs.values()) > 0.97 and all(0.35 < share < 0.65 for share in pairs.values())
    np.testing.assert_allclose(draws.reshape(-1, 2, 2), CODEBOOK[indices], atol=1e-5)
    log_p = prior.log_prob(tf.constant(CODEBOOK[[[0, 2], [1, 1], [2, 0]]].reshape(3, 4)))
    np.testing.assert_allclose(log_p[:2], math.log(0.5), atol=0.1)
    assert log_p[2] < math.log(0.5) - 2
    restored = vq_vae.CodePrior(width=16, steps=150, batch_size=32,
                                learning_rate=1e-2).restore(tmp_path / "prior")
    np.testing.assert_array_equal(restored.sample(16, seed=5), prior.sample(16, seed=5))


def test_the_code_prior_needs_a_vq_vae():
    gin.parse_config("encoders.conv.filters = (4, 8)\ndecoders.conv.filters = (4, 8)")
    plain = build_vae((16, 16), 4, latent_dim=2, model=VAE)
    with pytest.raises(ConfigError, match="samplers.vq_code_prior needs a VQ-VAE"):
        vq_vae.CodePrior().fit(plain, np.zeros((4, 2), np.float32))


def test_trains_from_its_config_and_reports_its_terms(tmp_path):
    run, history = train_shipped_config(tmp_path, "vq_vae", "samplers.vq_code_prior.steps = 20")
    n_codes, n_positions = run.model.n_codes, run.model.n_positions
    assert n_positions == 4  # LATENT_DIM = 0: the code is the 2x2 map of CODE_DIM = 4 numbers
    for row in history:
        assert row["train_kl"] == pytest.approx(n_positions * math.log(n_codes), rel=1e-5)
        assert 0 <= row["train_code_entropy"] <= math.log(n_codes) + 1e-5
        assert row["train_loss"] == pytest.approx(
            row["train_reconstruction"] + row["train_kl"] + 0.25 * row["train_commitment"],
            rel=1e-4)
    samples = run.model.sample(3, seed=0)
    assert tuple(samples.shape) == (3, 16, 16, 4) and run.model.sampler.fitted
