"""Label-conditional VAE: ``build_vae.model = @models.conditional_vae``.

A conditional VAE (Sohn et al. 2015, "Learning Structured Output Representation using Deep
Conditional Generative Models", Eq. 4) models p(x|z, y) and q(z|x, y) with y a categorical
label of the dataset (``models.conditional_vae.label``; default: the first categorical one,
species for villagers). The condition is a learned embedding e(y) [E]: the encoder sees it
tiled as E extra image channels, the decoder sees it concatenated to z. It overrides only the
``VAE`` hooks for what the networks see, so any registered encoder, decoder, prior and
likelihood serve unchanged, and the ELBO is the plain VAE's with every term conditioned on y.

A condition is label ids int [B] (-1: none) or weights over the label's K values [B, K]; its
embedding is the weighted mean of the value embeddings. No condition is the **mean
embedding**, so every figure works unconditioned, and blended weights blend values.

Switch it on in a ``.gin`` file::

    import plugins.conditional
    include 'configs/base.gin'
    build_vae.model = @models.conditional_vae
    models.conditional_vae.label = 'species'
    models.conditional_vae.embedding_dim = 8
"""

from __future__ import annotations

import keras
import tensorflow as tf

from acvae.core import registry
from acvae.core.errors import ConfigError
from acvae.models import VAE


@registry.register("models", "conditional_vae")
class ConditionalVAE(VAE):
    """A VAE whose encoder and decoder also see a learned embedding of one categorical label.

    Args:
      schema: the dataset's schema (``build_vae`` passes it).
      label: the categorical label to condition on; None: the schema's first.
      embedding_dim: E.
      **kwargs: as for ``VAE`` (latent_dim, image_shape, n_channels, ...).
    """

    def __init__(self, schema=None, label: str | None = None, embedding_dim: int = 8, **kwargs):
        kwargs.setdefault("name", "conditional_vae")
        super().__init__(**kwargs)
        if schema is None:
            raise ConfigError("models.conditional_vae needs the dataset's schema")
        try:
            self.label = schema.categorical_label(label)
        except ValueError as error:  # the schema's SchemaError lists the categorical labels
            raise ConfigError(f"models.conditional_vae: {error}") from None
        if isinstance(embedding_dim, bool) or not isinstance(embedding_dim, int) \
                or embedding_dim < 1:
            raise ConfigError(f"models.conditional_vae: embedding_dim must be an integer >= 1, "
                              f"got {embedding_dim!r}")
        self.embedding_dim = embedding_dim
        self.embedding = keras.layers.Embedding(len(self.label.values), embedding_dim,
                                                name="label_embedding")
        self.embedding.build((None,))

    @property
    def conditions(self):
        return self.label

    @property
    def encoder_input_shape(self) -> tuple[int, int, int]:
        return (*self.image_shape, self.n_channels + self.embedding_dim)

    @property
    def decoder_input_size(self) -> int:
        return self.latent_dim + self.embedding_dim

    def embed(self, condition, batch_size) -> tf.Tensor:
        """Embeddings [B, E] of a condition (ids or weights); the mean one for None or -1."""
        table = tf.cast(self.embedding.embeddings, tf.float32)
        k = len(self.label.values)
        if condition is None:
            return tf.tile(tf.reduce_mean(table, 0, keepdims=True), tf.stack([batch_size, 1]))
        condition = tf.convert_to_tensor(condition)
        if condition.dtype.is_integer:
            ids = tf.cast(condition, tf.int32)
            weights = tf.where((ids >= 0)[:, None], tf.one_hot(ids, k), 1.0 / k)
        else:
            weights = tf.cast(condition, tf.float32)
        return tf.matmul(weights, table)

    def encoder_inputs(self, images, condition=None):
        shape = tf.shape(images)
        embedded = self.embed(condition, shape[0])[:, None, None, :]
        tiled = tf.tile(embedded, tf.stack([1, shape[1], shape[2], 1]))
        return tf.concat([images, tf.cast(tiled, images.dtype)], -1)

    def decoder_inputs(self, z, condition=None):
        return tf.concat([z, self.embed(condition, tf.shape(z)[0])], -1)
