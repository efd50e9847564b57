"""``history.csv``, one row of losses per epoch: reading it past damage, writing it, and
rebuilding rows from a run's TensorBoard events.

``acvae.runs.run_folder.RunFolder`` owns the file (``read_history``, ``append_history``,
``repair_history``) and calls these. Columns: ``FIELDS`` (``epoch``, the train and validation
``METRICS`` per image in nats (validation ones nan in an epoch without validation), ``beta``,
``seconds`` and its parts ``train_seconds``, ``validation_seconds``, ``figure_seconds``), then a model's extra loss terms
(``train_tc``, ...). ``parse`` keeps every readable row and counts the lines it cannot read (a
kill or a disk error mid-write, an editor's stray bytes); ``from_events`` gives back the rows of
the epochs whose scalars TensorBoard holds (their ``seconds`` unknown: nan).
"""

from __future__ import annotations

import csv
import io
import math
import pathlib

import numpy as np
import tensorflow as tf

from acvae.core import fileio

METRICS = ("loss", "elbo", "reconstruction", "kl")
FIELDS = (("epoch",) + tuple(f"train_{m}" for m in METRICS)
          + tuple(f"val_{m}" for m in METRICS) + ("beta", "seconds")
          + tuple(f"{part}_seconds" for part in ("train", "validation", "figure")))


def parse(path: pathlib.Path) -> tuple[list[dict[str, float]], int]:
    """(the readable rows of ``path`` in epoch order, the number of unreadable lines); a row
    is readable when it has every column and all are numbers (``epoch`` a positive integer)."""
    try:
        text = path.read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        return [], 0
    lines = [line for line in text.splitlines() if line.strip()]
    reader = csv.DictReader(lines)
    if "epoch" not in (reader.fieldnames or ()):
        return [], len(lines)
    rows, bad = {}, 0
    for row in reader:
        try:
            if None in row or None in row.values():  # too many or too few fields
                raise ValueError(row)
            parsed = {key: float(value) for key, value in row.items()}
            epoch = parsed["epoch"]
            if not epoch.is_integer() or epoch < 1:
                raise ValueError(epoch)
        except ValueError:
            bad += 1
            continue
        rows[int(epoch)] = {**parsed, "epoch": int(epoch)}
    return [rows[epoch] for epoch in sorted(rows)], bad


def write(path: pathlib.Path, rows: list[dict[str, float]]) -> None:
    """Writes ``rows`` atomically: ``FIELDS``, then every extra column of any row (nan where a
    row lacks one)."""
    extra = [key for row in rows for key in row if key not in FIELDS]
    fields = list(FIELDS) + list(dict.fromkeys(extra))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n", restval="nan")
    writer.writeheader()
    for each in rows:
        writer.writerow({key: each.get(key, "nan") for key in fields})
    fileio.write_text(path, buffer.getvalue())


def from_events(logs_dir: pathlib.Path) -> dict[int, dict[str, float]]:
    """History rows by epoch rebuilt from the scalar summaries in ``logs_dir/train`` and
    ``logs_dir/validation``: the epochs that have every ``METRICS`` value of both splits."""
    from acvae.runs import summaries

    values: dict[int, dict[str, float]] = {}
    for split, prefix in (("train", "train_"), ("validation", "val_")):
        for path in sorted((logs_dir / split).glob("events.out.tfevents.*")):
            for record in summaries.event_records(path)[0]:
                event = tf.compat.v1.Event.FromString(record)
                for value in event.summary.value:
                    scalar = (tf.make_ndarray(value.tensor) if value.HasField("tensor")
                              else np.asarray(value.simple_value))
                    if scalar.shape == () and scalar.dtype.kind == "f":
                        name = "beta" if value.tag == "beta" else prefix + value.tag
                        values.setdefault(int(event.step), {})[name] = float(scalar)
    needed = {f"{prefix}{metric}" for prefix in ("train_", "val_") for metric in METRICS}
    return {epoch: {"epoch": epoch, "seconds": math.nan, **row}
            for epoch, row in values.items() if epoch >= 1 and needed <= set(row)}


def ranges(numbers: list[int]) -> str:
    """``[1, 2, 3, 5]`` as ``"1-3, 5"``."""
    spans: list[list[int]] = []
    for number in sorted(numbers):
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
