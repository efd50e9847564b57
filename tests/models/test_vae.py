"""The VAE and build_vae: every component combination builds, trains and fails loudly."""

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf

from acvae.core import registry
from acvae.models import VAE, build_vae, decoders, encoders, likelihoods, priors


def tiny_images(n=8, shape=(16, 16), channels=4, seed=0):
    """A fixed batch of smooth blobs with an alpha channel, in [0, 1]."""
    rng = np.random.default_rng(seed)
    ys, xs = np.meshgrid(np.linspace(-1, 1, shape[0]), np.linspace(-1, 1, shape[1]), indexing="ij")
    centres = rng.uniform(-0.5, 0.5, size=(n, 2))
    blob = np.exp(-((ys[None] - centres[:, :1, None]) ** 2 + (xs[None] - centres[:, 1:, None]) ** 2)
                  / 0.2)
    colours = rng.uniform(size=(n, 1, 1, channels))
    images = blob[..., None] * colours
    if channels == 4:
        images[..., 3] = (blob > 0.3).astype(float)
    return tf.constant(images.astype(np.float32))


def build(kind_names=None, **kwargs):
    kind_names = kind_names or {}
    parts = {
        kind[:-1]: registry.get(kind, name)
        for kind, name in kind_names.items()
    }
    kwargs.setdefault("image_shape", (16, 16))
    kwargs.setdefault("n_channels", 4)
    kwargs.setdefault("latent_dim", 2)
    return build_vae(**parts, **kwargs)


@pytest.mark.parametrize("encoder", registry.names("encoders"))
@pytest.mark.parametrize("decoder", registry.names("decoders"))
@pytest.mark.parametrize("channels, shape", [(1, (16, 16)), (3, (16, 16)), (4, (16, 24))])
def test_shapes(tiny, encoder, decoder, channels, shape):
    model = build({"encoders": encoder, "decoders": decoder}, image_shape=shape,
                  n_channels=channels)
    images = tiny_images(3, shape, channels)
    mean, logvar = model.encode(images)
    assert tuple(mean.shape) == tuple(logvar.shape) == (3, 2)
    for compiled, eager in zip(model.posterior(images), (mean, logvar)):
        np.testing.assert_allclose(compiled, eager, rtol=1e-5, atol=1e-5)
    z = model.reparameterize(mean, logvar)
    assert tuple(model.decode(z).shape) == (3, *shape, channels)
    for out in (model.decode_mean(z), model.reconstruct(images), model(images)):
        assert tuple(out.shape) == (3, *shape, channels)
        assert 0.0 <= float(tf.reduce_min(out)) and float(tf.reduce_max(out)) <= 1.0
    assert tuple(model.sample(5, seed=1).shape) == (5, *shape, channels)
    terms = model.loss_terms(images)
    assert set(terms) == {"reconstruction", "kl"}
    assert all(tuple(t.shape) == (3,) for t in terms.values())
    assert (model.latent_dim, model.image_shape, model.n_channels) == (2, shape, channels)


@pytest.mark.parametrize("prior", registry.names("priors"))
@pytest.mark.parametrize("likelihood", registry.names("likelihoods"))
def test_adam_steps_reduce_loss(tiny, prior, likelihood):
    model = build({"priors": prior, "likelihoods": likelihood})
    images = tiny_images()
    optimizer = keras.optimizers.Adam(3e-3)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            terms = model.loss_terms(images, training=True)
            loss = tf.reduce_mean(terms["reconstruction"] + terms["kl"])
        optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        return loss

    history = [float(step()) for _ in range(12)]
    assert np.isfinite(history).all()
    assert np.mean(history[-3:]) < np.mean(history[:3]), history


def test_default_model_train_step_compiles_with_xla(tiny):
    model = build_vae((16, 16), 4, latent_dim=2)
    assert isinstance(model.encoder, keras.Model) and model.prior.__class__ is priors.StandardNormal
    images = tiny_images()
    optimizer = keras.optimizers.Adam(1e-3)
    before = [v.numpy().copy() for v in model.trainable_variables]

    @tf.function(jit_compile=True)
    def step(batch):
        with tf.GradientTape() as tape:
            terms = model.loss_terms(batch, training=True)
            loss = tf.reduce_mean(terms["reconstruction"] + 0.5 * terms["kl"])
        optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        return {"loss": loss, **{k: tf.reduce_mean(v) for k, v in terms.items()}}

    for _ in range(2):
        metrics = step(images)
    assert all(np.isfinite(float(v)) for v in metrics.values())
    after = model.trainable_variables
    assert any(not np.allclose(b, a.numpy()) for b, a in zip(before, after))


def test_mixed_precision_loss_is_float32(tiny):
    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = build({"priors": "vamp", "likelihoods": "learned_gaussian"})
        terms = model.loss_terms(tiny_images())
    finally:
        keras.config.set_dtype_policy(policy)
    for value in terms.values():
        assert value.dtype == tf.float32 and np.isfinite(value.numpy()).all()


def test_gin_bindings_apply_to_defaults_and_references(tiny):
    gin.parse_config("""
        build_vae.latent_dim = 3
        build_vae.prior = @priors.mixture
        build_vae.likelihood = @likelihoods.gaussian
        likelihoods.gaussian.sigma = 0.05
        encoders.conv.filters = (2, 4, 6)
        decoders.conv.filters = (2, 4, 6)
    """)
    model = build_vae(image_shape=(16, 16), n_channels=3)
    assert model.latent_dim == 3 and model.prior.n_components == 3
    assert model.likelihood.sigma == 0.05
    assert [layer.filters for layer in model.encoder.layers if hasattr(layer, "filters")] == [2, 4, 6]


