"""plugins.conditional: the species-conditional VAE keeps the VAE interface and conditions."""

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf

from acvae import registry
from plugins import conditional

LABELS = {"species": ("Cat", "Frog", "Pig"), "gender": ("Female", "Male")}


@pytest.fixture
def model():
    gin.parse_config("encoders.conv.filters = (4, 8)\ndecoders.conv.filters = (4, 8)")
    keras.utils.set_random_seed(0)
    return conditional.conditional_vae((16, 16), 4, label_values=LABELS, latent_dim=2,
                                       embedding_dim=3)


def test_registered_as_a_model():
    assert registry.get("models", "conditional_vae") is conditional.conditional_vae


def test_species_change_the_decoded_images(model):
    z = tf.zeros([3, 2])
    frogs = model.decode_mean_for(z, tf.constant([1, 1, 1]))
    cats = model.decode_mean_for(z, tf.constant([0, 0, 0]))
    assert tuple(frogs.shape) == (3, 16, 16, 4)
    assert np.abs(frogs - cats).max() > 0
    np.testing.assert_allclose(frogs[0], frogs[2])


def test_without_a_label_the_condition_is_the_mean_embedding(model):
    z = tf.random.normal([2, 2])
    table = model.embedding.embeddings.numpy()
    mean = np.tile(table.mean(0, keepdims=True), (2, 1))
    np.testing.assert_allclose(model.decode_mean(z), model.decode_mean_conditioned(z, mean),
                               atol=1e-6)
    np.testing.assert_allclose(model.condition(tf.constant([-1, 2])), [table.mean(0), table[2]],
                               atol=1e-6)


def test_loss_terms_use_the_labels_and_compile_with_xla(model):
    images = tf.random.uniform([4, 16, 16, 4])
    labels = {"species": tf.constant([0, 1, 2, 1]), "gender": tf.constant([0, 1, 0, 1])}
    step = tf.function(lambda x, y: model.loss_terms(x, training=True, labels=y),
                       jit_compile=True)
    terms = step(images, labels)
    assert set(terms) == {"reconstruction", "kl"}
    assert all(tuple(t.shape) == (4,) and np.isfinite(t).all() for t in terms.values())
    plain = model.loss_terms(images)  # no labels: mean embedding
    assert tuple(plain["kl"].shape) == (4,)


def test_sample_by_species_name(model):
    assert tuple(model.sample(5, seed=0, species="frog").shape) == (5, 16, 16, 4)
    assert tuple(model.sample(2, seed=0, species=["Cat", 2]).shape) == (2, 16, 16, 4)
    np.testing.assert_allclose(model.sample(2, seed=3), model.sample(2, seed=3))
    with pytest.raises(ValueError, match="unknown species 'Frgo'; closest: Frog"):
        model.sample(2, species="Frgo")


def test_reconstruct_with_and_without_species(model):
    images = tf.random.uniform([2, 16, 16, 4])
    assert tuple(model.reconstruct(images).shape) == (2, 16, 16, 4)
    assert tuple(model.reconstruct(images, species_ids=[0, 1]).shape) == (2, 16, 16, 4)


def test_needs_the_species_vocabulary():
    with pytest.raises(ValueError, match="needs the dataset's label_values"):
        conditional.conditional_vae((16, 16), 4, label_values={"gender": ("Male",)})


def test_a_broken_inner_encoder_is_named_at_build_time():
    def wrong_width(input_shape, latent_dim):
        inputs = keras.Input(input_shape)
        return keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(inputs)))

    with pytest.raises(ValueError) as info:
        conditional.conditional_vae((8, 8), 1, label_values=LABELS, latent_dim=2,
                                    encoder=wrong_width)
    message = str(info.value)
    assert "wrong_width returned shape (2, 3)" in message and "(batch, 2 * latent_dim)" in message
    assert len(message.splitlines()) == 1


def test_importance_weights_condition_on_each_images_species(model):
    from acvae import metrics

    images = tf.random.uniform([3, 16, 16, 4], seed=1)
    ids = tf.constant([0, 1, 2])
    conditioned = metrics.vae_log_weights(model, images, 400, seed=0, labels={"species": ids})
    unconditioned = metrics.vae_log_weights(model, images, 400, seed=0)
    assert conditioned.shape == unconditioned.shape == (3, 400)
    assert np.abs(conditioned - unconditioned).max() > 1e-3
    # E_q[log w] is the conditional ELBO: compare with the mean of many one-sample estimates
    terms = [model.loss_terms(images, labels={"species": ids}) for _ in range(200)]
    elbo = -np.mean([t["reconstruction"] + t["kl"] for t in terms], axis=0)
    np.testing.assert_allclose(conditioned.mean(axis=1), elbo, rtol=2e-3)
