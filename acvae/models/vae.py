"""The VAE that composes a registered encoder, decoder, prior and likelihood, and its builder.

``VAE`` holds no architecture of its own: it wires the four parts passed in (Kingma & Welling
2014): ``q(z|x)`` from the encoder, the reparameterised sample, ``p(x|z)`` from the decoder and
likelihood, and ``KL(q || p)`` from the prior. ``build_vae`` (gin: ``build_vae``) calls the
selected factories and checks every part against the interface on a dummy batch, so a plugin
that breaks it fails at build time with a message naming the plugin, not inside a
``tf.function`` trace.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

import gin
import keras
import tensorflow as tf

from acvae import registry
from acvae.models import decoders, encoders, likelihoods, priors

N_CHANNELS = (1, 3, 4)


class VAE(keras.Model):
    """A VAE made of an encoder, a decoder, a prior and a likelihood.

    Args:
      encoder: keras.Model [B, H, W, C] -> [B, 2L] (posterior mean, then log-variance).
      decoder: keras.Model [B, L] -> [B, H, W, C * P] (likelihood parameters).
      prior: a ``priors.Prior``-like layer.
      likelihood: a ``likelihoods.Likelihood``-like layer.
      latent_dim: L.
      image_shape: (H, W).
      n_channels: C.
    """

    def __init__(self, encoder, decoder, prior, likelihood, latent_dim: int,
                 image_shape: Sequence[int], n_channels: int, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.prior = prior
        self.likelihood = likelihood
        self.latent_dim = int(latent_dim)
        self.image_shape = tuple(int(s) for s in image_shape)
        self.n_channels = int(n_channels)
        self.noise_seed = keras.random.SeedGenerator(name="noise_seed")

    def encode(self, images: tf.Tensor, training: bool = False) -> tuple[tf.Tensor, tf.Tensor]:
        """Posterior q(z|x): (mean [B, L], logvar [B, L]) for images [B, H, W, C]."""
        out = tf.cast(self.encoder(images, training=training), tf.float32)
        return out[:, : self.latent_dim], out[:, self.latent_dim :]

    def reparameterize(self, mean: tf.Tensor, logvar: tf.Tensor, seed: int | None = None):
        """z = mean + exp(logvar / 2) * eps, eps ~ N(0, I) (Kingma & Welling 2014, Eq. 4).

        Args:
          mean: [B, L].
          logvar: [B, L].
          seed: an int for reproducible noise; None draws from the model's seed generator
            (a checkpointed variable, so deterministic under ``keras.utils.set_random_seed``).

        Returns:
          z [B, L].
        """
        if seed is None:
            eps = keras.random.normal(tf.shape(mean), seed=self.noise_seed)
        else:
            eps = tf.random.stateless_normal(tf.shape(mean), seed=(int(seed), 0))
        return mean + tf.exp(0.5 * logvar) * tf.cast(eps, mean.dtype)

    def decode(self, z: tf.Tensor, training: bool = False) -> tf.Tensor:
        """Likelihood parameters [B, H, W, C * P] (float32) for latents z [B, L]."""
        return tf.cast(self.decoder(z, training=training), tf.float32)

    @tf.function(reduce_retracing=True)
    def decode_mean(self, z: tf.Tensor) -> tf.Tensor:
        """Mean images [B, H, W, C] in [0, 1] for latents z [B, L].

        Compiled: visualisers decode a whole grid per call, and an eager Keras call costs
        twice as much as the convolutions (23 ms against 11 ms for 10 images of 64x64x4).
        """
        return self.likelihood.mean(self.decode(z))

    def reconstruct(self, images: tf.Tensor) -> tf.Tensor:
        """Mean images [B, H, W, C] decoded from the posterior mean of ``images``."""
        mean, _ = self.encode(images)
        return self.decode_mean(mean)

    def loss_terms(
        self, images: tf.Tensor, training: bool = False, labels: dict | None = None
    ) -> dict[str, tf.Tensor]:
        """Per-image ELBO terms in nats with one reparameterised posterior sample.

        Args:
          images: [B, H, W, C] in [0, 1].
          training: passed to the encoder and decoder (batch normalisation).
          labels: the batch's label ids, int32 [B] by label ("species", "personality",
            "gender"; indices into ``InputData.label_values``), for models that condition on
            them (the trainer always passes them); this model ignores them.

        Returns:
          {"reconstruction": [B] -log p(x|z), "kl": [B] KL(q(z|x) || p(z))}; the negative
          ELBO is their sum (Kingma & Welling 2014, Eq. 10).
        """
        mean, logvar = self.encode(images, training=training)
        z = self.reparameterize(mean, logvar)
        params = self.decode(z, training=training)
        return {
            "reconstruction": -self.likelihood.log_prob(images, params),
            "kl": self.prior.kl(mean, logvar, z),
        }

    def sample(self, n: int, seed: int | None = None) -> tf.Tensor:
        """n mean images [n, H, W, C] decoded from prior samples (reproducible with ``seed``)."""
        return self.decode_mean(self.prior.sample(n, seed=seed))

    def call(self, images, training=False):
        """Reconstruction means [B, H, W, C] (so that ``model(images)`` builds everything)."""
        mean, _ = self.encode(images, training=training)
        return self.likelihood.mean(self.decode(mean, training=training))


def component_name(kind: str, fn) -> str:
    """``kind.name`` of a registered callable (plain, gin-wrapped or gin-subclassed)."""
    target = getattr(fn, "__wrapped__", fn)
    for name in registry.names(kind):
        obj = registry.get(kind, name)
        if obj is fn or obj is target:
            return f"{kind}.{name}"
        if (inspect.isclass(fn) and inspect.isclass(obj) and issubclass(fn, obj)
                and fn.__name__ == obj.__name__ and fn.__module__ == obj.__module__):
            return f"{kind}.{name}"
    return f"{kind}.{getattr(target, '__name__', repr(fn))}"


def _configurable(kind: str, fn):
    """Gin's configured version of a registered ``fn`` (so bindings apply to defaults too)."""
    for name in registry.names(kind):
        if registry.get(kind, name) is fn:
            return gin.get_configurable(fn)
    return fn


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _call(name: str, what: str, fn, *args, **kwargs):
    """Calls ``fn``; any error becomes a one-line ValueError naming the component.

    Gin appends "In call to configurable ..." lines to errors raised through it; only the
    first line is kept.
    """
    try:
        return fn(*args, **kwargs)
    except Exception as error:  # a plugin may raise anything; report it as the plugin's fault
        message = _first_line(error)
        if not (isinstance(error, ValueError) and message.startswith(name)):
            message = f"{name} failed to {what}: {type(error).__name__}: {message}"
        raise ValueError(message) from error


