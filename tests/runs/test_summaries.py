"""Tests for acvae.runs.summaries: TensorBoard event files trimmed on resume."""

import pytest
import tensorflow as tf

from acvae.runs import summaries
from tests.conftest import read_events


def _steps(run_dir, split="train"):
    return [
        (event.step, value.tag)
        for path in sorted((run_dir / "logs" / split).glob("events.out.tfevents.*"))
        for event in read_events(path)
        for value in event.summary.value
    ]


def test_resume_drops_events_after_the_restored_epoch(tmp_path):
    board = summaries.TensorBoard(tmp_path / "logs")
    for epoch in (1, 2, 3):
        board.scalars("train", {"loss": float(epoch)}, epoch)
        board.images("validation", "reconstructions", tf.zeros([1, 4, 4, 3]), epoch)
    board.close()
    board = summaries.TensorBoard(tmp_path / "logs", resume_after=1)
    board.scalars("train", {"loss": 20.0}, 2)
    board.close()
    assert _steps(tmp_path) == [(1, "loss"), (2, "loss")]
    assert [step for step, _ in _steps(tmp_path, "validation")] == [1]


def test_a_record_cut_short_by_a_kill_is_dropped(tmp_path):
    board = summaries.TensorBoard(tmp_path / "logs")
    for epoch in (1, 2):
        board.scalars("train", {"loss": float(epoch)}, epoch)
    board.close()
    (path,) = (tmp_path / "logs" / "train").glob("events.out.tfevents.*")
    path.write_bytes(path.read_bytes()[:-7])  # the kill came in the middle of epoch 2's event
    summaries.trim_events(path, last_step=5)
    assert [step for step, _ in _steps(tmp_path)] == [1]
    size = path.stat().st_size
    summaries.trim_events(path, last_step=5)  # a clean file is left alone
    assert path.stat().st_size == size


@pytest.mark.parametrize("last_step", [0, 2])
def test_trim_keeps_the_file_version_event(tmp_path, last_step):
    board = summaries.TensorBoard(tmp_path / "logs")
    board.scalars("train", {"loss": 1.0}, 1)
    board.scalars("train", {"loss": 2.0}, 2)
    board.close()
    (path,) = (tmp_path / "logs" / "train").glob("events.out.tfevents.*")
    summaries.trim_events(path, last_step)
    events = read_events(path)
    assert events[0].file_version.startswith("brain.Event")
    assert [e.step for e in events if e.summary.value] == list(range(1, last_step + 1))
