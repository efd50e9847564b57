"""InfoVAE / MMD-VAE: the aggregate posterior matched to the prior by an MMD, ``@models.info_vae``.

Zhao, Song & Ermon (2019), "InfoVAE: Balancing Learning and Inference in Variational
Autoencoders", Sec. 3, weigh the ELBO's KL by (1 - α) and add a divergence between the
aggregate posterior q(z) = E_p(x)[q(z|x)] and the prior p(z) weighted by α + λ - 1:

    loss = reconstruction + beta_t * (1 - α) * KL(q(z|x) || p(z)) + (α + λ - 1) * MMD(q(z), p(z))

with the trainer's KL weight ``beta_t`` (``train.beta``, warmed up). α = 1 drops the KL (the
MMD-VAE); α = 0, λ = 1 is the plain ELBO. The divergence is the maximum mean discrepancy
(Gretton et al. 2012) between the batch's posterior samples z_i ~ q(z|x_i) and as many prior
draws p_i, in its unbiased estimate

    MMD = 1/(n(n-1)) sum_{i!=j} k(z_i, z_j) + 1/(n(n-1)) sum_{i!=j} k(p_i, p_j)
          - 2/n^2 sum_{i,j} k(z_i, p_j)

(``mmd``), with a Gaussian (RBF) kernel k(x, y) = exp(-||x - y||^2 / C) or the inverse
multiquadric k(x, y) = C / (C + ||x - y||^2) of Tolstikhin et al. (2018), summed over
C = 2 L s for every s in ``scales`` (2 L: twice the expected squared distance per dimension of
N(0, I) draws, WAE's choice). ``mmd`` is the batch's estimate, the same for every image of
the batch (``history.csv``: ``train_mmd``, ``val_mmd``); the ELBO stays -(reconstruction +
KL). ``plugins/wae_mmd.py`` (WAE-MMD) shares the estimate.

Switch it on in a ``.gin`` file (``configs/info_vae.gin``)::

    import plugins.info_vae
    include 'configs/base.gin'
    build_vae.model = @models.info_vae
    models.info_vae.alpha = 0.0
    models.info_vae.divergence_weight = 100.0
"""

from __future__ import annotations

from collections.abc import Sequence

import tensorflow as tf

from acvae.core import knobs, registry
from acvae.core.errors import ConfigError
from acvae.models import VAE

KERNELS = ("rbf", "imq")
WAE_SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)  # Tolstikhin et al.'s IMQ scales

knobs.declare("models.info_vae", alpha=knobs.number(at_most=1),
              divergence_weight=knobs.number(at_least=0),
              scales=knobs.Numbers(knobs.POSITIVE, min_length=1))


def kernel_matrix(x: tf.Tensor, y: tf.Tensor, kernel: str, scales: Sequence[float]) -> tf.Tensor:
    """k(x_i, y_j) [n, m] for x [n, L] and y [m, L], summed over C = 2 L s, s in ``scales``.

    Args:
      x, y: points.
      kernel: ``"rbf"``: exp(-||x - y||^2 / C); ``"imq"``: C / (C + ||x - y||^2).
      scales: the multiples s of the base scale 2 L.
    """
    squared = tf.reduce_sum(tf.square(x[:, None, :] - y[None, :, :]), axis=-1)
    base = 2.0 * tf.cast(tf.shape(x)[1], x.dtype)
    total = tf.zeros_like(squared)
    for scale in scales:
        c = base * scale
        total += tf.exp(-squared / c) if kernel == "rbf" else c / (c + squared)
    return total


def mmd(z: tf.Tensor, prior_z: tf.Tensor, kernel: str, scales: Sequence[float]) -> tf.Tensor:
    """The unbiased MMD^2 estimate (a scalar) between samples z [n, L] and prior_z [m, L]
    (see the module docstring); 0 in expectation when both come from one distribution."""
    def within(points):
        n = tf.cast(tf.shape(points)[0], points.dtype)
        matrix = kernel_matrix(points, points, kernel, scales)
        return ((tf.reduce_sum(matrix) - tf.linalg.trace(matrix))
                / tf.maximum(n * (n - 1.0), 1.0))

    cross = tf.reduce_mean(kernel_matrix(z, prior_z, kernel, scales))
    return within(z) + within(prior_z) - 2.0 * cross


def check_kernel(component: str, kernel: str) -> None:
    """Raises a ConfigError naming ``component`` unless ``kernel`` is one of ``KERNELS``."""
    if kernel not in KERNELS:
        raise ConfigError(f"{component}: kernel must be one of {', '.join(KERNELS)}, got "
                          f"{kernel!r}")


@registry.register("models", "info_vae")
class InfoVAE(VAE):
    """A VAE whose objective adds an MMD between q(z) and p(z) (see the module docstring).

    Args:
      alpha: α <= 1; 1 drops the KL term (MMD-VAE).
      divergence_weight: λ; the MMD's weight is α + λ - 1, which must be >= 0.
      kernel: ``"rbf"`` or ``"imq"``.
      scales: the kernel's scales, in units of 2 L.
      **kwargs: as for ``VAE``.
    """

    term_names = VAE.term_names + ("mmd",)
    component = "models.info_vae"

    def __init__(self, alpha: float = 0.0, divergence_weight: float = 100.0,
                 kernel: str = "rbf", scales: Sequence[float] = (1.0,), **kwargs):
        kwargs.setdefault("name", "info_vae")
        super().__init__(**kwargs)
        knobs.check("models.info_vae", alpha=alpha)
        knobs.check(self.component, divergence_weight=divergence_weight, scales=scales)
        check_kernel(self.component, kernel)
        if alpha + divergence_weight - 1.0 < 0:
            raise ConfigError(f"{self.component}: the MMD's weight alpha + divergence_weight - 1"
                              f" must be >= 0, got {alpha} + {divergence_weight} - 1")
        self.kl_weight = 1.0 - float(alpha)
        self.mmd_weight = float(alpha) + float(divergence_weight) - 1.0
        self.kernel, self.scales = kernel, tuple(float(s) for s in scales)

    def regulariser(self, mean, logvar, z) -> dict:
        prior_z = tf.cast(self.prior.sample(tf.shape(z)[0]), z.dtype)
        estimate = mmd(z, prior_z, self.kernel, self.scales)
        return {**super().regulariser(mean, logvar, z),
                "mmd": tf.fill(tf.shape(z)[:1], estimate)}

    def objective(self, terms: dict, beta) -> tf.Tensor:
        """reconstruction + beta * (1 - α) * KL + (α + λ - 1) * MMD."""
        return (terms["reconstruction"] + beta * self.kl_weight * terms["kl"]
                + self.mmd_weight * terms["mmd"])