def test_reparameterize_with_seed_is_reproducible(tiny):
    model = build()
    mean, logvar = tf.zeros([4, 2]), tf.zeros([4, 2])
    np.testing.assert_array_equal(model.reparameterize(mean, logvar, seed=5),
                                  model.reparameterize(mean, logvar, seed=5))
    np.testing.assert_array_equal(model.sample(3, seed=2), model.sample(3, seed=2))


def test_checkpoint_round_trip(tiny, tmp_path):
    model = build({"priors": "vamp", "likelihoods": "learned_gaussian"})
    model.likelihood.raw_log_sigma.assign([-1.0, -2.0, -3.0, -4.0])
    path = tf.train.Checkpoint(model=model).write(str(tmp_path / "ckpt"))
    other = build({"priors": "vamp", "likelihoods": "learned_gaussian"})
    tf.train.Checkpoint(model=other).read(path).assert_existing_objects_matched()
    images = tiny_images(2)
    np.testing.assert_allclose(model.reconstruct(images), other.reconstruct(images))
    np.testing.assert_allclose(other.likelihood.raw_log_sigma.numpy(), [-1.0, -2.0, -3.0, -4.0])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_channels": 2}, "n_channels must be one of 1, 3, 4, got 2"),
        ({"latent_dim": 0}, "latent_dim must be an integer >= 1, got 0"),
        ({"image_shape": (16,)}, "image_shape must be (H, W)"),
        ({"image_shape": (18, 18)}, "encoders.conv: image shape (18, 18) is not divisible by 4"),
    ],
)
def test_bad_arguments_give_one_line_errors(tiny, kwargs, message):
    with pytest.raises(ValueError) as info:
        build(**kwargs)
    assert message in str(info.value).splitlines()[0]


def register_once(kind, name, obj):
    """Registers a test plugin at run time (never at collection, so parameterised tests over
    registry.names() do not pick it up)."""
    if name not in registry.names(kind):
        registry.register(kind, name)(obj)
    return registry.get(kind, name)


def wrong_width_encoder(input_shape, latent_dim):
    inputs = keras.Input(input_shape)
    return keras.Model(inputs, keras.layers.Dense(2 * latent_dim + 1)(keras.layers.Flatten()(inputs)))


def flat_decoder(latent_dim, output_shape):
    inputs = keras.Input((latent_dim,))
    return keras.Model(inputs, keras.layers.Dense(int(np.prod(output_shape)))(inputs))


class NoSamplePrior(keras.layers.Layer):
    def __init__(self, latent_dim, encoder, input_shape):
        super().__init__()

    def kl(self, mean, logvar, z):
        return tf.reduce_sum(z, -1)

    def log_prob(self, z):
        return tf.reduce_sum(z, -1)


class PerDimensionKLPrior(priors.StandardNormal):
    def kl(self, mean, logvar, z):
        return tf.square(mean)


class RaisingLikelihood(likelihoods.Bernoulli):
    def log_prob(self, images, params):
        raise RuntimeError("boom\nsecond line")


@pytest.mark.parametrize(
    "kind, name, obj, message",
    [
        ("encoders", "test_broken_wrong_width", wrong_width_encoder,
         "encoders.test_broken_wrong_width returned shape (2, 5); "
         "expected (batch, 2 * latent_dim) = (2, 4)"),
        ("decoders", "test_broken_flat", flat_decoder,
         "decoders.test_broken_flat returned shape (2, 1024); "
         "expected (batch, H, W, n_channels * params_per_channel) = (2, 16, 16, 4)"),
        ("priors", "test_broken_no_sample", NoSamplePrior,
         "priors.test_broken_no_sample returned NoSamplePrior without sample; "
         "expected a Prior with kl, log_prob, sample"),
        ("priors", "test_broken_kl_shape", PerDimensionKLPrior,
         "priors.test_broken_kl_shape kl returned shape (2, 2); expected (batch,) = (2,)"),
        ("likelihoods", "test_broken_raises", RaisingLikelihood,
         "likelihoods.test_broken_raises failed to compute log_prob: RuntimeError: boom"),
    ],
)
def test_broken_plugin_fails_at_build_time_naming_it(tiny, kind, name, obj, message):
    register_once(kind, name, obj)
    gin.parse_config(f"build_vae.{kind[:-1]} = @{kind}.{name}")
    with pytest.raises(ValueError) as info:
        build_vae((16, 16), 4, latent_dim=2)
    assert str(info.value).splitlines()[0] == message


def test_unregistered_callable_is_named_by_its_function_name(tiny):
    def my_encoder(input_shape, latent_dim):
        return wrong_width_encoder(input_shape, latent_dim)

    with pytest.raises(ValueError, match=r"^encoders.my_encoder returned shape \(2, 5\)"):
        build_vae((16, 16), 4, latent_dim=2, encoder=my_encoder)


def test_vae_composes_parts():
    encoder = encoders.dense((8, 8, 1), 2, units=(4,))
    decoder = decoders.dense(2, (8, 8, 1), units=(4,))
    model = VAE(encoder, decoder, priors.StandardNormal(2), likelihoods.Bernoulli(1),
                latent_dim=2, image_shape=(8, 8), n_channels=1)
    assert tuple(model(tf.zeros([1, 8, 8, 1])).shape) == (1, 8, 8, 1)
