"""Runs saved by an earlier layout of acvae still load: ``tests/fixtures/run_before_layout`` was
trained before the modules moved into packages (its README says how), and its
``operative_config.gin`` and checkpoints must keep working with today's names."""

import shutil

import numpy as np
import tensorflow as tf
from PIL import Image

from acvae.commands import generate
from acvae.core import cli
from acvae.runs import experiment
from tests.conftest import REPO

FIXTURE = REPO / "tests/fixtures/run_before_layout"


def saved_run(tmp_path):
    """A copy of the saved run (commands take the folder's lock)."""
    return shutil.copytree(FIXTURE, tmp_path / "run", ignore=shutil.ignore_patterns("README.md"))


def test_a_run_of_the_previous_layout_loads_its_trained_weights(tmp_path):
    run = experiment.load_run(saved_run(tmp_path), checkpoint="latest")
    assert run.epoch == 2 and run.model.latent_dim == 40  # 8 global + a 2x2x8 map
    reader = tf.train.load_checkpoint(str(run.folder.checkpoints_dir))
    saved = [reader.get_tensor(key) for key in reader.get_variable_to_shape_map()
             if key.endswith("VARIABLE_VALUE")]
    for weight in run.model.weights:  # each restored, none left at its initial value
        value = weight.numpy()
        assert any(v.shape == value.shape and np.array_equal(v, value) for v in saved), weight.path
    decoded = run.model.decode_mean(tf.zeros([3, run.model.latent_dim])).numpy()
    assert decoded.shape == (3, 16, 16, 4) and np.isfinite(decoded).all()


def test_generate_samples_from_a_run_of_the_previous_layout(tmp_path):
    out = tmp_path / "grid.png"
    assert cli.invoke(generate.main, ["--run_dir", str(saved_run(tmp_path)), "--scale", "1", "sample",
                                      "--n", "4", "--out", str(out)]) == out
    with Image.open(out) as image:
        assert image.size == (2 * 16 + 2, 2 * 16 + 2)  # 2x2 tiles of 16x16, 2px gaps
        pixels = np.asarray(image)
    assert pixels.std() > 0  # decoded villagers, not a blank sheet
