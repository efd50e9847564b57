"""Tests for acvae.training.loop: the run folder, resuming, repeatability, the KL warm-up and the
learning-rate schedule."""

import math
import pathlib
import re

import gin
import keras
import pytest
import tensorflow as tf

from acvae.core.errors import ConfigError
from acvae.runs import experiment, run_folder
from acvae.runs.run_folder import RunFolder
from acvae.training import optimizers
from acvae.training.loop import train
from tests.conftest import configure_tiny


def test_train_writes_a_complete_run_folder(tmp_path, villagers_tfrecord):
    configure_tiny(villagers_tfrecord)
    run = train(tmp_path)
    assert run.epoch == 2
    history = RunFolder(tmp_path).read_history()
    assert [row["epoch"] for row in history] == [1, 2]
    assert set(history[0]) == set(run_folder.HISTORY_FIELDS)
    for row in history:
        assert row["train_reconstruction"] > 0 and row["train_kl"] >= 0
        assert row["train_loss"] == pytest.approx(row["train_reconstruction"] + row["train_kl"])
        assert row["val_elbo"] == pytest.approx(-(row["val_reconstruction"] + row["val_kl"]))
    operative = (tmp_path / run_folder.CONFIG_FILE).read_text()
    assert "build_vae.latent_dim = %LATENT_DIM" in operative and "LATENT_DIM = 1" in operative
    assert tf.train.latest_checkpoint(str(tmp_path / run_folder.CHECKPOINT_DIR)).endswith("ckpt-2")
    assert list((tmp_path / "logs" / "train").iterdir())
    assert list((tmp_path / "logs" / "validation").iterdir())


def test_validation_every_n_epochs_and_the_epoch_timed_in_parts(tmp_path, villagers_tfrecord,
                                                                 capsys):
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 3", "train.validate_every = 2",
               "input_pipeline.validation_batch_size = 3")
    train(tmp_path)
    history = RunFolder(tmp_path).read_history()
    validated = [not math.isnan(row["val_elbo"]) for row in history]
    assert validated == [False, True, True]  # every 2nd epoch and the last
    assert RunFolder(tmp_path).best_epoch() in (2, 3)
    for row in history:
        parts = row["train_seconds"] + row["validation_seconds"] + row["figure_seconds"]
        assert 0 < parts <= row["seconds"]
    out = capsys.readouterr().out.splitlines()
    lines = [line for line in out if line.startswith("epoch ")]
    assert "val loss -" in lines[0] and "val loss -" not in lines[1]
    assert all("(train " in line and ", figures " in line for line in lines)
    closing = re.fullmatch(r"finished epoch 3 in ([\d.]+) s: first figure after ([\d.]+) s, "
                           r"sampler fit ([\d.]+) s, final figures ([\d.]+) s", out[-1])
    total, first, fit, final = map(float, closing.groups())
    assert 0 < first < total and fit + final < total


