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
    """Scalar and image summaries in ``RUN/logs/train`` and ``RUN/logs/validation``."""

    def __init__(self, run_dir: str | pathlib.Path):
        logs = pathlib.Path(run_dir) / "logs"
        self._writers = {
            split: tf.summary.create_file_writer(str(logs / split))
            for split in ("train", "validation")
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
        for writer in self._writers.values():
            writer.flush()
