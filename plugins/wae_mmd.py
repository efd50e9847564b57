"""WAE-MMD: a Wasserstein autoencoder with an MMD penalty, ``@models.wae_mmd``.

Tolstikhin, Bousquet, Gelly & Schölkopf (2018), "Wasserstein Auto-Encoders", minimise a
reconstruction cost plus λ times a divergence between the aggregate posterior q(z) and the
prior p(z) (their Eq. 4 with D_Z the MMD, Algorithm 2):

    loss = reconstruction + λ * MMD(q(z), p(z))

with no KL term: the encoder is free to make its codes informative, and only their
aggregate has to look like the prior. The MMD uses their inverse multiquadric kernel
k(x, y) = C / (C + ||x - y||^2) summed over C = 2 L s for s in 0.1, 0.2, 0.5, 1, 2, 5, 10 (their
code; ``plugins/info_vae.py``'s ``mmd``). The reconstruction cost is the configured
likelihood's -log p(x|z) (a Gaussian likelihood gives their squared error up to a scale).
WAE's encoder may be deterministic or random; here it is the Gaussian q(z|x) of every acvae
model (their code's ``e_noise = 'gaussian'``), and z ~ q(z|x) feeds both the decoder and the
MMD. The KL of that posterior to the prior is still reported, unweighted, so the ELBO
-(reconstruction + KL) of history.csv and ``evaluate`` stays a bound on log p(x) that
compares with every other model's. This is InfoVAE with α = 1 (Zhao et al. 2019 note the
equivalence), with WAE's kernel and λ.

Switch it on in a ``.gin`` file (``configs/wae_mmd.gin``)::

    import plugins.wae_mmd
    include 'configs/base.gin'
    build_vae.model = @models.wae_mmd
    models.wae_mmd.divergence_weight = 100.0
"""

from __future__ import annotations

from collections.abc import Sequence

from acvae.core import knobs, registry
from plugins.info_vae import WAE_SCALES, InfoVAE

knobs.declare("models.wae_mmd", divergence_weight=knobs.number(at_least=0),
              scales=knobs.Numbers(knobs.POSITIVE, min_length=1))


@registry.register("models", "wae_mmd")
class WAEMMD(InfoVAE):
    """InfoVAE with α = 1 and WAE's kernel: reconstruction + λ * MMD (see the module
    docstring).

    Args:
      divergence_weight: λ.
      kernel: ``"imq"`` (WAE's) or ``"rbf"``.
      scales: the kernel's scales, in units of 2 L.
      **kwargs: as for ``VAE``.
    """

    component = "models.wae_mmd"

    def __init__(self, divergence_weight: float = 100.0, kernel: str = "imq",
                 scales: Sequence[float] = WAE_SCALES, **kwargs):
        kwargs.setdefault("name", "wae_mmd")
        super().__init__(alpha=1.0, divergence_weight=divergence_weight, kernel=kernel,
                         scales=scales, **kwargs)