def test_resume_continues_epochs_and_optimizer_state(tmp_path, villagers_tfrecord):
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 1")
    first = train(tmp_path)
    steps_per_epoch = -(-first.data.n_train // first.data.batch_size)
    gin.clear_config()
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 3")
    run = train(tmp_path)
    assert [row["epoch"] for row in RunFolder(tmp_path).read_history()] == [1, 2, 3]
    assert "N_EPOCHS = 3" in (tmp_path / run_folder.CONFIG_FILE).read_text()
    state = run_folder.checkpoint_state(run.model, tf.keras.optimizers.Adam())
    latest = tf.train.latest_checkpoint(str(tmp_path / run_folder.CHECKPOINT_DIR))
    state.restore(latest).expect_partial()
    assert int(state.epoch.numpy()) == 3
    assert int(state.optimizer.iterations.numpy()) == 3 * steps_per_epoch


def test_finished_run_does_not_train_again(tmp_path, villagers_tfrecord):
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 1")
    train(tmp_path)
    before = RunFolder(tmp_path).read_history()
    gin.clear_config()
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 1")
    assert train(tmp_path).epoch == 1
    assert RunFolder(tmp_path).read_history() == before


def test_same_seed_gives_same_losses(tmp_path, villagers_tfrecord):
    histories = []
    for name in ("a", "b"):
        gin.clear_config()
        configure_tiny(villagers_tfrecord, "N_EPOCHS = 1")
        train(tmp_path / name)
        histories.append(RunFolder(tmp_path / name).read_history())
    for key in ("train_loss", "val_loss", "val_kl"):
        assert histories[0][0][key] == pytest.approx(histories[1][0][key], rel=1e-5)


def test_kl_warmup_raises_beta_each_epoch(tmp_path, villagers_tfrecord):
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 3", "train.kl_warmup_epochs = 2", "train.beta = 0.5")
    train(tmp_path)
    betas = [row["beta"] for row in RunFolder(tmp_path).read_history()]
    assert betas == pytest.approx([0.0, 0.25, 0.5])


def test_a_checkpoint_of_another_model_gives_a_clear_error(tmp_path, villagers_tfrecord):
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 1")
    train(tmp_path)
    gin.clear_config()
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 2", "LATENT_DIM = 3")
    with pytest.raises(ValueError, match=r"latent_dim 1 -> 3\); its weights do not fit"):
        train(tmp_path)
    (tmp_path / run_folder.SETUP_FILE).unlink()  # as a run from before setup.json existed
    for _ in range(2):  # the checkpoint itself says so, and nothing is recorded meanwhile
        gin.clear_config()
        configure_tiny(villagers_tfrecord, "N_EPOCHS = 2", "LATENT_DIM = 3")
        with pytest.raises(ValueError, match="does not fit this model"):
            train(tmp_path)
    gin.clear_config()
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 2")
    assert train(tmp_path).epoch == 2
    assert RunFolder(tmp_path).read_setup()["latent_dim"] == 1


def test_xla_compiled_training_matches_the_interface(tmp_path, villagers_tfrecord):
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 1", "train.jit_compile = True")
    run = train(tmp_path)
    assert run.epoch == 1
    assert RunFolder(tmp_path).read_history()[0]["train_reconstruction"] > 0


@pytest.mark.parametrize("precision", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_trains_in_float32_losses_and_restores_the_policy(
    precision, tmp_path, villagers_tfrecord
):
    import keras

    configure_tiny(villagers_tfrecord, "N_EPOCHS = 1", f"train.precision = '{precision}'")
    run = train(tmp_path)
    assert keras.mixed_precision.global_policy().name == "float32"  # nothing leaks
    assert run.model.encoder.compute_dtype == precision.split("_")[1]
    assert run.model.encoder.weights[0].dtype == "float32"  # float32 master weights
    row = RunFolder(tmp_path).read_history()[0]
    assert 0 < row["train_reconstruction"] < 1e6 and row["val_loss"] > 0


def test_an_unknown_precision_lists_the_valid_ones(tmp_path, villagers_tfrecord):
    configure_tiny(villagers_tfrecord, "train.precision = 'float8'")
    with pytest.raises(ValueError, match="mixed_float16, mixed_bfloat16"):
        train(tmp_path)


def test_a_relative_run_folder_resumes(tmp_path, villagers_tfrecord, monkeypatch):
    """The default --run_dir (runs/<config>) is relative: checkpoints must restore from it."""
    relative = pathlib.Path("runs") / "relative"
    for n_epochs in (1, 2):
        gin.clear_config()
        configure_tiny(villagers_tfrecord, f"N_EPOCHS = {n_epochs}")  # from the repo root
        with monkeypatch.context() as patch:
            patch.chdir(tmp_path)
            assert train(relative).epoch == n_epochs
    assert [row["epoch"] for row in RunFolder(tmp_path / relative).read_history()] == [1, 2]
    gin.clear_config()
    monkeypatch.chdir(tmp_path)
    assert experiment.load_run(relative, "latest").epoch == 2


def test_a_learning_rate_schedule_sets_each_epochs_rate_and_resumes_on_its_curve(
        tmp_path, villagers_tfrecord, learning_rates_used, capsys):
    schedule = ("train.learning_rate_schedule = @schedules.cosine()",
                "schedules.cosine.final_fraction = 0.1", "optimizers.adam.learning_rate = 1e-3")
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 3", *schedule)
    train(tmp_path / "straight")
    expected = pytest.approx([1e-3, 5.5e-4, 1e-4])
    history = RunFolder(tmp_path / "straight").read_history()
    assert [row["learning_rate"] for row in history] == expected
    assert sorted(set(learning_rates_used), reverse=True) == expected  # what the steps ran with
    for n_epochs in (1, 3):  # stopped after one epoch, resumed: the same curve
        gin.clear_config()
        configure_tiny(villagers_tfrecord, f"N_EPOCHS = {n_epochs}", *schedule)
        train(tmp_path / "resumed")
    history = RunFolder(tmp_path / "resumed").read_history()
    assert [row["learning_rate"] for row in history] == expected
    assert "note: learning rate" not in capsys.readouterr().out


def test_a_schedule_for_an_optimizer_with_a_keras_schedule_is_refused(tmp_path,
                                                                       villagers_tfrecord):
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 1")
    keras_schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.5)
    with pytest.raises(ConfigError, match="not a Keras schedule"):
        train(tmp_path / "run", optimizer=keras.optimizers.Adam(keras_schedule),
              learning_rate_schedule=optimizers.cosine())
    assert not (tmp_path / "run").exists()
