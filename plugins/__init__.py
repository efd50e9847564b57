"""Drop-in components shipped with acvae, one module per plugin.

Each module registers its components with ``acvae.core.registry.register`` exactly as the built-ins
do, and is switched on by an ``import plugins.NAME`` line at the top of a ``.gin`` file (see
``configs/residual.gin``, ``configs/conditional.gin`` and ``configs/latent_usage.gin``). Nothing
here is imported by ``acvae`` itself: a plugin costs nothing until a config asks for it.
"""
