"""Fixtures for the visualiser tests: a tiny untrained run per (latent dimensions, channels)."""

import pytest

from tests.visualise.tiny_runs import COMBINATIONS, make_run


@pytest.fixture(scope="module", params=COMBINATIONS, ids=lambda c: f"latent{c[0]}-channels{c[1]}")
def tiny_run(request, tmp_path_factory, villagers_tfrecord):
    """A tiny untrained run for each (latent_dim, n_channels) combination."""
    latent_dim, n_channels = request.param
    return make_run(tmp_path_factory.mktemp(f"run{latent_dim}{n_channels}"), villagers_tfrecord,
                    latent_dim, n_channels)
