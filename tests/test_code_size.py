"""The code's size is set once: ``LATENT_DIM`` is the global code, the latent map beside it
follows ``IMAGE_SHAPE`` and ``MAP_CHANNELS`` (``build_vae.map_channels``), the whole size is
printed and recorded; runs saved with the old meaning (``build_vae.latent_dim`` the whole
code, ``map_channels`` bound on the encoder and decoder) restore into the same model."""

import json
import shutil

import gin
import numpy as np
import pytest

from acvae.core.errors import ConfigError
from acvae.models.learned_samplers import CodeLayout
from acvae.runs import experiment, run_folder
from tests.conftest import train_shipped_config
from tests.plugins.tiny_trained import trained_run


@pytest.mark.parametrize("name, params, first_line, layout", [
    ("demo", ["LATENT_DIM = 2"], "a code of 34 numbers (2 global + 2x2x8 map)",
     CodeLayout(2, (2, 2, 8))),
    ("villagers", ["LATENT_DIM = 2"], "a code of 34 numbers (2 global + 2x2x8 map)",
     CodeLayout(2, (2, 2, 8))),
    ("demo", ["LATENT_DIM = 2", "MAP_CHANNELS = 0"], "a code of 2 numbers;", CodeLayout(2)),
])
def test_latent_dim_is_the_global_code_beside_the_map(
        tmp_path, capsys, villagers_tfrecord, name, params, first_line, layout):
    params = [*params, "N_EPOCHS = 1", f"TFRECORD = '{villagers_tfrecord}'"]
    run, _ = train_shipped_config(tmp_path, name, *params)
    assert CodeLayout.of(run.model, run.model.latent_dim) == layout
    out = capsys.readouterr().out
    assert first_line in next(line for line in out.splitlines() if line.startswith("data: "))
    setup = json.loads((tmp_path / run_folder.SETUP_FILE).read_text())
    assert setup["latent_dim"] == layout.size and setup["latent_map"] == layout.map_name


def test_a_saved_run_with_the_old_meaning_restores_the_same_model(tmp_path_factory, tmp_path):
    """Before ``build_vae.map_channels``, ``build_vae.latent_dim`` was the whole code and the
    encoder and decoder carved the map out of it: such an operative config still builds the
    model its checkpoint was saved from."""
    run_dir = shutil.copytree(trained_run(tmp_path_factory, "demo"), tmp_path / "run")
    new = experiment.load_run(run_dir, fit_sampler=False)
    config_path = run_dir / run_folder.CONFIG_FILE
    text = config_path.read_text()
    assert "build_vae.map_channels = %MAP_CHANNELS" in text and "LATENT_DIM = 8" in text
    config_path.write_text(
        text.replace("build_vae.map_channels = %MAP_CHANNELS\n", "")
        .replace("LATENT_DIM = 8", "LATENT_DIM = 40")  # as villagers.gin's 520 at 64x64
        + "encoders.conv.map_channels = %MAP_CHANNELS\n"
        + "decoders.conv.map_channels = %MAP_CHANNELS\n")
    gin.clear_config(clear_constants=True)  # as a fresh evaluate or generate process
    old = experiment.load_run(run_dir, fit_sampler=False)
    assert CodeLayout.of(old.model, old.model.latent_dim) == CodeLayout(8, (2, 2, 8))
    assert [w.shape for w in old.model.weights] == [w.shape for w in new.model.weights]
    for restored, expected in zip(old.model.weights, new.model.weights):
        np.testing.assert_array_equal(restored.numpy(), expected.numpy())


def test_resuming_with_another_split_of_the_same_size_is_refused(tmp_path_factory, tmp_path):
    """40 global numbers have other weights than 8 beside a 2x2x8 map: ``setup.json``'s
    ``latent_map`` tells them apart where ``latent_dim`` cannot."""
    run_dir = shutil.copytree(trained_run(tmp_path_factory, "demo"), tmp_path / "run")
    with pytest.raises(ConfigError, match=r"another setup \(latent_map 2x2x8 -> none\); its "
                                          r"weights do not fit"):
        train_shipped_config(run_dir, "demo", "LATENT_DIM = 40", "MAP_CHANNELS = 0")
