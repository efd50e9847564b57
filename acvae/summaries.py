"""What a run writes besides checkpoints: ``history.csv``, TensorBoard logs, the operative config.

``history.csv`` has one row per finished epoch (see ``HISTORY_FIELDS``); losses are per image
in nats: ``reconstruction`` = -log p(x|z), ``kl`` = KL(q(z|x) || p(z)),
``loss`` = reconstruction + beta * kl (what is minimised) and ``elbo`` = -(reconstruction + kl).
"""

from __future__ import annotations

import csv
import io
import pathlib

import gin
import tensorflow as tf

from acvae import fileio

HISTORY_FILE = "history.csv"
CONFIG_FILE = "operative_config.gin"
LOGS_DIR = "logs"
SPLITS = ("train", "validation")
METRICS = ("loss", "elbo", "reconstruction", "kl")
HISTORY_FIELDS = (
    ("epoch",)
    + tuple(f"train_{m}" for m in METRICS)
    + tuple(f"val_{m}" for m in METRICS)
    + ("beta", "seconds")
)


def read_history(run_dir: str | pathlib.Path) -> list[dict[str, float]]:
    """Rows of ``RUN/history.csv`` as dicts of floats (``epoch`` as int); [] if absent."""
    path = pathlib.Path(run_dir) / HISTORY_FILE
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [
        {key: int(value) if key == "epoch" else float(value) for key, value in row.items()}
        for row in rows
    ]


def write_history(run_dir: str | pathlib.Path, rows: list[dict[str, float]]) -> None:
    """Writes every row to ``RUN/history.csv`` atomically (the file is small)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HISTORY_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: row[key] for key in HISTORY_FIELDS})
    fileio.write_text(pathlib.Path(run_dir) / HISTORY_FILE, buffer.getvalue())


def write_operative_config(run_dir: str | pathlib.Path) -> None:
    """Saves ``gin.operative_config_str()``: every binding the run actually used."""
    fileio.write_text(pathlib.Path(run_dir) / CONFIG_FILE, gin.operative_config_str())


class TensorBoard:
    """Scalar and image summaries in ``RUN/logs/train`` and ``RUN/logs/validation``.

    Steps are epochs. ``resume_after=k`` first drops every event of a step after ``k`` from
    the existing event files (a run killed after writing the summaries of an epoch but before
    its checkpoint trains that epoch again), so each epoch appears once however often the run
    was interrupted.
    """

    def __init__(self, run_dir: str | pathlib.Path, resume_after: int | None = None):
        logs = pathlib.Path(run_dir) / LOGS_DIR
        if resume_after is not None:
            for split in SPLITS:
                for path in sorted((logs / split).glob("events.out.tfevents.*")):
                    trim_events(path, resume_after)
        self._writers = {
            split: tf.summary.create_file_writer(str(logs / split)) for split in SPLITS
        }

    def scalars(self, split: str, values: dict[str, float], step: int) -> None:
        """Writes each ``values[name]`` as scalar ``name`` of ``split`` at ``step``."""
        with self._writers[split].as_default(step=step):
            for name, value in values.items():
                tf.summary.scalar(name, value)

    def images(self, split: str, name: str, images: tf.Tensor, step: int) -> None:
        """Writes images [B, H, W, C] in [0, 1] (C = 1, 3 or 4) under ``name``."""
        with self._writers[split].as_default(step=step):
            tf.summary.image(name, images, max_outputs=int(images.shape[0]))

    def flush(self) -> None:
        """Writes buffered events to disk (done every epoch, so a kill loses none)."""
        for writer in self._writers.values():
            writer.flush()

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()


def read_events(path: str | pathlib.Path) -> list:
    """The ``tf.compat.v1.Event`` records of an event file; a truncated last record is dropped."""
    return [tf.compat.v1.Event.FromString(record) for record in _records(path)[0]]


def trim_events(path: str | pathlib.Path, last_step: int) -> None:
    """Rewrites an event file without the events of steps after ``last_step`` (atomically).

    A record cut short by a kill is dropped too. Leaves a file without either alone.
    """
    path = pathlib.Path(path)
    records, complete = _records(path)
    kept = [r for r in records if tf.compat.v1.Event.FromString(r).step <= last_step]
    if complete and len(kept) == len(records):
        return
    with fileio.atomic_path(path) as tmp:
        with tf.io.TFRecordWriter(str(tmp)) as writer:  # event files are TFRecord-framed
            for record in kept:
                writer.write(record)


def _records(path: str | pathlib.Path) -> tuple[list[bytes], bool]:
    """(serialized records, whether the file ended with a complete record)."""
    records = []
    try:
        for record in tf.data.TFRecordDataset(str(path)):
            records.append(record.numpy())
    except tf.errors.DataLossError:  # the process was killed while writing the last record
        return records, False
    # 12 bytes of length and CRCs before each record and a 4-byte CRC after it
    return records, sum(len(r) + 16 for r in records) == pathlib.Path(path).stat().st_size
