"""Tests for surviving faults: SIGKILL and resume, SIGTERM, NaN loss, corrupt checkpoints, and
unwritable run folders or full disks."""

import errno
import os
import signal
import subprocess
import sys
import time

import gin
import numpy as np
import pytest
import tensorflow as tf

from acvae.core import config
from acvae.runs import experiment, run_folder
from acvae.runs.run_folder import RunFolder
from acvae.training import faults, steps
from acvae.training.loop import train
from tests.conftest import REPO, configure_tiny, read_events


def _latest(run_dir):
    return tf.train.latest_checkpoint(str(run_dir / run_folder.CHECKPOINT_DIR))


def _event_steps(run_dir):
    """{(split, tag): [steps]} of every scalar in the run's TensorBoard event files."""
    found = {}
    for split in ("train", "validation"):
        for path in sorted((run_dir / "logs" / split).glob("events.out.tfevents.*")):
            for event in read_events(path):
                for value in event.summary.value:
                    found.setdefault((split, value.tag), []).append(event.step)
    return found


def test_sigkill_at_any_moment_then_the_same_command_resumes(tmp_path):
    run_dir = tmp_path / "run"
    command = [sys.executable, "-m", "acvae.main", "--gin_file=configs/demo.gin",
               "--gin_file=configs/test.gin", f"--run_dir={run_dir}",
               "--gin_param=N_EPOCHS = 6", "--gin_param=train.visualisers = []"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while len(RunFolder(run_dir).read_history()) < 2 and process.poll() is None:
            assert time.monotonic() < deadline, "no epoch finished in time"
            time.sleep(0.02)
        time.sleep(0.05)  # somewhere inside epoch 3 or its writes
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    killed_at = [row["epoch"] for row in RunFolder(run_dir).read_history()]
    assert killed_at and killed_at[-1] < 6, "the run finished before the kill"
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    resumed = result.stdout.partition("resuming after epoch ")[2].split()
    assert resumed and int(resumed[0]) >= killed_at[-1] - 1  # at most one epoch lost
    assert [row["epoch"] for row in RunFolder(run_dir).read_history()] == [1, 2, 3, 4, 5, 6]
    scalars = _event_steps(run_dir)
    assert ("train", "loss") in scalars and ("validation", "elbo") in scalars
    for key, epochs in scalars.items():
        assert epochs == [1, 2, 3, 4, 5, 6], key  # each epoch once, in order
    assert _latest(run_dir).endswith("ckpt-6")


def test_sigterm_saves_the_unfinished_epoch_and_the_run_completes_it(
    tmp_path, villagers_tfrecord, monkeypatch
):
    calls = []
    original = steps.Steps.train_steps

    def train_steps_then_sigterm(self, iterator, n_steps, beta):
        totals = original(self, iterator, n_steps, beta)
        calls.append(int(n_steps))
        if len(calls) == 3:  # the first call of epoch 2 (3 steps per epoch, 2 per call)
            os.kill(os.getpid(), signal.SIGTERM)
        return totals

    handler_before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(steps.Steps, "train_steps", train_steps_then_sigterm)
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 3")
    with pytest.raises(faults.TrainingInterrupted, match="stopped in epoch 2 after 2 steps"):
        train(tmp_path)
    assert signal.getsignal(signal.SIGTERM) is handler_before
    assert [row["epoch"] for row in RunFolder(tmp_path).read_history()] == [1]
    assert _latest(tmp_path).endswith("ckpt-2")  # the unfinished epoch 2
    monkeypatch.setattr(steps.Steps, "train_steps", original)
    gin.clear_config()
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 3")
    run = train(tmp_path)
    assert [row["epoch"] for row in RunFolder(tmp_path).read_history()] == [1, 2, 3]
    steps_per_epoch = -(-run.data.n_train // run.data.batch_size)
    state = run_folder.checkpoint_state(run.model, tf.keras.optimizers.Adam())
    state.restore(_latest(tmp_path)).expect_partial()
    assert int(state.optimizer.iterations.numpy()) == 3 * steps_per_epoch  # no step lost or redone
    assert int(state.step.numpy()) == 0


class _PoisonWeights:
    """A visualiser that sets the decoder's weights to NaN after ``epoch`` (and its checkpoint)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, run, epoch):
        if epoch == self.epoch:
            for weight in run.model.decoder.weights:
                weight.assign(tf.fill(weight.shape, np.nan))

    def on_train_end(self, run):
        return []


def test_nan_loss_stops_with_one_line_and_keeps_the_last_good_checkpoint(
    tmp_path, villagers_tfrecord
):
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 3")
    with pytest.raises(faults.TrainingDiverged) as raised:
        train(tmp_path, visualisers=[_PoisonWeights(epoch=1)])
    message = config.explain(raised.value)  # without gin's "In call to configurable" line
    assert "\n" not in message and "epoch 2" in message and "learning rate" in message
    assert "checkpoint of epoch 1 is kept" in message
    assert [row["epoch"] for row in RunFolder(tmp_path).read_history()] == [1]
    assert _latest(tmp_path).endswith("ckpt-1")
    reader = tf.train.load_checkpoint(_latest(tmp_path))
    for name in reader.get_variable_to_shape_map():
        value = reader.get_tensor(name)
        if np.issubdtype(np.asarray(value).dtype, np.floating):
            assert np.isfinite(value).all(), name


@pytest.mark.parametrize("damage", ["truncate", "garble"])
def test_a_corrupt_latest_checkpoint_falls_back_to_the_previous_one(
    damage, tmp_path, villagers_tfrecord, capsys
):
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 2")
    train(tmp_path)
    (data_file,) = (tmp_path / run_folder.CHECKPOINT_DIR).glob("ckpt-2.data-*")
    content = data_file.read_bytes()
    if damage == "truncate":
        data_file.write_bytes(content[: len(content) // 2])
    else:
        middle = len(content) // 2
        data_file.write_bytes(content[:middle] + bytes(b ^ 0xFF for b in content[middle:]))
    capsys.readouterr()
    gin.clear_config()
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 2")
    run = train(tmp_path)
    output = capsys.readouterr().out
    assert "warning: checkpoint" in output and "falling back to ckpt-1" in output
    assert "resuming after epoch 1" in output and run.epoch == 2
    assert [row["epoch"] for row in RunFolder(tmp_path).read_history()] == [1, 2]
    gin.clear_config()
    assert experiment.load_run(tmp_path, "latest").epoch == 2  # trained and saved again


def test_an_unwritable_run_folder_gives_one_line(tmp_path, villagers_tfrecord):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 1")
    with pytest.raises(run_folder.RunFolderError, match="cannot write the run folder") as raised:
        train(blocker / "run")
    assert "\n" not in config.explain(raised.value) and "--run_dir" in str(raised.value)


def _full_disk_history(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _full_disk_checkpoint(*args, **kwargs):
    raise tf.errors.ResourceExhaustedError(None, None, "ckpt-2_temp; No space left on device")


@pytest.mark.parametrize(
    "target, fake, written",
    [
        ("acvae.runs.run_folder.RunFolder.append_history", _full_disk_history, "history.csv"),
        ("tensorflow.train.CheckpointManager.save", _full_disk_checkpoint, "checkpoints"),
    ],
)
def test_a_full_disk_gives_one_line_and_keeps_the_last_checkpoint(
    target, fake, written, tmp_path, villagers_tfrecord, monkeypatch
):
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 1")
    train(tmp_path)
    monkeypatch.setattr(target, fake)
    gin.clear_config()
    configure_tiny(villagers_tfrecord, "N_EPOCHS = 2")
    expected = f"disk full while writing .*{written}"
    with pytest.raises(run_folder.RunFolderError, match=expected) as raised:
        train(tmp_path)
    message = config.explain(raised.value)
    assert "\n" not in message and "resume after epoch 1" in message
    assert _latest(tmp_path).endswith("ckpt-1")
