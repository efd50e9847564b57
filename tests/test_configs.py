"""Every shipped config parses and trains for a few steps with configs/test.gin's tiny overrides."""

import pathlib

import pytest

from acvae.core import config
from acvae.runs.run_folder import RunFolder
from acvae.training.loop import train
from tests.conftest import REPO, quick_sampler_fits

CONFIGS = sorted(p.name for p in (REPO / "configs").glob("*.gin") if p.name != "test.gin")
MACROS = ("IMAGE_SHAPE", "N_CHANNELS", "LATENT_DIM", "N_EPOCHS", "EPOCH_STEP", "BATCH_SIZE", "TFRECORD")


@pytest.mark.parametrize("name", CONFIGS)
def test_config_parses_and_exposes_the_reference_knobs(name):
    config.load([str(REPO / "configs" / name)], [], finalize=False)
    import gin

    for macro in MACROS:
        assert gin.query_parameter(f"{macro}/macro.value") is not None


@pytest.mark.parametrize("name", [n for n in CONFIGS if n != "base.gin"])
def test_config_trains_a_few_steps(name, tmp_path, villagers_tfrecord):
    config.load(
        [str(REPO / "configs" / name), str(REPO / "configs/test.gin")],
        [f"TFRECORD = '{villagers_tfrecord}'", "N_EPOCHS = 1", "train.visualisers = []",
         *quick_sampler_fits(REPO / "configs" / name)],
        finalize=False,
    )
    run = train(pathlib.Path(tmp_path))
    assert run.epoch == 1
    assert len(RunFolder(tmp_path).read_history()) == 1
