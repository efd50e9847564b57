"""plugins.factor_vae: permutations, the discriminator's density ratio, and the two optimizers."""

import math

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf


from acvae.core.errors import ConfigError
from acvae.models import build_vae
from plugins import factor_vae
from tests.conftest import train_shipped_config


def test_permuting_shuffles_each_dimension_on_its_own():
    z = tf.reshape(tf.range(200.0), [50, 4])
    permuted = factor_vae.permute_dims(z, seed=3).numpy()
    for j in range(4):  # every column keeps its values
        np.testing.assert_array_equal(np.sort(permuted[:, j]), z.numpy()[:, j])
    sources = permuted.astype(int) // 4  # the row each value came from
    assert (sources != sources[:, :1]).any(axis=1).sum() > 40  # rows mix other rows' values


def test_a_discriminator_that_cannot_tell_scores_log_2():
    zeros = tf.zeros([5])
    np.testing.assert_allclose(factor_vae.discriminator_loss(zeros, zeros), math.log(2.0),
                               rtol=1e-6)


def test_the_optimal_discriminator_estimates_the_total_correlation():
    """The density-ratio trick on codes z ~ N(0, [[1, c], [c, 1]]): its TC is -log(1 - c^2)/2."""
    correlation = 0.8
    rng = np.random.default_rng(0)
    codes = tf.constant(rng.multivariate_normal([0, 0], [[1, correlation], [correlation, 1]],
                                                size=20_000), tf.float32)
    keras.utils.set_random_seed(0)
    network = factor_vae.discriminator(2, (64, 64))
    optimizer = keras.optimizers.Adam(3e-3)
    seed = keras.random.SeedGenerator(1)

    @tf.function
    def step(z):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(factor_vae.discriminator_loss(
                network(z)[:, 0], network(factor_vae.permute_dims(z, seed))[:, 0]))
        variables = network.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    for _ in range(600):
        step(tf.gather(codes, rng.integers(0, len(codes), 512)))
    estimate = float(tf.reduce_mean(network(codes)))
    assert estimate == pytest.approx(-0.5 * math.log(1 - correlation**2), abs=0.05)


@pytest.fixture
def model():
    gin.parse_config("encoders.conv.filters = (4, 8)\ndecoders.conv.filters = (4, 8)\n"
                     "models.factor_vae.tc_weight = 4.0\nmodels.factor_vae.units = (8, 8)")
    keras.utils.set_random_seed(0)
    return build_vae((16, 16), 4, latent_dim=3, model=factor_vae.FactorVAE)


def test_the_objective_weighs_the_tc_estimate_by_gamma(model):
    terms = model.loss_terms(tf.random.uniform([6, 16, 16, 4]))
    assert set(terms) == set(model.term_names) == {"reconstruction", "kl", "tc",
                                                   "discriminator"}
    expected = terms["reconstruction"] + 0.5 * terms["kl"] + 4.0 * terms["tc"]
    np.testing.assert_allclose(model.objective(terms, 0.5), expected, rtol=1e-6)
    last = model.discriminator.get_layer("logit")  # D says 0 everywhere: TC 0, its loss log 2
    last.kernel.assign(tf.zeros_like(last.kernel))
    last.bias.assign(tf.zeros_like(last.bias))
    terms = model.loss_terms(tf.random.uniform([6, 16, 16, 4]))
    np.testing.assert_allclose(terms["tc"], 0.0)
    np.testing.assert_allclose(terms["discriminator"], math.log(2.0), rtol=1e-6)


def test_the_discriminator_is_left_to_its_own_optimizer(model):
    own = {id(v) for v in model.discriminator.trainable_variables}
    assert own and not own & {id(v) for v in model.objective_variables}
    assert len(model.objective_variables) + len(own) == len(model.trainable_variables)
    ((optimizer, variables),) = model.own_optimizers.values()
    assert optimizer is model.discriminator_optimizer and variables == list(
        model.discriminator.trainable_variables)


def test_a_negative_gamma_is_one_config_error():
    with pytest.raises(ConfigError, match="models.factor_vae.tc_weight must be a number >= 0"):
        factor_vae.FactorVAE(tc_weight=-1.0, latent_dim=2)


def test_trains_both_networks_in_each_step_and_reports_tc(tmp_path):
    run, history = train_shipped_config(tmp_path, "factor_vae", "models.factor_vae.units = (16,)")
    steps = run.epoch * math.ceil(run.data.n_train / run.data.batch_size)  # the weights' epoch
    assert int(run.model.discriminator_optimizer.iterations) == steps
    for row in history:
        assert math.isfinite(row["train_tc"]) and math.isfinite(row["val_tc"])
        assert 0 < row["train_discriminator"] < 1.5
        assert row["train_loss"] == pytest.approx(
            row["train_reconstruction"] + row["train_kl"] + 10.0 * row["train_tc"], rel=1e-4)
