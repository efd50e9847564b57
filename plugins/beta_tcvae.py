"""β-TCVAE: a total-correlation penalty on the aggregate posterior, ``@models.beta_tcvae``.

Chen et al. (2018), "Isolating Sources of Disentanglement in Variational Autoencoders",
decompose the averaged KL term of the ELBO (their Eq. 2) into the index-code mutual
information, the **total correlation** TC = KL(q(z) || prod_j q(z_j)) of the aggregate
posterior q(z) = E_p(x)[q(z|x)], and the dimension-wise KL to the prior. β-TCVAE weighs the TC
by β and the other two by 1 (their objective with α = γ = 1), so the per-image loss is

    loss = reconstruction + beta_t * (KL + (β - 1) * TC)

with ``beta_t`` the trainer's KL weight (``train.beta``, warmed up). The ELBO stays
-(reconstruction + KL); ``tc`` is reported beside it (``history.csv``: ``train_tc``,
``val_tc``). The model overrides two ``VAE`` hooks: ``regulariser`` adds the TC term and
``objective`` weighs it.

TC is estimated on each minibatch {x_1..x_M} with minibatch-weighted sampling (Chen et al.
2018, Sec. 4.1): with z_i ~ q(z|x_i),

    log q(z_i)   ~ logsumexp_j log q(z_i | x_j) - log M
    log q(z_ij)  ~ logsumexp_k log q(z_ij | x_k) - log M
    TC_i = log q(z_i) - sum_j log q(z_ij)

The batch stands in for the data: the paper weighs each pair 1/(NM) for a dataset of N, which
shifts the estimate by the constant (L - 1) log N and leaves the gradients unchanged; with
weights 1/M the estimate is ~0 for a factorised q(z) and tends to the closed form for a
Gaussian one (``tests/plugins/test_beta_tcvae.py``).

Switch it on in a ``.gin`` file (``configs/beta_tcvae.gin``)::

    import plugins.beta_tcvae
    include 'configs/base.gin'
    build_vae.model = @models.beta_tcvae
    models.beta_tcvae.tc_weight = 6.0
"""

from __future__ import annotations

import tensorflow as tf

from acvae.core import registry
from acvae.core.errors import ConfigError
from acvae.models import VAE, densities


def total_correlation(z: tf.Tensor, mean: tf.Tensor, logvar: tf.Tensor) -> tf.Tensor:
    """Minibatch-weighted estimate of each sample's TC term (see the module docstring).

    Args:
      z: [M, L] one posterior sample per image.
      mean: [M, L] posterior means.
      logvar: [M, L] posterior log-variances.

    Returns:
      [M] log q(z_i) - sum_j log q(z_ij) in nats; its mean estimates KL(q(z) || prod q(z_j)).
    """
    z, mean, logvar = (tf.cast(t, tf.float32) for t in (z, mean, logvar))
    # log q(z_ij | x_k) for every sample i, image k, dimension j: [M, M, L]
    pointwise = -0.5 * (densities.LOG_2PI + logvar[None] +
                        tf.square(z[:, None] - mean[None]) * tf.exp(-logvar[None]))
    log_m = tf.math.log(tf.cast(tf.shape(z)[0], tf.float32))
    log_joint = tf.reduce_logsumexp(tf.reduce_sum(pointwise, -1), axis=1) - log_m
    log_marginals = tf.reduce_sum(tf.reduce_logsumexp(pointwise, axis=1) - log_m, -1)
    return log_joint - log_marginals


@registry.register("models", "beta_tcvae")
class BetaTCVAE(VAE):
    """A VAE whose objective weighs the total correlation of q(z) by ``tc_weight`` (β).

    Args:
      tc_weight: β of Chen et al. (2018); 1 gives the plain ELBO.
      **kwargs: as for ``VAE``.
    """

    term_names = VAE.term_names + ("tc",)

    def __init__(self, tc_weight: float = 6.0, **kwargs):
        kwargs.setdefault("name", "beta_tcvae")
        super().__init__(**kwargs)
        if not tc_weight >= 0:
            raise ConfigError(f"models.beta_tcvae: tc_weight must be >= 0, got {tc_weight}")
        self.tc_weight = float(tc_weight)

    def regulariser(self, mean, logvar, z) -> dict:
        return {**super().regulariser(mean, logvar, z), "tc": total_correlation(z, mean, logvar)}

    def objective(self, terms: dict, beta) -> tf.Tensor:
        penalty = terms["kl"] + (self.tc_weight - 1.0) * terms["tc"]
        return terms["reconstruction"] + beta * penalty