def _check_shape(name: str, what: str, tensor, expected: tuple, described: str) -> None:
    shape = tuple(getattr(tensor, "shape", ()))
    if shape != expected:
        raise ValueError(f"{name} {what} shape {shape}; expected {described} = {expected}")


def _check_methods(name: str, obj, methods: Sequence[str], base: str) -> None:
    missing = [m for m in methods if not callable(getattr(obj, m, None))]
    if missing:
        raise ValueError(
            f"{name} returned {type(obj).__name__} without {', '.join(missing)}; expected a "
            f"{base} with {', '.join(methods)}"
        )
    if not isinstance(obj, keras.layers.Layer):
        raise ValueError(
            f"{name} returned {type(obj).__name__}; expected a keras.layers.Layer ({base}) "
            "so that its variables are trained and checkpointed"
        )



def _check_arguments(image_shape, n_channels, latent_dim) -> tuple[tuple[int, int], int, int]:
    try:
        shape = tuple(int(s) for s in image_shape)
    except (TypeError, ValueError):
        shape = ()
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"build_vae: image_shape must be (H, W) with H, W >= 1, got {image_shape!r}")
    if n_channels not in N_CHANNELS:
        raise ValueError(
            f"build_vae: n_channels must be one of {', '.join(map(str, N_CHANNELS))}, "
            f"got {n_channels!r}"
        )
    if not isinstance(latent_dim, int) or isinstance(latent_dim, bool) or latent_dim < 1:
        raise ValueError(f"build_vae: latent_dim must be an integer >= 1, got {latent_dim!r}")
    return shape, int(n_channels), latent_dim


