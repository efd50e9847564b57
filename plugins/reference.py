"""The reference repository's model, reproduced faithfully for benchmarks (``configs/reference.gin``).

The reference (a small Keras script, ``run.py``) trains a convolutional VAE whose objective and
sampling differ from a textbook VAE in three ways, kept here on purpose so that
``benchmarks/quality.py`` compares acvae with what the reference actually does:

- **Loss**: ``r_loss = H*W*C * sum_hw mean_c (x - x_hat)^2``, i.e. ``H * W`` times the summed
  squared error, plus the KL: the reconstruction outweighs the KL by a factor of thousands, so
  the model behaves like a plain autoencoder with a barely regularised latent space
  (``@likelihoods.reference_mse``; its "log-likelihood" is minus that loss, not a density).
- **Output**: ``tanh``, although pixels are in [0, 1]; shown clipped to [0, 1].
- **Posterior**: the encoder's second output is used as log sigma when sampling
  (``z = mu + exp(s) eps``) but as log variance in the KL (``@models.reference_vae``).

``@decoders.reference`` is its decoder: dense (ReLU) to (H/8, W/8, 64), transposed
convolutions with 128, 64 and 32 filters (3x3, stride 2, ReLU), and a stride-1 transposed
convolution to C. Its encoder is ``@encoders.conv`` (32/64/128, 3x3, stride 2, ReLU).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import tensorflow as tf

from acvae.core import registry
from acvae.models import VAE, blocks, likelihoods


@registry.register("likelihoods", "reference_mse")
class ReferenceMSE(likelihoods.Likelihood):
    """The reference's reconstruction loss, negated: ``-H*W * sum (x - tanh(params))^2``."""

    registered_name = "reference_mse"

    def mean(self, params):
        """``tanh(params)`` clipped to [0, 1] (the reference's output, as it is displayed)."""
        return tf.clip_by_value(tf.tanh(tf.cast(params, tf.float32)), 0.0, 1.0)

    def log_prob(self, images, params):
        images = tf.cast(images, tf.float32)
        squared = tf.square(images - tf.tanh(tf.cast(params, tf.float32)))
        height, width = images.shape[1], images.shape[2]
        return -float(height * width) * tf.reduce_sum(squared, axis=[1, 2, 3])


@registry.register("models", "reference_vae")
class ReferenceVAE(VAE):
    """The reference's posterior sampling: ``z = mean + exp(logvar) * eps`` (log sigma)."""

    def reparameterize(self, mean, logvar, seed=None):
        return super().reparameterize(mean, 2.0 * logvar, seed)


@registry.register("decoders", "reference")
def reference(latent_dim: int, output_shape: Sequence[int]) -> keras.Model:
    """The reference decoder: [B, L] -> [B, H, W, C] (no output activation: tanh is the
    likelihood's)."""
    name = "decoders.reference"
    height, width, channels = blocks.check_image_shape(name, output_shape, 3)
    latent_dim = blocks.check_latent_dim(name, latent_dim)
    base_shape = (height // 8, width // 8, 64)
    z = keras.Input(shape=(latent_dim,), name="z")
    x = keras.layers.Dense(math.prod(base_shape), activation="relu", name="dense")(z)
    x = keras.layers.Reshape(base_shape, name="reshape")(x)
    for i, filters in enumerate((128, 64, 32)):
        x = keras.layers.Conv2DTranspose(filters, 3, strides=2, padding="same",
                                         activation="relu", name=f"deconv{i}")(x)
    params = keras.layers.Conv2DTranspose(channels, 3, strides=1, padding="same",
                                          name="params")(x)
    return keras.Model(z, params, name="reference_decoder")
