"""Tests for acvae.training.resume: a resumed run uses the learning rate it is given, and a changed
optimizer, dataset or weight shape is refused in one line unless it is safe and allowed."""

import json
import shutil

import gin
import pytest
import tensorflow as tf

from acvae.commands import train as train_command
from acvae.core import cli, config
from acvae.core.errors import ConfigError
from acvae.models import build_vae
from acvae.runs import run_folder
from acvae.runs.run_folder import RunFolder
from acvae.training import resume
from acvae.training.loop import train
from tests.conftest import REPO, configure_tiny


@pytest.fixture(scope="module")
def one_epoch(tmp_path_factory, villagers_tfrecord):
    """A run trained for one epoch at learning rate 1e-3 (copy it before changing it)."""
    run_dir = tmp_path_factory.mktemp("one_epoch")
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 1", "optimizers.adam.learning_rate = 1e-3")
    train(run_dir)
    gin.clear_config()
    return run_dir


@pytest.fixture
def run_dir(one_epoch, tmp_path):
    shutil.copytree(one_epoch, tmp_path / "run")
    return tmp_path / "run"


def _saved_learning_rate(run_dir):
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(run_dir / "checkpoints")))
    return float(reader.get_tensor("optimizer/_learning_rate/.ATTRIBUTES/VARIABLE_VALUE"))


def test_the_learning_rate_given_on_resume_is_used_and_recorded(
    run_dir, villagers_tfrecord, learning_rates_used, capsys
):
    assert _saved_learning_rate(run_dir) == pytest.approx(1e-3)
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 2", "optimizers.adam.learning_rate = 2e-4")
    train(run_dir)
    used = learning_rates_used
    assert used and all(rate == pytest.approx(2e-4) for rate in used)  # every call of epoch 2
    assert "learning rate 0.0002 as configured (the checkpoint had 0.001)" in capsys.readouterr().out
    assert "adam.learning_rate = 0.0002" in (run_dir / run_folder.CONFIG_FILE).read_text()
    assert _saved_learning_rate(run_dir) == pytest.approx(2e-4)


@pytest.mark.parametrize("param, difference", [
    ("LATENT_DIM = 2", "latent_dim 1 -> 2"),
    ("IMAGE_SHAPE = (24, 24)", "image_shape 16x16 -> 24x24"),
    ("N_CHANNELS = 3", "n_channels 4 -> 3"),
])
def test_a_change_of_weight_shape_is_refused_even_when_allowed(
    param, difference, one_epoch, villagers_tfrecord
):
    for allowed in (False, True):
        configure_tiny(villagers_tfrecord, "N_EPOCHS = 2", param)
        with pytest.raises(ConfigError) as raised:
            train(one_epoch, allow_config_change=allowed)
        message = config.explain(raised.value)
        assert "\n" not in message and difference in message
        assert "give a new --run_dir" in message and "--allow_config_change" not in message
    assert [row["epoch"] for row in RunFolder(one_epoch).read_history()] == [1]


def test_another_optimizer_needs_the_flag_and_starts_with_a_fresh_state(
    run_dir, villagers_tfrecord, capsys
):
    argv = ["--gin_file", str(REPO / "configs/latent1d.gin"),
            "--gin_file", str(REPO / "configs/test.gin"), "--run_dir", str(run_dir),
            "--gin_param", f"TFRECORD = '{villagers_tfrecord}'",
            "--gin_param", "train.visualisers = []", "--gin_param", "N_EPOCHS = 2",
            "--gin_param", "train.optimizer = @optimizers.sgd()"]
    with pytest.raises(ConfigError) as raised:
        cli.invoke(train_command.main, argv)
    message = str(raised.value)
    assert "optimizer Adam -> SGD" in message and "--allow_config_change" in message
    gin.clear_config()
    cli.invoke(train_command.main, argv + ["--allow_config_change"])
    assert "note: continuing" in capsys.readouterr().out
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(run_dir / "checkpoints")))
    iterations = int(reader.get_tensor("optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE"))
    steps_per_epoch = -(-17 // 8)  # 17 training images of the 24, batches of 8
    assert iterations == steps_per_epoch  # only epoch 2's steps: a fresh optimizer
    assert json.loads((run_dir / run_folder.SETUP_FILE).read_text())["optimizer"] == "SGD"
    assert [row["epoch"] for row in RunFolder(run_dir).read_history()] == [1, 2]


def test_another_dataset_needs_the_flag_and_the_best_epoch_is_chosen_anew(
    run_dir, villagers_tfrecord
):
    other_split = "input_pipeline.validation_fraction = 0.5"
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 2", other_split)
    with pytest.raises(ConfigError, match=r"dataset 17 training and 7 validation items \(content "
                                          r"\w+\) -> 1\d training and \d+ validation items"):
        train(run_dir)
    assert RunFolder(run_dir).best_epoch() == 1
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 2", other_split)
    train(run_dir, allow_config_change=True)
    assert RunFolder(run_dir).best_epoch() == 2  # whatever its ELBO against epoch 1's


def test_the_setup_of_a_run_without_checkpoints_is_rewritten(tmp_path):
    folder = RunFolder(tmp_path)
    setup = {"latent_dim": 1, "optimizer": "Adam"}
    assert resume.Resumption(folder, setup).changed == set()
    assert folder.read_setup() is None  # written once restored (here: nothing to restore)
    state = run_folder.checkpoint_state(build_vae((8, 8), 1), tf.keras.optimizers.Adam())
    assert resume.Resumption(folder, setup).restore(state) == 0
    assert folder.read_setup() == setup
    again = resume.Resumption(folder, {**setup, "latent_dim": 3})  # nothing to protect yet
    assert again.changed == set() and again.restore(state) == 0
    assert folder.read_setup()["latent_dim"] == 3
