"""Label-conditional VAE on species: ``experiment.model = @models.conditional_vae``.

A conditional VAE (Sohn et al. 2015, "Learning Structured Output Representation using Deep
Conditional Generative Models", Eq. 4) models p(x|z, y) and q(z|x, y) with y the villager's
species, so that one can ask for "a frog": ``model.sample(8, species="Frog")``. The condition
is a learned species embedding e(y) [E]: the encoder sees it tiled as E extra image channels,
the decoder sees it concatenated to z. Any registered encoder and decoder serve as the inner
networks (they are built for (H, W, C + E) inputs and L + E latents), and any registered prior
and likelihood apply unchanged; the ELBO is the plain VAE's with every term conditioned on y.

The model keeps the ``VAE`` interface, so every visualiser works: without a label (``decode``,
``decode_mean``, ``encode``, ``reconstruct``, ``sample`` with no ``species``), the condition is
the **mean species embedding** (the average of all species' embeddings). With labels,
``decode_mean_for(z, species_ids)``, ``sample(n, species=...)`` and ``encode(images,
species_ids=...)``. Training passes the batch's ``labels["species"]`` ids (int32, indices into
``label_values["species"]``) to ``loss_terms``: the train step stays numeric and XLA-compilable.

Switch it on in a ``.gin`` file::

    import plugins.conditional
    experiment.model = @models.conditional_vae
    models.conditional_vae.latent_dim = %LATENT_DIM
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import gin
import keras
import numpy as np
import tensorflow as tf

from acvae import metrics, registry
from acvae.models import decoders, encoders, likelihoods, priors
from acvae.models.vae import VAE, component_name

LABEL = "species"


class ConditionalVAE(VAE):
    """A VAE whose encoder and decoder also see a learned species embedding.

    Args:
      encoder: keras.Model [B, H, W, C + E] -> [B, 2L].
      decoder: keras.Model [B, L + E] -> [B, H, W, C * P].
      prior, likelihood, latent_dim, image_shape, n_channels: as for ``VAE``.
      species: the species names; id i is ``species[i]`` (``InputData.label_values``).
      embedding_dim: E.
    """

    def __init__(self, encoder, decoder, prior, likelihood, latent_dim: int,
                 image_shape: Sequence[int], n_channels: int, species: Sequence[str],
                 embedding_dim: int, **kwargs):
        super().__init__(encoder, decoder, prior, likelihood, latent_dim, image_shape,
                         n_channels, **kwargs)
        self.species = tuple(str(s) for s in species)
        self.embedding_dim = int(embedding_dim)
        self.embedding = keras.layers.Embedding(len(self.species), self.embedding_dim,
                                                name="species_embedding")
        self.embedding.build((None,))

    # ------------------------------------------------------------------ conditions

    def species_id(self, name: str) -> int:
        """The id of a species name (case-insensitive).

        Raises:
          ValueError: for an unknown name, listing the closest valid names.
        """
        lowered = {s.lower(): i for i, s in enumerate(self.species)}
        if str(name).lower() in lowered:
            return lowered[str(name).lower()]
        close = difflib.get_close_matches(str(name), self.species, n=5, cutoff=0.5)
        shown = close or self.species
        raise ValueError(f"unknown species {name!r}; "
                         f"{'closest' if close else 'valid'}: {', '.join(shown)}")

    def species_ids(self, species, n: int) -> np.ndarray:
        """int32 [n] ids from one name or id (repeated) or a sequence of n names or ids."""
        values = [species] * n if isinstance(species, (str, int, np.integer)) else list(species)
        if len(values) != n:
            raise ValueError(f"got {len(values)} species for {n} images")
        return np.asarray([v if isinstance(v, (int, np.integer)) else self.species_id(v)
                           for v in values], np.int32)

    def condition(self, species_ids=None, batch_size=None) -> tf.Tensor:
        """Species embeddings [B, E]; the mean embedding where ``species_ids`` is None or < 0.

        Args:
          species_ids: int [B] ids, or None (then ``batch_size`` rows of the mean embedding).
          batch_size: B when ``species_ids`` is None (a scalar tensor or int).
        """
        table = tf.cast(self.embedding.embeddings, tf.float32)
        default = tf.reduce_mean(table, axis=0, keepdims=True)
        if species_ids is None:
            return tf.tile(default, tf.stack([batch_size, 1]))
        ids = tf.cast(species_ids, tf.int32)
        known = ids >= 0
        rows = tf.gather(table, tf.where(known, ids, tf.zeros_like(ids)))
        return tf.where(known[:, None], rows, default)

    # ------------------------------------------------------------------ VAE interface

    def encode(self, images, training: bool = False, species_ids=None):
        """Posterior q(z|x, y): (mean [B, L], logvar [B, L]) for images [B, H, W, C]."""
        images = tf.convert_to_tensor(images, tf.float32)
        shape = tf.shape(images)
        condition = self.condition(species_ids, shape[0])
        tiled = tf.tile(condition[:, None, None, :], tf.stack([1, shape[1], shape[2], 1]))
        out = tf.cast(self.encoder(tf.concat([images, tiled], -1), training=training),
                      tf.float32)
        return out[:, : self.latent_dim], out[:, self.latent_dim:]

    def decode_conditioned(self, z, condition, training: bool = False) -> tf.Tensor:
        """Likelihood parameters [B, H, W, C * P] for z [B, L] and embeddings [B, E]."""
        z = tf.convert_to_tensor(z, tf.float32)
        return tf.cast(self.decoder(tf.concat([z, condition], -1), training=training),
                       tf.float32)

    def decode(self, z, training: bool = False, species_ids=None) -> tf.Tensor:
        """Likelihood parameters [B, H, W, C * P]; the mean embedding without ``species_ids``."""
        z = tf.convert_to_tensor(z, tf.float32)
        condition = self.condition(species_ids, tf.shape(z)[0])
        return self.decode_conditioned(z, condition, training=training)

    @tf.function(reduce_retracing=True)
    def decode_mean_for(self, z, species_ids) -> tf.Tensor:
        """Mean images [B, H, W, C] in [0, 1] for z [B, L] and species ids int [B]."""
        return self.likelihood.mean(self.decode(z, species_ids=species_ids))

    @tf.function(reduce_retracing=True)
    def decode_mean_conditioned(self, z, condition) -> tf.Tensor:
        """Mean images [B, H, W, C] for z [B, L] and any embeddings [B, E] (e.g. blended)."""
        return self.likelihood.mean(self.decode_conditioned(z, condition))

    def reconstruct(self, images, species_ids=None) -> tf.Tensor:
        """Mean images [B, H, W, C] decoded from the posterior mean, under the same condition."""
        mean, _ = self.encode(images, species_ids=species_ids)
        if species_ids is None:
            return self.decode_mean(mean)
        return self.decode_mean_for(mean, tf.cast(species_ids, tf.int32))

    def loss_terms(self, images, training: bool = False, labels: dict | None = None):
        """Conditional ELBO terms in nats: -log p(x|z, y) and KL(q(z|x, y) || p(z)), each [B].

        Args:
          images: [B, H, W, C] in [0, 1].
          training: passed to the networks.
          labels: {"species": int32 [B], ...}; without it the mean embedding is the condition.
        """
        ids = None if labels is None else labels.get(LABEL)
        mean, logvar = self.encode(images, training=training, species_ids=ids)
        z = self.reparameterize(mean, logvar)
        params = self.decode(z, training=training, species_ids=ids)
        return {
            "reconstruction": -self.likelihood.log_prob(images, params),
            "kl": self.prior.kl(mean, logvar, z),
        }

    def importance_log_weights(self, images, n_samples: int, seed: int = 0,
                               labels: dict | None = None) -> np.ndarray:
        """[B, k] log importance weights of log p(x | y) with each image's own species y
        (``acvae.metrics.vae_log_weights`` calls this; without labels, the mean embedding)."""
        ids = None if labels is None else labels.get(LABEL)
        conditions = {} if ids is None else {"species_ids": tf.cast(ids, tf.int32)}
        return metrics.posterior_log_weights(self, images, n_samples, seed=seed,
                                             conditions=conditions)

    def sample(self, n: int, seed: int | None = None, species=None) -> tf.Tensor:
        """n mean images [n, H, W, C] from prior samples.

        Args:
          n: number of images.
          seed: an int for reproducible samples.
          species: None (mean embedding), a species name or id, or n names or ids.
        """
        z = self.prior.sample(n, seed=seed)
        if species is None:
            return self.decode_mean(z)
        return self.decode_mean_for(z, tf.constant(self.species_ids(species, n)))


def _configured(fn):
    """Gin's configured version of a registered factory (so bindings apply to defaults)."""
    try:
        return gin.get_configurable(fn)
    except ValueError:
        return fn


