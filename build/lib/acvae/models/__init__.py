"""VAE models: registered encoders, decoders, priors and likelihoods, ``VAE`` and ``build_vae``.

Importing this package registers every built-in component with gin (``@encoders.conv``,
``@priors.vamp``, ``@models.vae``, ...); nothing is built until ``build_vae`` is called.
"""

from acvae.models import decoders, encoders, likelihoods, priors
from acvae.models.build import build_vae
from acvae.models.vae import VAE

__all__ = ["VAE", "build_vae", "decoders", "encoders", "likelihoods", "priors"]
