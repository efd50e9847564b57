"""Villager data: the TFRecord schema, Kaggle import, synthetic villagers and the input pipeline.

Importing this package registers the datasets ``@datasets.tfrecord`` and ``@datasets.synthetic``.
"""

from acvae.data import datasets  # noqa: F401  (registers the datasets)
from acvae.data.pipeline import LABELS, InputData, input_pipeline  # noqa: F401
