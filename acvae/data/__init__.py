"""Data: importers (any layout -> a TFRecord with its schema), synthetic villagers, the pipeline.

Importing this package registers the datasets ``@datasets.tfrecord`` and ``@datasets.synthetic``.
"""

from acvae.data import datasets  # importing it registers the datasets
from acvae.data.pipeline import InputData, input_pipeline
from acvae.data.schema import Label, Schema

__all__ = ["InputData", "Label", "Schema", "datasets", "input_pipeline"]
