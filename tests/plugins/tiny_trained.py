"""Tiny trained runs shared by the plugin, generate and export tests (one per config).

``trained_run(tmp_path_factory, "demo")`` trains ``configs/demo.gin`` with ``configs/test.gin``
(16x16 synthetic villagers) for one epoch into a session temporary folder, once per session;
later calls return the same folder. Tests must not write into it.
"""

import pathlib

import gin

from acvae.core import config
from acvae.training.loop import train
from tests.conftest import REPO

_RUNS: dict[str, pathlib.Path] = {}


def trained_run(tmp_path_factory, name: str, *params: str) -> pathlib.Path:
    """The folder of a one-epoch run of ``configs/<name>.gin`` + ``configs/test.gin``."""
    key = "|".join((name, *params))
    if key not in _RUNS:
        run_dir = tmp_path_factory.mktemp(f"run-{name}")
        gin.clear_config(clear_constants=True)
        config.load([str(REPO / "configs" / f"{name}.gin"), str(REPO / "configs/test.gin")],
                    ["N_EPOCHS = 1", "train.visualisers = []", *params], finalize=False)
        train(run_dir)
        gin.clear_config(clear_constants=True)
        _RUNS[key] = run_dir
    return _RUNS[key]
