"""Command line: a labelled grid of villagers from a TFRecord, to check that it is right.

    python -m acvae.show_sample data/villagers.tfrecord --out sample.png [--n 8] [--shuffle N]

Each tile shows one stored image composited onto white, titled with the name, then gender,
personality and species. ``--shuffle N`` draws from a shuffle buffer of N records (``--seed``
picks which); without it the first ``--n`` records are shown.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter quiet

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from PIL import Image  # noqa: E402

from acvae import fileio  # noqa: E402
from acvae.data import images, tfrecord  # noqa: E402


def read_sample(path: str, n: int = 8, shuffle: int = 0, seed: int = 0) -> list[dict]:
    """Up to ``n`` villagers from a TFRecord (file, shard stem or glob).

    Returns:
      Dicts with ``image`` (uint8 [H, W, 4]) and the string labels of ``tfrecord.LABELS``.

    Raises:
      FileNotFoundError: nothing at ``path``.
      ValueError: the file is not a villager TFRecord, or holds no records.
    """
    files = tfrecord.resolve_files(path)
    if not files:
        raise FileNotFoundError(f"no TFRecord at {path}")
    dataset = tf.data.TFRecordDataset(files)
    if shuffle > 1:
        dataset = dataset.shuffle(shuffle, seed=seed)
    sample = []
    try:
        for example in dataset.take(n).map(tfrecord.parse_example):
            record = {key: example[key].numpy().decode("utf-8") for key in tfrecord.LABELS}
            with Image.open(io.BytesIO(example["image"].numpy())) as image:
                record["image"] = np.asarray(image.convert("RGBA"))
            sample.append(record)
    except (tf.errors.DataLossError, tf.errors.InvalidArgumentError, OSError) as error:
        reason = str(getattr(error, "message", error)).splitlines()[0]
        raise ValueError(f"{path} is not a villager TFRecord: {reason}") from None
    if not sample:
        raise ValueError(f"{path} holds no villagers")
    return sample


def title(record: dict) -> str:
    """The two-line tile title: name, then gender, personality and species."""
    return f"{record['name']}\n{record['gender']}, {record['personality']}, {record['species']}"


def save_grid(sample: list[dict], out: str | os.PathLike) -> pathlib.Path:
    """Draws the labelled grid and writes it atomically as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    cols = min(len(sample), max(4, math.ceil(math.sqrt(len(sample)))))
    rows = math.ceil(len(sample) / cols)
    figure, axes = plt.subplots(rows, cols, figsize=(2.1 * cols, 2.7 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, record in zip(axes.flat, sample):
        ax.imshow(images.composite_on_white(record["image"]))
        ax.set_title(title(record), fontsize=8)
    figure.tight_layout()
    out = pathlib.Path(out)
    try:
        with fileio.atomic_path(out) as temp:
            figure.savefig(temp, format="png", dpi=100, facecolor="white")
    finally:
        plt.close(figure)
    return out


def main(argv: list[str] | None = None) -> int:
    """Runs the command; raises SystemExit with a one-line error for user mistakes."""
    parser = argparse.ArgumentParser(
        prog="python -m acvae.show_sample",
        description="Render a labelled grid of villagers from a TFRecord.",
    )
    parser.add_argument("tfrecord", help="TFRecord file, stem of its shards, or glob")
    parser.add_argument("--n", type=int, default=8, help="number of villagers to show")
    parser.add_argument("--shuffle", type=int, default=0, help="shuffle buffer size (0: first n)")
    parser.add_argument("--seed", type=int, default=0, help="shuffle seed")
    parser.add_argument("--out", required=True, help="PNG file to write")
    args = parser.parse_args(argv)
    if args.n < 1:
        raise SystemExit("error: --n must be at least 1")
    try:
        sample = read_sample(args.tfrecord, args.n, args.shuffle, args.seed)
        out = save_grid(sample, args.out)
    except (ValueError, OSError) as error:
        raise SystemExit(f"error: {error}") from None
    print(f"wrote {len(sample)} villagers to {out}")
    return 0


def run() -> None:
    """Console entry point (``acvae-show-sample``)."""
    sys.exit(main())


if __name__ == "__main__":
    run()
