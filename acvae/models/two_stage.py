"""The two-stage VAE sampler (Dai & Wipf 2019, "Diagnosing and Enhancing VAE Models").

A trained VAE's aggregate posterior q(z) = (1/N) sum_i q(z|x_i) does not match its prior, so
prior draws land where the decoder saw no code. Dai & Wipf's second stage is a small VAE
trained on the codes themselves, whose own aggregate posterior does match N(0, I) (their
Theorem 4, helped by a learned output variance gamma that can shrink towards 0); sampling is
u ~ N(0, I) -> the second decoder -> z. Here the second stage is trained on posterior draws of
the training codes, normalised per dimension (``learned_samplers``), with their architecture
(Sec. 4 and code: ``depth`` dense ReLU layers of ``units``, the input joined to the last
hidden layer before the output; 512 units here, as 1024 drew no better on the demo in three
times the time) and their loss (Eq. 2):

    -ELBO(x) = sum_d [(x_d - x_hat_d(u))^2 / (2 gamma_d) + log(2 pi gamma_d) / 2]
               + KL(q(u|x) || N(0, I)),    u ~ q(u|x) = N(mu(x), diag sigma^2(x)),

with two departures. gamma is learned per code dimension (Dai & Wipf learn one scalar; a
code's unused dimensions are pure posterior noise and would set it for all). A sample is a
draw of p(z|u) = N(x_hat(u), diag gamma) (``decoder_noise``), not only its mean: where the
codes are not a low-dimensional manifold (posterior noise is not) gamma stays well above 0,
and the mean alone loses that share of the variance (measured with one scalar gamma on a 4-D
Gaussian: every standard deviation 14% short, a correlation of 0.8 drawn as 0.998). On the
demo's codes neither choice draws good villagers (both blurred and dull; see
``benchmarks/samplers.py``).

``log_prob`` is an importance-weighted estimate (Burda et al. 2016), a lower bound of log
q(z) in expectation that tightens with more samples: the exact density of a VAE is not
tractable. Selected in gin with ``experiment.sampler = @samplers.two_stage_vae()``.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from acvae.core import registry
from acvae.models.learned_samplers import (CodeLayout, LearnedSampler, check_positive,
                                           seed_pair)

LOG_2PI = math.log(2.0 * math.pi)


class LogVariance(tf.Module):
    """The second stage's learned output log-variances log gamma [L], starting at 0."""

    def __init__(self, size: int):
        super().__init__(name="log_gamma")
        self.value = tf.Variable(tf.zeros([size]), name="log_gamma")


def dense_net(input_dim: int, output_dim: int, units: int, depth: int, name: str,
              heads: int = 1) -> keras.Model:
    """Dai & Wipf's second-stage network: ``depth`` dense ReLU layers of ``units``, the input
    joined to the last hidden layer, then ``heads`` linear outputs of ``output_dim`` each
    ([B, input_dim] -> [B, heads * output_dim])."""
    inputs = keras.Input((input_dim,), name=f"{name}_input")
    x = inputs
    for i in range(depth):
        x = keras.layers.Dense(units, activation="relu", name=f"{name}_dense{i}")(x)
    x = keras.layers.Concatenate(name=f"{name}_skip")([inputs, x])
    outputs = keras.layers.Dense(heads * output_dim, name=f"{name}_out")(x)
    return keras.Model(inputs, outputs, name=name)


