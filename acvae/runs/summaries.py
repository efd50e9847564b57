"""TensorBoard event files of a run: scalars and images by split, trimmed on resume.

``acvae.runs.run_folder.RunFolder.tensorboard`` hands out a ``TensorBoard`` for ``RUN/logs/<split>``;
steps are epochs. Losses are per image in nats: ``reconstruction`` = -log p(x|z),
``kl`` = KL(q(z|x) || p(z)), ``loss`` = what is minimised, ``elbo`` = -(reconstruction + kl).
"""

from __future__ import annotations

import pathlib

import tensorflow as tf

from acvae.core import fileio


class TensorBoard:
    """Scalar and image summaries in ``logs_dir/<split>``, one writer per split.

    ``resume_after=k`` first drops every event of a step after ``k`` from the existing event
    files (a run killed after writing the summaries of an epoch but before its checkpoint
    trains that epoch again), so each epoch appears once however often the run was
    interrupted.
    """

    def __init__(self, logs_dir: str | pathlib.Path, splits=("train", "validation"),
                 resume_after: int | None = None):
        logs = pathlib.Path(logs_dir)
        if resume_after is not None:
            for split in splits:
                for path in sorted((logs / split).glob("events.out.tfevents.*")):
                    trim_events(path, resume_after)
        self._writers = {split: tf.summary.create_file_writer(str(logs / split))
                         for split in splits}

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


def trim_events(path: str | pathlib.Path, last_step: int) -> None:
    """Rewrites an event file without the events of steps after ``last_step`` (atomically).

    A record cut short by a kill is dropped too. Leaves a file without either alone.
    """
    path = pathlib.Path(path)
    records, complete = event_records(path)
    kept = [r for r in records if tf.compat.v1.Event.FromString(r).step <= last_step]
    if complete and len(kept) == len(records):
        return
    with fileio.atomic_path(path) as tmp:
        with tf.io.TFRecordWriter(str(tmp)) as writer:  # event files are TFRecord-framed
            for record in kept:
                writer.write(record)


def event_records(path: str | pathlib.Path) -> tuple[list[bytes], bool]:
    """(serialized ``tf.compat.v1.Event`` records, whether the file ended with a complete one)."""
    records = []
    try:
        for record in tf.data.TFRecordDataset(str(path)):
            records.append(record.numpy())
    except tf.errors.DataLossError:  # the process was killed while writing the last record
        return records, False
    # 12 bytes of length and CRCs before each record and a 4-byte CRC after it
    return records, sum(len(r) + 16 for r in records) == pathlib.Path(path).stat().st_size