def _call(name: str, what: str, fn, *args, **kwargs):
    """Calls ``fn``; any error becomes a one-line ValueError naming the component."""
    try:
        return fn(*args, **kwargs)
    except Exception as error:  # a component may raise anything; report it by name
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        if isinstance(error, ValueError) and first.startswith(name):
            raise ValueError(first) from error
        raise ValueError(f"{name} failed to {what}: {type(error).__name__}: {first}") from error


def _checked(name: str, what: str, expected: tuple, described: str, fn, *args, **kwargs):
    """``_call`` whose result must have shape ``expected``."""
    result = _call(name, what, fn, *args, **kwargs)
    shape = tuple(getattr(result, "shape", ()))
    if shape != expected:
        raise ValueError(f"{name} returned shape {shape} ({what}); expected {described} = "
                         f"{expected}")
    return result


@registry.register("models", "conditional_vae")
def conditional_vae(
    image_shape: Sequence[int],
    n_channels: int,
    label_values: dict | None = None,
    latent_dim: int = 1,
    encoder=encoders.conv,
    decoder=decoders.conv,
    prior=priors.StandardNormal,
    likelihood=likelihoods.Bernoulli,
    embedding_dim: int = 8,
) -> ConditionalVAE:
    """Builds a species-conditional VAE from registered components and checks the interface.

    Args:
      image_shape: (H, W).
      n_channels: C.
      label_values: ``InputData.label_values``; its "species" tuple is the vocabulary
        (passed by ``acvae.runs.experiment``).
      latent_dim: L.
      encoder: an encoder factory, built for (H, W, C + embedding_dim) inputs.
      decoder: a decoder factory, built for L + embedding_dim latents.
      prior: a prior factory over the L latents.
      likelihood: a likelihood factory.
      embedding_dim: E, the size of the learned species embedding.

    Returns:
      A built ``ConditionalVAE``.

    Raises:
      ValueError: one line, for missing labels or a component that breaks the interface.
    """
    species = (label_values or {}).get(LABEL)
    if not species:
        raise ValueError("models.conditional_vae needs the dataset's label_values with "
                         "'species' (acvae.runs.experiment passes them)")
    for what, value in (("latent_dim", latent_dim), ("embedding_dim", embedding_dim)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"models.conditional_vae: {what} must be an integer >= 1, "
                             f"got {value!r}")
    height, width = (int(v) for v in image_shape)
    names = {kind: component_name(kind, fn) for kind, fn in (
        ("encoders", encoder), ("decoders", decoder), ("priors", prior),
        ("likelihoods", likelihood))}
    lik = _call(names["likelihoods"], "build", _configured(likelihood),
                n_channels=n_channels)
    per_channel = int(getattr(lik, "params_per_channel", 1))
    output_shape = (height, width, n_channels * per_channel)
    input_shape = (height, width, n_channels + embedding_dim)
    enc = _call(names["encoders"], "build", _configured(encoder),
                input_shape=input_shape, latent_dim=latent_dim)
    dec = _call(names["decoders"], "build", _configured(decoder),
                latent_dim=latent_dim + embedding_dim, output_shape=output_shape)
    pri = _call(names["priors"], "build", _configured(prior),
                latent_dim=latent_dim, encoder=enc, input_shape=input_shape)
    batch, z = 2, tf.zeros([2, latent_dim])
    images = tf.fill([batch, height, width, n_channels], 0.5)
    _checked(names["encoders"], "encode a dummy batch", (batch, 2 * latent_dim),
             "(batch, 2 * latent_dim)", enc, tf.fill([batch, *input_shape], 0.5))
    params = _checked(names["decoders"], "decode a dummy batch", (batch, *output_shape),
                      "(batch, H, W, n_channels * params_per_channel)", dec,
                      tf.zeros([batch, latent_dim + embedding_dim]))
    params = tf.cast(params, tf.float32)
    _checked(names["likelihoods"], "log_prob", (batch,), "(batch,)", lik.log_prob, images, params)
    _checked(names["likelihoods"], "mean", (batch, height, width, n_channels),
             "(batch, H, W, C)", lik.mean, params)
    _checked(names["priors"], "kl", (batch,), "(batch,)", pri.kl, z, z, z)
    _checked(names["priors"], "sample(3)", (3, latent_dim), "(n, latent_dim)", pri.sample, 3,
             seed=0)
    model = ConditionalVAE(enc, dec, pri, lik, latent_dim=latent_dim,
                           image_shape=(height, width), n_channels=n_channels,
                           species=species, embedding_dim=embedding_dim,
                           name="conditional_vae")
    model(tf.fill([2, height, width, n_channels], 0.5))
    return model
