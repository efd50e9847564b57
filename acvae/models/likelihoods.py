"""Registered likelihoods p(x|z): decoder parameters [B, H, W, C * P] -> log-density per image.

A likelihood is a ``keras.layers.Layer`` built as ``cls(n_channels, **config)`` with
``params_per_channel`` (P), ``log_prob(images, params) -> [B]`` (nats per image, summed over
pixels and channels) and ``mean(params) -> [B, H, W, C]`` in [0, 1]. Select one in gin with
``build_vae.likelihood = @likelihoods.gaussian`` and configure it with
``likelihoods.gaussian.sigma = 0.05``.

All take ``alpha_weighting``: for RGBA images, the colour (RGB) terms of each pixel are
multiplied by ``w = alpha_weighting + (1 - alpha_weighting) * alpha_target`` while the alpha
channel always counts fully (``densities.colour_weights``): colour counts where the art is opaque
(the colour of a transparent pixel is undefined in the art) and the outline is learned from
the alpha channel everywhere. The weighted value is no longer a normalised log-likelihood;
ELBOs computed with and without weighting are not comparable.

Which likelihood draws villagers in their colours was measured (``benchmarks/quality.py``;
numbers in docs/benchmarks.md): ``sigma_vae`` (a Gaussian whose sigma is the maximum-likelihood value
per image and channel, Rybkin et al. 2021), ``bernoulli``, ``discretized_logistic`` (Salimans
et al. 2017), and the fixed- and learned-sigma Gaussians.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from acvae.core import registry
from acvae.core.errors import ConfigError
from acvae.models import densities


class Likelihood(keras.layers.Layer):
    """Base class: alpha weighting, float32 computation and the shared ``mean``.

    Args:
      n_channels: C, the image channels (1, 3 or 4).
      alpha_weighting: weight of fully transparent pixels in [0, 1], or None for no weighting;
        only valid with 4 channels.
    """

    params_per_channel = 1

    def __init__(self, n_channels: int, alpha_weighting: float | None = None, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        name = f"likelihoods.{registry_name(type(self))}"
        if alpha_weighting is not None:
            if n_channels != 4:
                raise ConfigError(
                    f"{name}: alpha_weighting needs 4-channel (RGBA) images, got "
                    f"n_channels={n_channels}; set alpha_weighting = None"
                )
            if not 0.0 <= alpha_weighting <= 1.0:
                raise ConfigError(f"{name}: alpha_weighting must be in [0, 1], got {alpha_weighting}")
        self.n_channels = int(n_channels)
        self.alpha_weighting = None if alpha_weighting is None else float(alpha_weighting)
        self.built = True

    def weights_for(self, images: tf.Tensor) -> tf.Tensor | None:
        """[B, H, W, 4] per-element weights (``densities.colour_weights``), or None without
        alpha weighting."""
        if self.alpha_weighting is None:
            return None
        return densities.colour_weights(images, self.alpha_weighting)

    def mean(self, params: tf.Tensor) -> tf.Tensor:
        """Mean image [B, H, W, C] in [0, 1]: ``sigmoid(params)``."""
        return tf.sigmoid(tf.cast(params, tf.float32))

    def log_prob(self, images: tf.Tensor, params: tf.Tensor) -> tf.Tensor:
        """log p(images | params) [B] in nats; ``images`` [B, H, W, C] in [0, 1]."""
        raise NotImplementedError

    def call(self, images, params):
        return self.log_prob(images, params)


def registry_name(cls) -> str:
    """The name a likelihood class is registered under (its class name as a fallback)."""
    return getattr(cls, "registered_name", cls.__name__)


@registry.register("likelihoods", "bernoulli")
class Bernoulli(Likelihood):
    """Bernoulli on pixel intensities in [0, 1] from logits; mean = sigmoid(logits).

    Kingma & Welling (2014), Appendix C.1; continuous targets are used without the
    continuous-Bernoulli normaliser (Loaiza-Ganem & Cunningham 2019), as is customary.
    """

    registered_name = "bernoulli"

    def log_prob(self, images, params):
        images = tf.cast(images, tf.float32)
        params = tf.cast(params, tf.float32)
        return densities.bernoulli_log_prob(images, params, self.weights_for(images))


@registry.register("likelihoods", "gaussian")
class Gaussian(Likelihood):
    """Gaussian with fixed standard deviation ``sigma`` (default 0.1); mean = sigmoid(params).

    Args:
      n_channels: C.
      sigma: the fixed standard deviation, > 0.
      alpha_weighting: see ``Likelihood``.
    """

    registered_name = "gaussian"

    def __init__(self, n_channels: int, sigma: float = 0.1, alpha_weighting=None, **kwargs):
        super().__init__(n_channels, alpha_weighting, **kwargs)
        if not sigma > 0:
            raise ConfigError(f"likelihoods.gaussian: sigma must be > 0, got {sigma}")
        self.sigma = float(sigma)

    def log_prob(self, images, params):
        images = tf.cast(images, tf.float32)
        return densities.gaussian_log_prob(
            images, self.mean(params), math.log(self.sigma), self.weights_for(images)
        )


@registry.register("likelihoods", "learned_gaussian")
class LearnedGaussian(Likelihood):
    """Gaussian with one learned log-sigma per channel; mean = sigmoid(params).

    Args:
      n_channels: C.
      initial_sigma: starting standard deviation for every channel, > 0.
      min_sigma: lower bound on sigma (keeps the density finite when the fit becomes exact).
      alpha_weighting: see ``Likelihood``.
    """

    registered_name = "learned_gaussian"

    def __init__(
        self,
        n_channels: int,
        initial_sigma: float = 0.1,
        min_sigma: float = 1e-3,
        alpha_weighting=None,
        **kwargs,
    ):
        super().__init__(n_channels, alpha_weighting, **kwargs)
        if not initial_sigma > 0 or not min_sigma > 0:
            raise ConfigError(
                "likelihoods.learned_gaussian: initial_sigma and min_sigma must be > 0, got "
                f"{initial_sigma} and {min_sigma}"
            )
        self.min_log_sigma = math.log(min_sigma)
        self.raw_log_sigma = self.add_weight(
            shape=(self.n_channels,),
            initializer=keras.initializers.Constant(math.log(initial_sigma)),
            name="log_sigma",
        )

    @property
    def log_sigma(self) -> tf.Tensor:
        """[C] log standard deviation per channel, bounded below by log(min_sigma)."""
        return tf.maximum(tf.convert_to_tensor(self.raw_log_sigma), self.min_log_sigma)

    def log_prob(self, images, params):
        images = tf.cast(images, tf.float32)
        return densities.gaussian_log_prob(
            images, self.mean(params), self.log_sigma, self.weights_for(images)
        )


@registry.register("likelihoods", "sigma_vae")
class SigmaVAE(Likelihood):
    """Gaussian whose sigma is set to its maximum-likelihood value per image and channel.

    The calibrated decoder of Rybkin, Daniilidis & Levine (2021), "Simple and Effective VAE
    Training with Calibrated Decoders" (the "optimal sigma" sigma-VAE, Sec. 3.2): sigma_bc^2
    is the (weighted) mean squared error of image b's channel c, so
    ``-log p(x|z) = sum_c W_bc / 2 (log 2 pi sigma_bc^2 + 1)``: logarithmic in the error. As
    the reconstruction improves its weight against the KL grows, so the decoder keeps learning
    detail and colour where a fixed sigma (or the Bernoulli) settles for a blur; there is no
    sigma to tune. Mean = sigmoid(params). (sigma depends on the image itself, so the value is
    the profile likelihood, an upper bound on the Gaussian likelihood at any fixed sigma.)

    Args:
      n_channels: C.
      min_sigma: lower bound on sigma (a perfect fit would give an infinite density).
      per_channel: one sigma per image and channel (True) or one per image (False).
      over_batch: fit sigma to the whole batch, shared by its images (the paper's code), not to
        each image.
      alpha_weighting: see ``Likelihood``.
    """

    registered_name = "sigma_vae"

    def __init__(self, n_channels: int, min_sigma: float = 1e-3, per_channel: bool = True,
                 over_batch: bool = False, alpha_weighting=None, **kwargs):
        super().__init__(n_channels, alpha_weighting, **kwargs)
        if not min_sigma > 0:
            raise ConfigError(f"likelihoods.sigma_vae: min_sigma must be > 0, got {min_sigma}")
        self.min_sigma, self.per_channel = float(min_sigma), bool(per_channel)
        self.over_batch = bool(over_batch)

    def log_prob(self, images, params):
        images = tf.cast(images, tf.float32)
        return densities.optimal_sigma_gaussian_log_prob(
            images, self.mean(params), self.weights_for(images), self.min_sigma,
            self.per_channel, self.over_batch)


@registry.register("likelihoods", "discretized_logistic")
class DiscretizedLogistic(Likelihood):
    """Discretised logistic over the 256 values of an 8-bit channel (Salimans et al. 2017).

    Two parameters per channel: the location (mean = sigmoid of the first C parameters) and
    the log-scale (the last C, bounded below). A normalised distribution over 8-bit values,
    so its ELBO is a true bound in nats.

    Args:
      n_channels: C.
      alpha_weighting: see ``Likelihood``.
    """

    registered_name = "discretized_logistic"
    params_per_channel = 2

    def mean(self, params):
        """Location image [B, H, W, C] in [0, 1]."""
        return tf.sigmoid(tf.cast(params, tf.float32)[..., : self.n_channels])

    def log_prob(self, images, params):
        images = tf.cast(images, tf.float32)
        params = tf.cast(params, tf.float32)
        return densities.discretized_logistic_log_prob(
            images, self.mean(params), params[..., self.n_channels:], self.weights_for(images))