@registry.register("samplers", "two_stage_vae")
class TwoStageVAESampler(LearnedSampler):
    """A second VAE on the training codes (see the module docstring).

    Args:
      latent_dim: the second stage's latent size (None: the code's, as Dai & Wipf).
      units: hidden width of its encoder and decoder.
      depth: hidden layers of each.
      decoder_noise: samples are draws of p(z|u), not its mean (see the module docstring).
      steps, batch_size, learning_rate, max_seconds, ema_decay, posterior_draws,
        checkpoint_every, seed: the fit (``learned_samplers.LearnedSampler``).
    """

    name = "two_stage_vae"

    def __init__(self, latent_dim: int | None = None, units: int = 512, depth: int = 3,
                 decoder_noise: bool = True,
                 steps: int = 3000, batch_size: int = 64, learning_rate: float = 1e-3,
                 max_seconds: float = 600.0, ema_decay: float = 0.0,
                 posterior_draws: bool = True, checkpoint_every: int = 500, seed: int = 0):
        super().__init__(steps, batch_size, learning_rate, max_seconds, ema_decay,
                         posterior_draws, checkpoint_every, seed)
        check_positive(self.name, units=units, depth=depth, **(
            {} if latent_dim is None else {"latent_dim": latent_dim}))
        self.settings.update(latent_dim=latent_dim, units=int(units), depth=int(depth),
                             decoder_noise=bool(decoder_noise))

    def _latent_dim(self, layout: CodeLayout) -> int:
        return self.settings["latent_dim"] or layout.size

    def _networks(self, layout: CodeLayout) -> dict:
        u_dim, units, depth = self._latent_dim(layout), self.settings["units"], \
            self.settings["depth"]
        return {"encoder": dense_net(layout.size, u_dim, units, depth, "encoder", heads=2),
                "decoder": dense_net(u_dim, layout.size, units, depth, "decoder"),
                "log_gamma": LogVariance(layout.size)}

    @staticmethod
    def _log_px(networks: dict, x: tf.Tensor, u: tf.Tensor) -> tf.Tensor:
        """log N(x; x_hat(u), diag gamma) [B] for normalised codes x [B, L]."""
        log_gamma = networks["log_gamma"].value
        squared = tf.square(x - networks["decoder"](u)) * tf.exp(-log_gamma)
        return -0.5 * tf.reduce_sum(squared + LOG_2PI + log_gamma, -1)

    def _loss(self, networks: dict, x: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """The mean negative ELBO per code dimension (Dai & Wipf 2019, Eq. 2), with the
        closed-form KL of a diagonal Gaussian from N(0, I)."""
        mu, logvar = tf.split(networks["encoder"](x), 2, axis=-1)
        u = mu + tf.exp(0.5 * logvar) * tf.random.stateless_normal(tf.shape(mu), seed)
        kl = 0.5 * tf.reduce_sum(tf.square(mu) + tf.exp(logvar) - logvar - 1.0, -1)
        return tf.reduce_mean(kl - self._log_px(networks, x, u)) / float(x.shape[-1])

    def _generate(self, n, seed: tf.Tensor) -> tf.Tensor:
        u = tf.random.stateless_normal(tf.stack([n, self._latent_dim(self.layout)]), seed)
        x = self.networks["decoder"](u)
        if not self.settings["decoder_noise"]:
            return x
        noise = tf.random.stateless_normal(tf.shape(x),
                                           tf.random.experimental.stateless_fold_in(seed, 1))
        return x + tf.exp(0.5 * self.networks["log_gamma"].value) * noise

    def log_prob(self, z, importance_samples: int = 64, seed: int = 0) -> tf.Tensor:
        """An importance-weighted estimate of log q(z) [n] in nats (a lower bound in
        expectation; Burda et al. 2016, Eq. 8) with ``importance_samples`` draws of u."""
        if not self.fitted:
            raise RuntimeError("the two_stage_vae sampler is used before it was fitted")
        x = (tf.cast(z, tf.float32) - self.mean) / self.std
        mu, logvar = tf.split(self.networks["encoder"](x), 2, axis=-1)
        weights = []
        for k in range(importance_samples):
            eps = tf.random.stateless_normal(tf.shape(mu), seed_pair(seed, 10 + k))
            u = mu + tf.exp(0.5 * logvar) * eps
            log_pu = -0.5 * tf.reduce_sum(tf.square(u) + LOG_2PI, -1)
            log_qu = -0.5 * tf.reduce_sum(tf.square(eps) + LOG_2PI + logvar, -1)
            weights.append(self._log_px(self.networks, x, u) + log_pu - log_qu)
        log_x = tf.reduce_logsumexp(tf.stack(weights), 0) - np.log(importance_samples)
        return log_x - tf.reduce_sum(tf.math.log(self.std))