@gin.configurable(module="acvae")
def build_vae(
    image_shape: Sequence[int],
    n_channels: int,
    latent_dim: int = 1,
    encoder=encoders.conv,
    decoder=decoders.conv,
    prior=priors.StandardNormal,
    likelihood=likelihoods.Bernoulli,
    label_values=None,
) -> VAE:
    """Builds a VAE from component factories and checks them against the interface.

    Each factory is called by keyword (gin bindings such as ``encoders.conv.filters`` apply,
    also to the defaults), then one dummy batch of two images runs through every part.

    Args:
      image_shape: (H, W).
      n_channels: C, one of 1, 3, 4.
      latent_dim: L >= 1.
      encoder: ``fn(input_shape, latent_dim) -> keras.Model`` [B, H, W, C] -> [B, 2L].
      decoder: ``fn(latent_dim, output_shape) -> keras.Model`` [B, L] -> [B, H, W, C * P].
      prior: ``fn(latent_dim, encoder, input_shape) -> Prior``.
      likelihood: ``fn(n_channels) -> Likelihood`` with ``params_per_channel`` P.
      label_values: the dataset's label vocabularies, passed to every model factory by
        ``acvae.runs.experiment``; this unconditional VAE does not use them.

    Returns:
      A built ``VAE`` (all variables exist, so checkpoints restore into it).

    Raises:
      ValueError: one line, for bad arguments or a component that breaks the interface
        (naming the component by its registered name and what was expected).
    """
    (height, width), channels, dim = _check_arguments(image_shape, n_channels, latent_dim)
    names = {
        kind: component_name(kind, fn)
        for kind, fn in (("encoders", encoder), ("decoders", decoder),
                         ("priors", prior), ("likelihoods", likelihood))
    }
    enc_name, dec_name = names["encoders"], names["decoders"]
    prior_name, lik_name = names["priors"], names["likelihoods"]
    input_shape = (height, width, channels)

    lik = _call(lik_name, "build", _configurable("likelihoods", likelihood), n_channels=channels)
    _check_methods(lik_name, lik, ("log_prob", "mean"), "Likelihood")
    per_channel = getattr(lik, "params_per_channel", None)
    if not isinstance(per_channel, int) or per_channel < 1:
        raise ValueError(
            f"{lik_name} has params_per_channel={per_channel!r}; expected an integer >= 1"
        )
    output_shape = (height, width, channels * per_channel)
    enc = _call(enc_name, "build", _configurable("encoders", encoder),
                input_shape=input_shape, latent_dim=dim)
    dec = _call(dec_name, "build", _configurable("decoders", decoder),
                latent_dim=dim, output_shape=output_shape)
    for name, part in ((enc_name, enc), (dec_name, dec)):
        if not isinstance(part, keras.layers.Layer):
            raise ValueError(f"{name} returned {type(part).__name__}; expected a keras.Model")
    pri = _call(prior_name, "build", _configurable("priors", prior),
                latent_dim=dim, encoder=enc, input_shape=input_shape)
    _check_methods(prior_name, pri, ("kl", "log_prob", "sample"), "Prior")

    batch = 2
    images = tf.fill([batch, *input_shape], 0.5)
    posterior = _call(enc_name, "encode a dummy batch", enc, images)
    _check_shape(enc_name, "returned", posterior, (batch, 2 * dim),
                 "(batch, 2 * latent_dim)")
    z = tf.zeros([batch, dim])
    params = _call(dec_name, "decode a dummy batch", dec, z)
    _check_shape(dec_name, "returned", params, (batch, *output_shape),
                 "(batch, H, W, n_channels * params_per_channel)")
    params = tf.cast(params, tf.float32)
    log_prob = _call(lik_name, "compute log_prob", lik.log_prob, images, params)
    _check_shape(lik_name, "log_prob returned", log_prob, (batch,), "(batch,)")
    mean = _call(lik_name, "compute mean", lik.mean, params)
    _check_shape(lik_name, "mean returned", mean, (batch, *input_shape), "(batch, H, W, C)")
    kl = _call(prior_name, "compute kl", pri.kl, z, z, z)
    _check_shape(prior_name, "kl returned", kl, (batch,), "(batch,)")
    prior_log_prob = _call(prior_name, "compute log_prob", pri.log_prob, z)
    _check_shape(prior_name, "log_prob returned", prior_log_prob, (batch,), "(batch,)")
    samples = _call(prior_name, "sample", pri.sample, 3, seed=0)
    _check_shape(prior_name, "sample(3) returned", samples, (3, dim), "(n, latent_dim)")

    model = VAE(enc, dec, pri, lik, latent_dim=dim, image_shape=(height, width),
                n_channels=channels, name="vae")
    model(images)
    return model
