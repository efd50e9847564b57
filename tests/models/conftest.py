"""Fixtures for the model tests: tiny architectures bound through gin, fixed seeds."""

import gin
import keras
import pytest

from acvae.core import registry

TINY_BINDINGS = """
encoders.conv.filters = (4, 8)
decoders.conv.filters = (4, 8)
encoders.dense.units = (16,)
decoders.dense.units = (16,)
priors.mixture.n_components = 3
priors.vamp.n_pseudo_inputs = 3
"""


@pytest.fixture
def tiny(clean_gin_config):
    """Binds small layer sizes for the built-in components and seeds Keras."""
    registry.load_built_ins()  # gin parses the bindings itself here
    gin.parse_config(TINY_BINDINGS)
    keras.utils.set_random_seed(0)
    yield
