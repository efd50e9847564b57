"""acvae: a gin-configurable framework for training VAEs on Animal Crossing villagers.

Data flows one way (``ARCHITECTURE.md`` has the picture): images and a label table (or
synthetic villagers) -> TFRecord with its schema (``acvae.prepare``) -> ``tf.data`` pipeline
(``acvae.data``) -> VAE (``acvae.models``) -> its objective (``acvae.losses``) -> training loop
(``acvae.train``, ``acvae.steps``) -> run folder (``acvae.run_folder``) -> figures
(``acvae.visualise``) and metrics (``acvae.evaluate``).
"""

__version__ = "0.1.0"
