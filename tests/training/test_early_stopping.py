"""Tests for acvae.training.early_stopping and the loop's early stop: the count of validated
epochs without improvement, the line and the figures when training stops, resuming a stopped
run (the same command trains no further; more patience, more epochs or none at all do), and the
knob's range."""

import math
import re

import pytest
import tensorflow as tf

from acvae.commands import train as train_command
from acvae.core import cli
from acvae.core.errors import ConfigError
from acvae.runs import run_folder
from acvae.runs.run_folder import RunFolder
from acvae.training.early_stopping import EarlyStopping
from acvae.training.loop import train
from tests.conftest import REPO, configure_tiny

# every epoch after the first falls short of an improvement this large: the count only grows
NEVER_ENOUGH = "train.early_stopping_min_delta = 1e9"
STOP_LINE = re.compile(r"early stop after epoch (\d+) of (\d+): (\d+) validated epochs in a row "
                       r"without improving the best validation ELBO by more than 1e\+09 nats "
                       r"\(train\.early_stopping_patience = (\d+)\); the best is epoch (\d+) "
                       r"\(val loss [\d.]+, ELBO -[\d.]+\); to train further, raise N_EPOCHS "
                       r"above \d+ or the patience, or set it to None")


def _train(run_dir, villagers_tfrecord, capsys, *params) -> tuple[int, list[str]]:
    """Trains ``run_dir`` with ``params``; returns its epochs and the lines it printed."""
    capsys.readouterr()
    configure_tiny(villagers_tfrecord, *params)
    epoch = train(run_dir).epoch
    return epoch, capsys.readouterr().out.splitlines()


def _epochs(run_dir) -> list[int]:
    return [row["epoch"] for row in RunFolder(run_dir).read_history()]


def _state():
    return tf.train.Checkpoint(stalled=tf.Variable(0, dtype=tf.int64),
                               n_epochs=tf.Variable(0, dtype=tf.int64))


def test_the_count_grows_without_an_improvement_larger_than_min_delta():
    state, rule = _state(), EarlyStopping(patience=2, min_delta=0.5)
    rule.start(state, 10)
    rule.observe(state, math.inf)  # the first validated epoch improves on no best
    assert not rule.exhausted(state)
    rule.observe(state, 0.5)  # better, but not by more than min_delta
    rule.observe(state, -3.0)
    assert int(state.stalled.numpy()) == 2 and rule.exhausted(state)
    rule.observe(state, 0.6)
    assert int(state.stalled.numpy()) == 0
    state.stalled.assign(100)
    assert not EarlyStopping(patience=None).exhausted(state)


def test_only_more_epochs_than_the_stopped_call_asked_grant_a_fresh_patience():
    state, rule = _state(), EarlyStopping(patience=2)
    rule.start(state, 10)
    for _ in range(3):
        rule.observe(state, -1.0)
    for n_epochs in (10, 8):  # the same, or fewer: still stopped
        rule.start(state, n_epochs)
        assert rule.exhausted(state) and int(state.stalled.numpy()) == 3
    assert int(state.n_epochs.numpy()) == 8
    rule.start(state, 12)  # more than asked before
    assert not rule.exhausted(state) and int(state.n_epochs.numpy()) == 12
    state.stalled.assign(1)  # not used up: a longer run counts on
    rule.start(state, 20)
    assert int(state.stalled.numpy()) == 1


def test_the_line_names_the_count_the_patience_and_the_best_epoch():
    state = _state()
    state.stalled.assign(3)
    line = EarlyStopping(patience=3).explain(
        state, 7, 20, {"epoch": 4, "val_loss": 10.04, "val_elbo": -10.06})
    assert line == ("early stop after epoch 7 of 20: 3 validated epochs in a row without "
                    "improving the best validation ELBO (train.early_stopping_patience = 3); the "
                    "best is epoch 4 (val loss 10.0, ELBO -10.1); to train further, raise "
                    "N_EPOCHS above 20 or the patience, or set it to None")


def test_a_run_that_stops_improving_stops_with_one_line_its_figures_and_its_best_checkpoint(
        tmp_path, villagers_tfrecord, capsys):
    figures = "train.visualisers = [@visualisers.loss(), @visualisers.reconstructions()]"
    epoch, out = _train(tmp_path, villagers_tfrecord, capsys, "N_EPOCHS = 6", figures,
                        "train.early_stopping_patience = 2", NEVER_ENOUGH)
    assert epoch == 3 and _epochs(tmp_path) == [1, 2, 3]
    history = RunFolder(tmp_path).read_history()
    best = max(history, key=lambda row: row["val_elbo"])["epoch"]
    assert RunFolder(tmp_path).best_epoch() == best
    stops = [STOP_LINE.fullmatch(line) for line in out if line.startswith("early stop")]
    assert len(stops) == 1 and stops[0].groups() == ("3", "6", "2", "2", str(best))
    after = out[out.index(stops[0].group(0)) + 1:]  # then the end of any finished run
    assert ("figures show epoch" in after[0]) == (best != 3)
    assert {f"wrote {tmp_path / 'figures' / name}" for name in ("loss.png", "reconstructions.png")
            } <= set(after)
    assert re.fullmatch(r"finished epoch 3 in .*", after[-1])
    latest = tf.train.latest_checkpoint(str(tmp_path / run_folder.CHECKPOINT_DIR))
    assert latest.endswith("ckpt-3")


