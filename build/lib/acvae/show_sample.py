"""Command line: a labelled grid of images from a dataset TFRecord, to check that it is right.

    python -m acvae.show_sample data/villagers.tfrecord --out sample.png [--n 8] [--shuffle N]

Each tile shows one stored image composited onto white, titled with its identifier, then its
labels in table order (whatever columns the TFRecord's schema holds). Text is shown literally:
``$...$`` is not read as mathematics. ``--shuffle N`` draws from a shuffle buffer of N records
(``--seed`` picks which); without it the first ``--n`` records are shown.
"""

from __future__ import annotations

import io
import math
import os
import pathlib
import textwrap

import numpy as np
from absl import flags
from PIL import Image

from acvae import cli, fileio
from acvae.errors import UserError

TITLE_WIDTH = 26  # characters per title line in a tile


def read_sample(path: str, n: int = 8, shuffle: int = 0, seed: int = 0):
    """Up to ``n`` items from a TFRecord (file, shard stem or glob).

    Returns:
      ``(schema, records)``: the schema stored in the file (labels without values) and dicts
      with ``image`` (uint8 [H, W, 4]) and a string per schema column.

    Raises:
      MissingData: nothing at ``path``.
      DataError: the file is not a dataset TFRecord (or predates schemas), or holds no items.
    """
    import tensorflow as tf

    from acvae.data import tfrecord
    from acvae.data.errors import DataError, MissingData
    from acvae.data.schema import Schema

    files = tfrecord.resolve_files(path)
    if not files:
        raise MissingData(f"no TFRecord at {path}")
    schema = Schema.from_header(tfrecord.read_header(files))
    dataset = tf.data.TFRecordDataset(files)
    if shuffle > 1:
        dataset = dataset.shuffle(shuffle, seed=seed)
    sample = []
    try:
        for example in dataset.take(n).map(lambda s: tfrecord.parse_example(s, schema.columns)):
            record = {key: example[key].numpy().decode("utf-8") for key in schema.columns}
            with Image.open(io.BytesIO(example["image"].numpy())) as image:
                record["image"] = np.asarray(image.convert("RGBA"))
            sample.append(record)
    except (tf.errors.DataLossError, tf.errors.InvalidArgumentError, OSError) as error:
        reason = str(getattr(error, "message", error)).splitlines()[0]
        raise DataError(f"{path} is not a dataset TFRecord: {reason}") from None
    return schema, sample


def title(record: dict, schema) -> str:
    """The tile title: the identifier, then the labels in table order, wrapped to the tile."""
    lines = textwrap.wrap(record[schema.id], TITLE_WIDTH, max_lines=2, placeholder="…")
    labels = ", ".join(record[label.name] for label in schema.labels)
    lines += textwrap.wrap(labels, TITLE_WIDTH, max_lines=3, placeholder="…")
    return "\n".join(lines)


def save_grid(sample: list[dict], schema, out: str | os.PathLike) -> pathlib.Path:
    """Draws the labelled grid and writes it atomically as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from acvae.data import images

    cols = min(len(sample), max(4, math.ceil(math.sqrt(len(sample)))))
    rows = math.ceil(len(sample) / cols)
    figure, axes = plt.subplots(rows, cols, figsize=(2.1 * cols, 2.9 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, record in zip(axes.flat, sample):
        ax.imshow(images.composite_on_white(record["image"]))
        ax.set_title(title(record, schema), fontsize=8, parse_math=False)
    figure.tight_layout()
    out = pathlib.Path(out)
    try:
        with fileio.atomic_path(out) as temp:
            figure.savefig(temp, format="png", dpi=100, facecolor="white")
    except OSError as error:
        raise UserError(f"cannot write {out}: {fileio.write_error(error)}") from None
    finally:
        plt.close(figure)
    return out


OUT = cli.define(flags.DEFINE_string, "out", None, "PNG file to write.")
N = cli.define(flags.DEFINE_integer, "n", 8, "Number of images to show.")
SHUFFLE = cli.define(flags.DEFINE_integer, "shuffle", 0,
                     "Shuffle buffer size (0: the first --n records).")
SEED = cli.define(flags.DEFINE_integer, "seed", 0, "Shuffle seed.")


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise UserError("give one TFRecord: python -m acvae.show_sample DATA.tfrecord --out X.png")
    if not OUT.value:
        raise UserError("give --out, the PNG file to write")
    if N.value < 1:
        raise UserError("--n must be at least 1")
    schema, sample = read_sample(argv[1], N.value, SHUFFLE.value, SEED.value)
    out = save_grid(sample, schema, OUT.value)
    print(f"wrote {len(sample)} image{'s' * (len(sample) != 1)} to {out}")


def run(argv: list[str] | None = None) -> None:
    """Entry point (``acvae-show-sample``): ``main`` under the command-line convention."""
    cli.run(main, argv)


if __name__ == "__main__":
    run()
