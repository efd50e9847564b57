"""Command line: a labelled grid of images from a dataset TFRecord, to check that it is right.

    python -m acvae show-sample data/villagers.tfrecord --out sample.png [--n 8] [--shuffle N]

Each tile shows one stored image composited onto white, titled with its identifier, then its
labels in table order (whatever columns the TFRecord's schema holds). Text is shown literally:
``$...$`` is not read as mathematics. ``--shuffle N`` draws from a shuffle buffer of N records
(``--seed`` picks which); without it the first ``--n`` records are shown. An existing
``--out`` is replaced only when acvae wrote it (``acvae.core.outputs``), else with ``--overwrite``.
``--n`` is at most ``MAX_SHOWN``: a grid of more tiles would be too large to open.
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

from acvae.core import cli, fileio, outputs
from acvae.core.errors import UserError

TITLE_WIDTH = 26  # characters per title line in a tile
TILE_INCHES = (2.1, 2.9)  # (width, height) of a tile, at DPI dots per inch
DPI = 100
# the most tiles a grid of at most ``outputs.MAX_PIXELS`` pixels holds
MAX_SHOWN = int(outputs.MAX_PIXELS // (TILE_INCHES[0] * TILE_INCHES[1] * DPI**2))


def read_sample(path: str, n: int = 8, shuffle: int = 0, seed: int = 0):
    """Up to ``n`` items from a TFRecord (file, shard stem or glob), once every record of it
    passed the check training makes (``acvae.data.scan``).

    Returns:
      ``(schema, records)``: the schema stored in the file and dicts with ``image`` (uint8
      [H, W, 4]) and a string per schema column.

    Raises:
      MissingData: nothing at ``path``.
      DataError: the file is not a dataset TFRecord (or predates schemas), holds no items, is
        damaged or holds a record that is not an acvae Example (one line naming the record).
    """
    import tensorflow as tf

    from acvae.data import scan, tfrecord
    from acvae.data.errors import DataError, MissingData

    files = tfrecord.resolve_files(path)
    if not files:
        raise MissingData(f"no TFRecord at {path}")
    schema = scan.read(files).schema
    dataset = tf.data.TFRecordDataset(files)
    if shuffle > 1:
        dataset = dataset.shuffle(shuffle, seed=seed)
    sample = []
    for example in dataset.take(n).map(lambda s: tfrecord.parse_schema_example(s, schema)):
        record = {key: _text(example[key].numpy()) for key in schema.columns}
        try:
            with Image.open(io.BytesIO(example["image"].numpy())) as image:
                record["image"] = np.asarray(image.convert("RGBA"))
        except OSError as error:  # a complete PNG whose content is not an image
            raise DataError(f"the image of {schema.id} {record[schema.id]!r} in {path} cannot be "
                            f"read ({error}); run python -m acvae.prepare on the data again"
                            ) from None
        sample.append(record)
    return schema, sample


def _text(value) -> str:
    """A column's value as shown: text as is, a continuous label's float to 3 digits."""
    return value.decode("utf-8") if isinstance(value, bytes) else f"{value:.3g}"


def title(record: dict, schema) -> str:
    """The tile title: the identifier, then the labels in table order, wrapped to the tile."""
    lines = textwrap.wrap(record[schema.id], TITLE_WIDTH, max_lines=2, placeholder="…")
    labels = ", ".join(record[label.name] for label in schema.labels)
    lines += textwrap.wrap(labels, TITLE_WIDTH, max_lines=3, placeholder="…")
    return "\n".join(lines)


def save_grid(sample: list[dict], schema, out: str | os.PathLike) -> pathlib.Path:
    """Draws the labelled grid (``plots.titled_grid``, as the run's ``samples.png``) and writes
    it atomically as a PNG."""
    from acvae.visualise import files, images, plots

    cols = min(len(sample), max(4, math.ceil(math.sqrt(len(sample)))))
    shown = images.to_rgb(np.stack([record["image"] for record in sample]) / 255.0, "white")
    fig = plots.titled_grid(shown, [title(record, schema) for record in sample], cols,
                            TILE_INCHES, DPI)
    out = pathlib.Path(out)
    try:
        return fileio.write_with(out, files.figure(fig))
    except OSError as error:
        raise UserError(f"cannot write {out}: {fileio.write_error(error)}") from None


OUT = cli.define(flags.DEFINE_string, "out", None, "PNG file to write.")
OVERWRITE = cli.define(flags.DEFINE_bool, *outputs.OVERWRITE_FLAG)
N = cli.define(flags.DEFINE_integer, "n", 8, "Number of images to show.", lower_bound=1)
SHUFFLE = cli.define(flags.DEFINE_integer, "shuffle", 0,
                     "Shuffle buffer size (0: the first --n records).", lower_bound=0)
SEED = cli.define(flags.DEFINE_integer, "seed", 0, "Shuffle seed.", lower_bound=0)


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise UserError("give one TFRecord: python -m acvae show-sample DATA.tfrecord --out X.png")
    if not OUT.value:
        raise UserError("give --out, the PNG file to write")
    if N.value > MAX_SHOWN:  # --n is shared with other commands: its upper bound is here
        raise UserError(f"--n must be between 1 and {MAX_SHOWN} (a grid of more would be too "
                        f"large to open), got {N.value}")
    outputs.check_extension(OUT.value, (".png",), "show_sample")
    outputs.check(OUT.value, OVERWRITE.value, outputs.written_image)
    schema, sample = read_sample(argv[1], N.value, SHUFFLE.value, SEED.value)
    out = save_grid(sample, schema, OUT.value)
    print(f"wrote {len(sample)} image{'s' * (len(sample) != 1)} to {out}")


if __name__ == "__main__":
    cli.run(main)