def test_a_stopped_run_trains_on_only_when_asked_for_more(tmp_path, villagers_tfrecord, capsys):
    patience = "train.early_stopping_patience = {}"
    # two epochs, then resumed with more: the count goes on, as in one run of 6 epochs
    epoch, _ = _train(tmp_path, villagers_tfrecord, capsys, "N_EPOCHS = 2", patience.format(2),
                      NEVER_ENOUGH)
    assert epoch == 2
    epoch, _ = _train(tmp_path, villagers_tfrecord, capsys, "N_EPOCHS = 6", patience.format(2),
                      NEVER_ENOUGH)
    assert epoch == 3
    history = RunFolder(tmp_path).read_history()
    epoch, out = _train(tmp_path, villagers_tfrecord, capsys, "N_EPOCHS = 6", patience.format(2),
                        NEVER_ENOUGH)  # the same command again
    assert epoch == 3 and RunFolder(tmp_path).read_history() == history
    assert not [line for line in out if line.startswith("epoch ")]
    assert STOP_LINE.fullmatch(next(line for line in out if line.startswith("early stop")))
    # a higher patience: the count goes on from 2
    epoch, _ = _train(tmp_path, villagers_tfrecord, capsys, "N_EPOCHS = 6", patience.format(3),
                      NEVER_ENOUGH)
    assert epoch == 4
    # more epochs than asked before: a fresh patience of 3 validated epochs
    epoch, out = _train(tmp_path, villagers_tfrecord, capsys, "N_EPOCHS = 9", patience.format(3),
                        NEVER_ENOUGH)
    assert epoch == 7 and "early stop after epoch 7 of 9" in "\n".join(out)
    # no early stopping: on to N_EPOCHS
    epoch, out = _train(tmp_path, villagers_tfrecord, capsys, "N_EPOCHS = 9", NEVER_ENOUGH)
    assert epoch == 9 and _epochs(tmp_path) == list(range(1, 10))
    assert not [line for line in out if line.startswith("early stop")]


def test_only_validated_epochs_count(tmp_path, villagers_tfrecord, capsys):
    epoch, out = _train(tmp_path, villagers_tfrecord, capsys, "N_EPOCHS = 9",
                        "train.validate_every = 2", "train.early_stopping_patience = 2",
                        NEVER_ENOUGH)
    assert epoch == 6  # validated: 2 (the first best), 4, 6
    validated = [not math.isnan(row["val_elbo"]) for row in RunFolder(tmp_path).read_history()]
    assert validated == [False, True] * 3
    assert STOP_LINE.fullmatch(next(line for line in out if line.startswith("early stop")))


def test_without_a_patience_every_epoch_runs(tmp_path, villagers_tfrecord, capsys):
    epoch, out = _train(tmp_path, villagers_tfrecord, capsys, "N_EPOCHS = 3", NEVER_ENOUGH)
    assert epoch == 3 and _epochs(tmp_path) == [1, 2, 3]
    assert not [line for line in out if "early stop" in line]


@pytest.mark.parametrize("binding, message", [
    ("train.early_stopping_patience = 0",
     "train.early_stopping_patience must be an integer >= 1 or None, got 0"),
    ("train.early_stopping_patience = 2.5",
     "train.early_stopping_patience must be an integer >= 1 or None, got 2.5"),
    ("train.early_stopping_min_delta = -0.1",
     "train.early_stopping_min_delta must be a number >= 0, got -0.1"),
])
def test_a_bad_value_is_one_line_before_a_run_folder_exists(binding, message, tmp_path,
                                                             villagers_tfrecord):
    with pytest.raises(ConfigError) as raised:
        cli.invoke(train_command.main, [
            f"--gin_file={REPO / 'configs/latent1d.gin'}", f"--gin_file={REPO / 'configs/test.gin'}",
            f"--gin_param=TFRECORD = '{villagers_tfrecord}'", f"--gin_param={binding}",
            f"--run_dir={tmp_path / 'run'}"])
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)
    assert not (tmp_path / "run").exists()


def test_train_called_in_python_checks_the_patience(tmp_path, villagers_tfrecord):
    configure_tiny(villagers_tfrecord)
    with pytest.raises(ConfigError, match=r"train\.early_stopping_patience must be an integer "
                                          r">= 1 or None, got -1"):
        train(tmp_path / "run", early_stopping_patience=-1)
    assert not (tmp_path / "run").exists()
