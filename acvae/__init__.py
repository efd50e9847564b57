"""acvae: a gin-configurable framework for training VAEs on Animal Crossing villagers.

Data flows one way: Kaggle JSON + images (or synthetic villagers) -> TFRecord
(``acvae.prepare``) -> ``tf.data`` pipeline (``acvae.data``) -> VAE (``acvae.models``)
-> ELBO (``acvae.losses``) -> training loop (``acvae.train``) -> run folder
-> figures (``acvae.visualise``) and metrics (``acvae.evaluate``).
"""

__version__ = "0.1.0"
