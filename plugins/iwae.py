"""IWAE: the importance-weighted bound with K samples as the objective, ``@models.iwae``.

Burda, Grosse & Salakhutdinov (2016), "Importance Weighted Autoencoders", train the VAE's
networks on the K-sample bound (their Eq. 8)

    L_K(x) = log (1/K) sum_k w_k,    w_k = p(x|z_k) p(z_k) / q(z_k|x),    z_k ~ q(z|x),

which is the ELBO for K = 1, grows with K in expectation and tends to log p(x) (their
Theorem 1), so the posterior need not cover p(z|x) as tightly as the ELBO demands. The
per-image terms (``loss_terms``, overriding the VAE's one-sample ones) average the K samples:
``reconstruction`` = mean_k -log p(x|z_k), ``kl`` = the prior's KL (closed form or the mean
of the K Monte Carlo estimates), so -(reconstruction + kl) is the ELBO as for every model, and
``iwae`` = -L_K (nats; ``history.csv``: ``train_iwae``, ``val_iwae``). The per-image loss is

    loss = -L_K + (beta_t - 1) * KL

with the trainer's KL weight ``beta_t`` (``train.beta``, warmed up): -L_K itself for
beta_t = 1, and during a KL warm-up the same discount of the KL as the VAE's objective
(reconstruction + beta_t KL = -ELBO + (beta_t - 1) KL). The K samples of a batch are decoded
as one batch of K * B images.

Switch it on in a ``.gin`` file (``configs/iwae.gin``)::

    import plugins.iwae
    include 'configs/base.gin'
    build_vae.model = @models.iwae
    models.iwae.n_samples = 5
"""

from __future__ import annotations

import tensorflow as tf

from acvae.core import knobs, registry
from acvae.models import VAE, densities

knobs.declare("models.iwae", n_samples=knobs.COUNT)


def repeat(t, times: int):
    """``t`` [B, ...] stacked ``times`` times along the batch: [times * B, ...] (sample-major:
    row k * B + b); None stays None."""
    if t is None:
        return None
    t = tf.convert_to_tensor(t)
    return tf.tile(t, tf.concat([[times], tf.ones([tf.rank(t) - 1], tf.int32)], 0))


def iwae_bound(log_weights: tf.Tensor) -> tf.Tensor:
    """L_K [B] from log weights [K, B]: log (1/K) sum_k exp(log w_k)."""
    k = tf.cast(tf.shape(log_weights)[0], log_weights.dtype)
    return tf.reduce_logsumexp(log_weights, axis=0) - tf.math.log(k)


@registry.register("models", "iwae")
class IWAE(VAE):
    """A VAE trained on the K-sample importance-weighted bound (see the module docstring).

    Args:
      n_samples: K, posterior samples per image (1: the ELBO).
      **kwargs: as for ``VAE``.
    """

    term_names = VAE.term_names + ("iwae",)

    def __init__(self, n_samples: int = 5, **kwargs):
        kwargs.setdefault("name", "iwae")
        super().__init__(**kwargs)
        knobs.check("models.iwae", n_samples=n_samples)
        self.n_samples = int(n_samples)

    def loss_terms(self, images, condition=None, training: bool = False) -> dict:
        """Per-image terms [B] from K posterior samples each (see the module docstring)."""
        images = tf.cast(images, tf.float32)
        mean, logvar = self.encode(images, condition, training=training)
        k, batch = self.n_samples, tf.shape(images)[0]
        means, logvars = repeat(mean, k), repeat(logvar, k)
        z = self.reparameterize(means, logvars)  # [K * B, L]
        params = self.decode(z, repeat(condition, k), training=training)
        log_px = self.likelihood.log_prob(repeat(images, k), params)
        log_ratio = self.prior.log_prob(z) - densities.diagonal_gaussian_log_prob(z, means, logvars)
        per_sample = lambda t: tf.reshape(t, tf.stack([k, batch]))  # noqa: E731
        return {"reconstruction": -tf.reduce_mean(per_sample(log_px), 0),
                "kl": tf.reduce_mean(per_sample(self.prior.kl(means, logvars, z)), 0),
                "iwae": -iwae_bound(per_sample(log_px + log_ratio))}

    def objective(self, terms: dict, beta) -> tf.Tensor:
        """-L_K + (beta - 1) * KL."""
        return terms["iwae"] + (beta - 1.0) * terms["kl"]
