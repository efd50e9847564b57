"""plugins.conditional: the label-conditional VAE keeps the VAE interface and conditions."""

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf

from acvae.core import config, registry
from acvae.core.errors import ConfigError
from acvae.data.schema import Label, Schema
from acvae.models import build_vae
from plugins import conditional

SCHEMA = Schema("name", (Label("species", ("Cat", "Frog", "Pig"), True),
                         Label("gender", ("Female", "Male"), True),
                         Label("motto", tuple(f"m{i}" for i in range(20)), False)))


def conditional_vae(image_shape=(16, 16), n_channels=4, **kwargs):
    return build_vae(image_shape, n_channels, latent_dim=kwargs.pop("latent_dim", 2),
                     model=conditional.ConditionalVAE, schema=kwargs.pop("schema", SCHEMA),
                     **kwargs)


@pytest.fixture
def model():
    gin.parse_config("encoders.conv.filters = (4, 8)\ndecoders.conv.filters = (4, 8)\n"
                     "models.conditional_vae.embedding_dim = 3")
    keras.utils.set_random_seed(0)
    return conditional_vae()


def test_registered_as_a_model():
    assert registry.get("models", "conditional_vae") is conditional.ConditionalVAE


def test_conditions_on_the_first_categorical_label_by_default(model):
    assert model.conditions.name == "species"
    assert model.condition_of({"species_id": [2, 0]}) == [2, 0]


def test_label_values_change_the_decoded_images(model):
    z = tf.zeros([3, 2])
    frogs = model.decode_mean(z, tf.constant([1, 1, 1]))
    cats = model.decode_mean(z, tf.constant([0, 0, 0]))
    assert tuple(frogs.shape) == (3, 16, 16, 4)
    assert np.abs(frogs - cats).max() > 0
    np.testing.assert_allclose(frogs[0], frogs[2])


def test_without_a_label_the_condition_is_the_mean_embedding(model):
    z = tf.random.normal([2, 2])
    table = model.embedding.embeddings.numpy()
    uniform = np.full([2, 3], 1 / 3, np.float32)
    np.testing.assert_allclose(model.decode_mean(z), model.decode_mean(z, uniform), atol=1e-6)
    np.testing.assert_allclose(model.embed(tf.constant([-1, 2]), 2), [table.mean(0), table[2]],
                               atol=1e-6)


def test_loss_terms_use_the_label_and_compile_with_xla(model):
    images = tf.random.uniform([4, 16, 16, 4])
    batch = {"image": images, "species_id": tf.constant([0, 1, 2, 1]),
             "gender_id": tf.constant([0, 1, 0, 1])}
    step = tf.function(lambda b: model.loss_terms(b["image"], model.condition_of(b),
                                                  training=True), jit_compile=True)
    terms = step(batch)
    assert set(terms) == {"reconstruction", "kl"}
    assert all(tuple(t.shape) == (4,) and np.isfinite(t).all() for t in terms.values())
    plain = model.loss_terms(images)  # no condition: mean embedding
    assert tuple(plain["kl"].shape) == (4,)


def test_sample_by_label_id(model):
    assert tuple(model.sample(5, seed=0, condition=np.full(5, 1)).shape) == (5, 16, 16, 4)
    np.testing.assert_allclose(model.sample(2, seed=3), model.sample(2, seed=3))


def test_reconstruct_with_and_without_a_label(model):
    images = tf.random.uniform([2, 16, 16, 4])
    assert tuple(model.reconstruct(images).shape) == (2, 16, 16, 4)
    assert tuple(model.reconstruct(images, [0, 1]).shape) == (2, 16, 16, 4)


def test_the_label_is_chosen_in_gin_and_must_be_categorical():
    gin.parse_config("encoders.conv.filters = (4, 8)\ndecoders.conv.filters = (4, 8)\n"
                     "models.conditional_vae.label = 'gender'")
    assert conditional_vae().conditions.values == ("Female", "Male")
    gin.clear_config()
    gin.parse_config("models.conditional_vae.label = 'motto'")
    with pytest.raises(ConfigError, match="not categorical; categorical labels: species, gender"):
        conditional_vae()
    gin.clear_config()
    with pytest.raises(ConfigError, match="has no categorical label"):
        conditional_vae(schema=Schema("name", ()))


def test_a_broken_inner_encoder_is_named_at_build_time():
    def wrong_width(input_shape, latent_dim):
        inputs = keras.Input(input_shape)
        return keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(inputs)))

    with pytest.raises(ValueError) as info:
        conditional_vae((8, 8), 1, latent_dim=2, encoder=wrong_width)
    message = config.explain(info.value)  # without gin's "In call to configurable" lines
    assert "wrong_width returned shape (2, 3)" in message and "(batch, 2 * latent_dim)" in message
    assert len(message.splitlines()) == 1


def test_importance_weights_condition_on_each_images_label(model):
    from acvae.analysis import metrics

    images = tf.random.uniform([3, 16, 16, 4], seed=1)
    ids = tf.constant([0, 1, 2])
    conditioned = metrics.vae_log_weights(model, images, 400, seed=0, condition=ids)
    unconditioned = metrics.vae_log_weights(model, images, 400, seed=0)
    assert conditioned.shape == unconditioned.shape == (3, 400)
    assert np.abs(conditioned - unconditioned).max() > 1e-3
    # E_q[log w] is the conditional ELBO: compare with the mean of many one-sample estimates
    terms = [model.loss_terms(images, ids) for _ in range(200)]
    elbo = -np.mean([t["reconstruction"] + t["kl"] for t in terms], axis=0)
    np.testing.assert_allclose(conditioned.mean(axis=1), elbo, rtol=2e-3)


def test_the_plugin_is_well_under_a_hundred_lines():
    import inspect

    assert len(inspect.getsource(conditional).splitlines()) < 100
