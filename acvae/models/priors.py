"""Registered priors p(z) and the KL(q(z|x) || p(z)) term of the ELBO.

A prior is a ``keras.layers.Layer`` built as ``cls(latent_dim, encoder, input_shape, **config)``
with ``kl(mean, logvar, z) -> [B]`` (closed form when one exists, otherwise the single-sample
Monte Carlo estimate ``log q(z|x) - log p(z)`` at the posterior sample ``z``),
``log_prob(z) -> [B]`` and ``sample(n, seed=None) -> [n, L]``. Select one in gin with
``build_vae.prior = @priors.vamp`` and configure it with ``priors.vamp.n_pseudo_inputs = 20``.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

from acvae.core import registry
from acvae.core.errors import ConfigError
from acvae.models import densities


def _seed_pair(seed: int, stream: int) -> tuple[int, int]:
    return (int(seed), stream)


def standard_normal_sample(shape, seed: int | None, stream: int = 0) -> tf.Tensor:
    """N(0, I) draws; stateless (reproducible) when ``seed`` is given."""
    if seed is None:
        return tf.random.normal(shape)
    return tf.random.stateless_normal(shape, seed=_seed_pair(seed, stream))


def uniform_categorical(n: int, n_classes: int, seed: int | None, logits=None) -> tf.Tensor:
    """[n] int32 class indices drawn from ``softmax(logits)`` (uniform when logits is None)."""
    logits = tf.zeros([1, n_classes]) if logits is None else tf.reshape(logits, [1, n_classes])
    if seed is None:
        draws = tf.random.categorical(logits, n, dtype=tf.int32)
    else:
        draws = tf.random.stateless_categorical(
            logits, n, seed=_seed_pair(seed, 1), dtype=tf.int32
        )
    return draws[0]


class Prior(keras.layers.Layer):
    """Base class: float32 computation and Monte Carlo KL from ``log_prob``.

    Args:
      latent_dim: L.
      encoder: the VAE's encoder (used by priors defined through it, e.g. the VampPrior).
      input_shape: (H, W, C) of the images.
    """

    def __init__(self, latent_dim: int, encoder=None, input_shape=None, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.latent_dim = int(latent_dim)
        self.image_shape = None if input_shape is None else tuple(int(s) for s in input_shape)

    def log_prob(self, z: tf.Tensor) -> tf.Tensor:
        """log p(z) [B] for z [B, L]."""
        raise NotImplementedError

    def sample(self, n: int, seed: int | None = None) -> tf.Tensor:
        """[n, L] draws from p(z); reproducible when ``seed`` is given."""
        raise NotImplementedError

    def kl(self, mean: tf.Tensor, logvar: tf.Tensor, z: tf.Tensor) -> tf.Tensor:
        """Single-sample Monte Carlo KL(q(z|x) || p(z)) [B] at the posterior sample ``z`` [B, L]."""
        log_q = densities.diagonal_gaussian_log_prob(z, mean, logvar)
        return densities.monte_carlo_kl(log_q, self.log_prob(z))

    def call(self, z):
        return self.log_prob(z)


@registry.register("priors", "standard_normal")
class StandardNormal(Prior):
    """N(0, I), the prior of Kingma & Welling (2014); KL in closed form (their Eq. 10)."""

    def __init__(self, latent_dim: int, encoder=None, input_shape=None, **kwargs):
        super().__init__(latent_dim, encoder, input_shape, **kwargs)
        self.built = True

    def log_prob(self, z):
        z = tf.cast(z, tf.float32)
        return densities.diagonal_gaussian_log_prob(z, tf.zeros_like(z), tf.zeros_like(z))

    def sample(self, n, seed=None):
        return standard_normal_sample([n, self.latent_dim], seed)

    def kl(self, mean, logvar, z):
        return densities.gaussian_kl_standard_normal(
            tf.cast(mean, tf.float32), tf.cast(logvar, tf.float32)
        )


@registry.register("priors", "mixture")
class Mixture(Prior):
    """Learnable mixture of K diagonal Gaussians (weights, means, log-variances); MC KL.

    Args:
      latent_dim: L.
      encoder: unused.
      input_shape: unused.
      n_components: K.
      initial_spread: standard deviation of the random initial component means.
    """

    def __init__(
        self,
        latent_dim: int,
        encoder=None,
        input_shape=None,
        n_components: int = 10,
        initial_spread: float = 1.0,
        **kwargs,
    ):
        super().__init__(latent_dim, encoder, input_shape, **kwargs)
        if int(n_components) < 1:
            raise ConfigError(f"priors.mixture: n_components must be >= 1, got {n_components}")
        self.n_components = int(n_components)
        k, dim = self.n_components, self.latent_dim
        self.logits = self.add_weight(shape=(k,), initializer="zeros", name="logits")
        self.means = self.add_weight(
            shape=(k, dim),
            initializer=keras.initializers.RandomNormal(stddev=initial_spread),
            name="means",
        )
        self.logvars = self.add_weight(shape=(k, dim), initializer="zeros", name="logvars")
        self.built = True

    def log_prob(self, z):
        return densities.mixture_log_prob(
            tf.cast(z, tf.float32),
            tf.convert_to_tensor(self.logits),
            tf.convert_to_tensor(self.means),
            tf.convert_to_tensor(self.logvars),
        )

    def sample(self, n, seed=None):
        component = uniform_categorical(n, self.n_components, seed, self.logits)
        means = tf.gather(tf.convert_to_tensor(self.means), component)
        logvars = tf.gather(tf.convert_to_tensor(self.logvars), component)
        eps = standard_normal_sample([n, self.latent_dim], seed)
        return means + tf.exp(0.5 * logvars) * eps


@registry.register("priors", "vamp")
class Vamp(Prior):
    """VampPrior (Tomczak & Welling 2018, Eq. 9): p(z) = 1/K sum_k q(z | u_k); MC KL.

    The K pseudo-inputs u_k are learned images, kept in [0, 1] as ``sigmoid`` of a variable
    initialised near 0 (so u_k starts near 0.5), and encoded by the VAE's own encoder (called
    with ``training=False``, so batch-normalisation statistics are not disturbed).

    Args:
      latent_dim: L.
      encoder: the VAE's encoder, [B, H, W, C] -> [B, 2L].
      input_shape: (H, W, C).
      n_pseudo_inputs: K.
      initial_noise: standard deviation of the pseudo-input logits at initialisation.
    """

    def __init__(
        self,
        latent_dim: int,
        encoder,
        input_shape: Sequence[int],
        n_pseudo_inputs: int = 10,
        initial_noise: float = 0.1,
        **kwargs,
    ):
        super().__init__(latent_dim, encoder, input_shape, **kwargs)
        if encoder is None or input_shape is None:
            raise ConfigError("priors.vamp needs the VAE's encoder and input_shape")
        if int(n_pseudo_inputs) < 1:
            raise ConfigError(f"priors.vamp: n_pseudo_inputs must be >= 1, got {n_pseudo_inputs}")
        self.n_pseudo_inputs = int(n_pseudo_inputs)
        self.encoder = encoder
        self.pseudo_logits = self.add_weight(
            shape=(self.n_pseudo_inputs, *self.image_shape),
            initializer=keras.initializers.RandomNormal(stddev=initial_noise),
            name="pseudo_inputs",
        )
        self.built = True

    @property
    def pseudo_inputs(self) -> tf.Tensor:
        """[K, H, W, C] learned pseudo-images in [0, 1]."""
        return tf.sigmoid(tf.convert_to_tensor(self.pseudo_logits))

    def components(self) -> tuple[tf.Tensor, tf.Tensor]:
        """(means [K, L], logvars [K, L]) of q(z | u_k)."""
        out = tf.cast(self.encoder(self.pseudo_inputs, training=False), tf.float32)
        return out[:, : self.latent_dim], out[:, self.latent_dim :]

    def log_prob(self, z):
        means, logvars = self.components()
        table = densities.diagonal_gaussian_log_prob(
            tf.cast(z, tf.float32)[:, None, :], means[None], logvars[None]
        )  # [B, K]
        return densities.log_mean_exp(table, axis=-1)

    def sample(self, n, seed=None):
        means, logvars = self.components()
        component = uniform_categorical(n, self.n_pseudo_inputs, seed)
        eps = standard_normal_sample([n, self.latent_dim], seed)
        return tf.gather(means, component) + tf.exp(0.5 * tf.gather(logvars, component)) * eps
