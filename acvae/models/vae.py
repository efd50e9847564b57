"""The VAE: one model class whose small hooks are what a variant overrides.

``VAE`` holds no architecture of its own: it wires the four parts passed in (Kingma & Welling
2014): ``q(z|x)`` from the encoder, a posterior sample, ``p(x|z)`` from the decoder and
likelihood, and ``KL(q || p)`` from the prior. Every entry point (``encode``, ``decode``,
``decode_mean``, ``reconstruct``, ``loss_terms``, ``sample``) takes an optional **condition**:
ids of the label the model conditions on (int32 [B], indices into ``conditions.values``; -1
for none) or weights over those values (float32 [B, K]); a model that conditions on nothing
ignores it. Training, evaluation, generation and export only ask this interface.

A variant (disentanglement_lib's ``BaseVAE`` pattern) subclasses ``VAE``, registers with
``registry.register("models")`` and overrides a hook; ``build_vae.model = @models.name``
selects it:

- ``conditions`` / ``condition_of(batch)``: the label a model conditions on and the ids a
  batch feeds it (``plugins/conditional.py``);
- ``encoder_input_shape``, ``decoder_input_size``, ``encoder_inputs``, ``decoder_inputs``:
  what the networks see besides images and latents;
- ``reparameterize``: how a posterior is sampled;
- ``regulariser`` and ``objective``: the named terms beside the reconstruction and the
  per-image loss they make (``plugins/beta_tcvae.py``); ``term_names`` lists the terms;
- ``sampler``: where ``sample`` draws latents from (the prior unless another source is set,
  e.g. a mixture fitted to the training posterior means);
- ``own_optimizers``: parts trained on one of the model's terms by an optimizer of their own,
  in the same train step, and left out of the objective's update (``objective_variables``):
  FactorVAE's discriminator (``plugins/factor_vae.py``);
- ``gaussian_posterior``: False when ``encode`` describes no Gaussian but a point, its mean
  (log-variance -inf): the IWAE bound and the per-dimension KL of ``evaluate`` do not apply
  (the VQ-VAE, ``plugins/vq_vae.py``, whose code is snapped to a codebook).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

from acvae.core import registry
from acvae.data.batches import ids_key


@registry.register("models", "vae")
class VAE(keras.Model):
    """A VAE made of an encoder, a decoder, a prior and a likelihood.

    Build one with ``acvae.models.build_vae`` (which checks every part), or pass the parts here.

    Args:
      encoder: keras.Model ``encoder_input_shape`` [B, H, W, C] -> [B, 2L] (posterior mean,
        then log-variance).
      decoder: keras.Model [B, ``decoder_input_size``] -> [B, H, W, C * P] (likelihood
        parameters).
      prior: a ``priors.Prior``-like layer.
      likelihood: a ``likelihoods.Likelihood``-like layer.
      latent_dim: L.
      image_shape: (H, W).
      n_channels: C.
      schema: the dataset's ``acvae.data.schema.Schema``, for variants that use its labels.
    """

    term_names: tuple[str, ...] = ("reconstruction", "kl")
    gaussian_posterior: bool = True

    def __init__(self, encoder=None, decoder=None, prior=None, likelihood=None,
                 latent_dim: int = 1, image_shape: Sequence[int] = (64, 64),
                 n_channels: int = 4, schema=None, **kwargs):
        kwargs.setdefault("name", "vae")
        super().__init__(**kwargs)
        self.latent_dim = int(latent_dim)
        self.image_shape = tuple(int(s) for s in image_shape)
        self.n_channels = int(n_channels)
        self.noise_seed = keras.random.SeedGenerator(name="noise_seed")
        self._sampler = None
        if encoder is not None:
            self.compose(encoder, decoder, prior, likelihood)

    def compose(self, encoder, decoder, prior, likelihood) -> None:
        """Sets the four parts (``build_vae`` builds them after asking the hooks' shapes)."""
        self.encoder, self.decoder = encoder, decoder
        self.prior, self.likelihood = prior, likelihood

    # ------------------------------------------------------------------ hooks

    @property
    def conditions(self):
        """The categorical ``Label`` this model conditions on, or None (as here)."""
        return None

    def condition_of(self, batch: dict):
        """The condition a batch feeds the model: its ``conditions`` ids [B], or None."""
        label = self.conditions
        return None if label is None else batch[ids_key(label.name)]

    @property
    def encoder_input_shape(self) -> tuple[int, int, int]:
        """(H, W, C') the encoder is built for: the images' (H, W, C) here."""
        return (*self.image_shape, self.n_channels)

    @property
    def decoder_input_size(self) -> int:
        """The width of the decoder's input: L here."""
        return self.latent_dim

    def encoder_inputs(self, images: tf.Tensor, condition=None) -> tf.Tensor:
        """What the encoder sees for images [B, H, W, C]: the images themselves here."""
        del condition
        return images

    def decoder_inputs(self, z: tf.Tensor, condition=None) -> tf.Tensor:
        """What the decoder sees for latents [B, L]: the latents themselves here."""
        del condition
        return z

    def reparameterize(self, mean: tf.Tensor, logvar: tf.Tensor, seed: int | None = None):
        """A posterior sample z = mean + exp(logvar / 2) * eps, eps ~ N(0, I) (Kingma & Welling
        2014, Eq. 4).

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

    def regulariser(self, mean: tf.Tensor, logvar: tf.Tensor, z: tf.Tensor) -> dict:
        """The named per-image terms [B] beside the reconstruction, in nats.

        Here ``{"kl": KL(q(z|x) || p(z))}`` from the prior (closed form or Monte Carlo at
        ``z``). A variant may add terms (and list them in ``term_names``); "kl" must stay,
        since the ELBO is -(reconstruction + kl).
        """
        return {"kl": self.prior.kl(mean, logvar, z)}

    def objective(self, terms: dict, beta) -> tf.Tensor:
        """The per-image loss [B] that training minimises: reconstruction + beta * KL.

        The negative ELBO for ``beta = 1`` (Kingma & Welling 2014, Eq. 3); ``beta`` is the
        trainer's KL weight (Higgins et al. 2017), warmed up linearly (Bowman et al. 2016).
        """
        return terms["reconstruction"] + beta * terms["kl"]

    @property
    def own_optimizers(self) -> dict:
        """Parts trained by their own optimizer: ``{term name: (optimizer, variables)}``.

        The train step (``acvae.training.steps``) minimises the batch mean of each such term over its
        variables with its optimizer, and the objective over every other trainable variable
        (``objective_variables``) with the trainer's. None here.
        """
        return {}

    @property
    def objective_variables(self) -> list:
        """The trainable variables the objective trains: all but ``own_optimizers``'."""
        own = {id(v) for _, variables in self.own_optimizers.values() for v in variables}
        return [v for v in self.trainable_variables if id(v) not in own]

    @property
    def sampler(self):
        """Where ``sample`` draws latents from: anything with ``sample(n, seed) -> [n, L]``;
        the prior unless set."""
        return self.prior if self._sampler is None else self._sampler

    @sampler.setter
    def sampler(self, source) -> None:
        self._sampler = source

    # ------------------------------------------------------------------ interface

    def encode(self, images, condition=None, training: bool = False):
        """Posterior q(z|x): (mean [B, L], logvar [B, L]) for images [B, H, W, C]."""
        images = tf.cast(images, tf.float32)
        out = self.encoder(self.encoder_inputs(images, condition), training=training)
        out = tf.cast(out, tf.float32)
        return out[:, : self.latent_dim], out[:, self.latent_dim :]

    def decode(self, z, condition=None, training: bool = False) -> tf.Tensor:
        """Likelihood parameters [B, H, W, C * P] (float32) for latents z [B, L]."""
        z = tf.cast(z, tf.float32)
        return tf.cast(self.decoder(self.decoder_inputs(z, condition), training=training),
                       tf.float32)

    @tf.function(reduce_retracing=True)
    def posterior(self, images, condition=None):
        """``encode`` compiled, for inference: (mean [B, L], logvar [B, L]). Collecting a
        split's codes for the figures calls it once per batch, and the eager call cost the
        demo's encoder 10.9 ms per batch of 8 against 2.3 ms compiled (medians, 2-core Xeon)."""
        return self.encode(images, condition)

    @tf.function(reduce_retracing=True)
    def decode_mean(self, z, condition=None) -> tf.Tensor:
        """Mean images [B, H, W, C] in [0, 1] for latents z [B, L].

        Compiled: visualisers decode a whole grid per call, and an eager Keras call costs
        twice as much as the convolutions (23 ms against 11 ms for 10 images of 64x64x4).
        """
        return self.likelihood.mean(self.decode(z, condition))

    @tf.function(reduce_retracing=True)
    def reconstruct(self, images, condition=None) -> tf.Tensor:
        """Mean images [B, H, W, C] decoded from the posterior mean, under the same condition.

        Compiled, as ``decode_mean``: training reconstructs the TensorBoard images every
        epoch, and the eager encoder call doubled its cost (24 against 12 ms, medians, for the
        reference net's 8 images on a loaded 2-core CPU).
        """
        mean, _ = self.encode(images, condition)
        return self.decode_mean(mean, condition)

    def loss_terms(self, images, condition=None, training: bool = False) -> dict:
        """Per-image terms in nats, each [B], with one posterior sample.

        Args:
          images: [B, H, W, C] in [0, 1].
          condition: the batch's condition (``condition_of``), or None.
          training: passed to the encoder and decoder (batch normalisation).

        Returns:
          ``{"reconstruction": -log p(x|z), **regulariser(...)}``, keys ``term_names``.
        """
        images = tf.cast(images, tf.float32)
        mean, logvar = self.encode(images, condition, training=training)
        z = self.reparameterize(mean, logvar)
        params = self.decode(z, condition, training=training)
        reconstruction = -self.likelihood.log_prob(images, params)
        return {"reconstruction": reconstruction, **self.regulariser(mean, logvar, z)}

    def sample(self, n: int, seed: int | None = None, condition=None) -> tf.Tensor:
        """n mean images [n, H, W, C] decoded from ``sampler`` draws (reproducible with
        ``seed``), under ``condition`` (ids or weights for n images) when given."""
        z = tf.cast(self.sampler.sample(n, seed=seed), tf.float32)
        return self.decode_mean(z, condition)

    def call(self, images, training=False):
        """Reconstruction means [B, H, W, C] (so that ``model(images)`` builds everything)."""
        mean, _ = self.encode(images, training=training)
        return self.likelihood.mean(self.decode(mean, training=training))
