"""Importing this module registers every built-in component and configurable with gin.

Entry points and ``acvae.runs.load_run`` import it so that any ``.gin`` file, including a
saved ``operative_config.gin``, can name every dataset, model part, optimizer, visualiser
and the ``train`` root.
"""

import acvae.data  # noqa: F401  (datasets)
import acvae.models  # noqa: F401  (encoders, decoders, priors, likelihoods, build_vae)
import acvae.optimizers  # noqa: F401
import acvae.train  # noqa: F401
import acvae.visualise  # noqa: F401
