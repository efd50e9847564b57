"""DIP-VAE I and II: the covariance of the codes pushed towards the identity, ``@models.dip_vae``.

Kumar, Sattigeri & Balakrishnan (2018), "Variational Inference of Disentangled Latent
Concepts from Unlabeled Observations", Sec. 3, match the aggregate posterior
q(z) = E_p(x)[q(z|x)] to the prior N(0, I) through its covariance: they penalise its
off-diagonal entries towards 0 and its diagonal towards 1,

    penalty = λ_od * sum_{i != j} C_ij^2 + λ_d * sum_i (C_ii - 1)^2,

with C, on each minibatch,

- DIP-VAE-I (``variant = 1``): Cov_p(x)[mu(x)], the covariance of the posterior means;
- DIP-VAE-II (``variant = 2``): Cov_q(z)[z] = E_p(x)[diag exp(logvar(x))] + Cov_p(x)[mu(x)],
  the covariance of the aggregate posterior itself.

The per-image loss is the ELBO's plus the penalty, with the trainer's KL weight ``beta_t``
(``train.beta``, warmed up) on the KL:

    loss = reconstruction + beta_t * KL + penalty

``dip`` is the batch's penalty, the same for every image of the batch (``history.csv``:
``train_dip``, ``val_dip``). Covariances are the batch's biased ones (1/M), as in
disentanglement_lib, whose settings are the defaults here: λ_d = 10 λ_od for DIP-VAE-I and
λ_d = λ_od for DIP-VAE-II (``diagonal_factor``), λ_od swept over 1-50.

Switch it on in a ``.gin`` file (``configs/dip_vae.gin``)::

    import plugins.dip_vae
    include 'configs/base.gin'
    build_vae.model = @models.dip_vae
    models.dip_vae.variant = 2
    models.dip_vae.lambda_od = 10.0
"""

from __future__ import annotations

import tensorflow as tf

from acvae.core import knobs, registry
from acvae.models import VAE

VARIANTS = (1, 2)
DEFAULT_DIAGONAL_FACTOR = {1: 10.0, 2: 1.0}  # λ_d / λ_od by variant (disentanglement_lib)

knobs.declare("models.dip_vae", variant=knobs.one_of(*VARIANTS),
              lambda_od=knobs.number(at_least=0),
              diagonal_factor=knobs.number(at_least=0, optional=True))


def code_covariance(mean: tf.Tensor, logvar: tf.Tensor, variant: int) -> tf.Tensor:
    """The batch covariance [L, L] DIP-VAE penalises (see the module docstring).

    Args:
      mean: [M, L] posterior means.
      logvar: [M, L] posterior log-variances.
      variant: 1 (the means') or 2 (the aggregate posterior's).
    """
    centred = mean - tf.reduce_mean(mean, axis=0, keepdims=True)
    covariance = tf.matmul(centred, centred, transpose_a=True) / tf.cast(tf.shape(mean)[0],
                                                                          mean.dtype)
    if variant == 2:
        covariance += tf.linalg.diag(tf.reduce_mean(tf.exp(logvar), axis=0))
    return covariance


def covariance_penalty(covariance: tf.Tensor, lambda_od: float, lambda_d: float) -> tf.Tensor:
    """λ_od * sum_{i != j} C_ij^2 + λ_d * sum_i (C_ii - 1)^2 (a scalar) for C [L, L]."""
    diagonal = tf.linalg.diag_part(covariance)
    off_diagonal = covariance - tf.linalg.diag(diagonal)
    return (lambda_od * tf.reduce_sum(tf.square(off_diagonal))
            + lambda_d * tf.reduce_sum(tf.square(diagonal - 1.0)))


@registry.register("models", "dip_vae")
class DIPVAE(VAE):
    """A VAE whose objective adds DIP-VAE's covariance penalty (see the module docstring).

    Args:
      variant: 1 (DIP-VAE-I) or 2 (DIP-VAE-II).
      lambda_od: λ_od, the weight of the off-diagonal entries.
      diagonal_factor: λ_d / λ_od; None: 10 for DIP-VAE-I, 1 for DIP-VAE-II.
      **kwargs: as for ``VAE``.
    """

    term_names = VAE.term_names + ("dip",)

    def __init__(self, variant: int = 1, lambda_od: float = 10.0,
                 diagonal_factor: float | None = None, **kwargs):
        kwargs.setdefault("name", "dip_vae")
        super().__init__(**kwargs)
        knobs.check("models.dip_vae", variant=variant, lambda_od=lambda_od,
                    diagonal_factor=diagonal_factor)
        self.variant = int(variant)
        self.lambda_od = float(lambda_od)
        factor = DEFAULT_DIAGONAL_FACTOR[self.variant] if diagonal_factor is None else \
            diagonal_factor
        self.lambda_d = float(factor) * self.lambda_od

    def regulariser(self, mean, logvar, z) -> dict:
        penalty = covariance_penalty(code_covariance(mean, logvar, self.variant),
                                     self.lambda_od, self.lambda_d)
        return {**super().regulariser(mean, logvar, z),
                "dip": tf.fill(tf.shape(mean)[:1], penalty)}

    def objective(self, terms: dict, beta) -> tf.Tensor:
        """reconstruction + beta * KL + the covariance penalty."""
        return terms["reconstruction"] + beta * terms["kl"] + terms["dip"]
