"""Shared pytest fixtures: a clean gin config for every test, and quiet TensorFlow logs."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import gin  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def clean_gin_config():
    """Every test starts and ends with an empty, unlocked gin config."""
    gin.clear_config(clear_constants=True)
    yield
    gin.clear_config(clear_constants=True)
