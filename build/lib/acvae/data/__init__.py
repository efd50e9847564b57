"""Data: importers (any layout -> a TFRecord with its schema), synthetic villagers, the pipeline.

Importing this package registers the datasets ``@datasets.tfrecord`` and ``@datasets.synthetic``.
"""

from acvae.data import datasets  # noqa: F401  (registers the datasets)
from acvae.data.pipeline import InputData, input_pipeline  # noqa: F401
from acvae.data.schema import Label, Schema  # noqa: F401
