"""Importing this module registers every built-in component and configurable with gin.

Entry points and ``acvae.experiment.load_run`` callers import it so that any ``.gin`` file,
including a saved ``operative_config.gin``, can name every dataset, model part, model variant,
optimizer, distribution strategy, visualiser and the ``train`` root.
"""

import acvae.augment  # noqa: F401  (augmentations)
import acvae.data  # noqa: F401  (datasets)
import acvae.distribute  # noqa: F401  (strategies)
import acvae.models  # noqa: F401  (encoders, decoders, priors, likelihoods, models, build_vae)
import acvae.models.latent_diffusion, acvae.models.two_stage  # noqa: E401, F401  (learned samplers)
import acvae.optimizers  # noqa: F401
import acvae.train  # noqa: F401
import acvae.visualise  # noqa: F401
