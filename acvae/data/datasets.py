"""Registered datasets (gin kind ``datasets``): each returns the ``InputData`` of one source.

Configs pick one with parentheses, ``experiment.dataset = @datasets.synthetic()``; the shape,
channel, batch and split settings come from the gin bindings of ``input_pipeline``. A dataset
is a function returning ``input_pipeline(files)``: ``tfrecord`` reads what
``python -m acvae.prepare`` wrote, ``synthetic`` draws villagers, and a plugin that makes its
images in Python hands them to ``from_images`` (see ``plugins/shapes.py``), which writes them
once into the cache as a TFRecord with its schema, so every dataset goes through one pipeline.
A cached TFRecord found damaged is deleted and made again (one line says so).
"""

from __future__ import annotations

import collections
import hashlib
import os
import pathlib
from collections.abc import Callable, Iterable, Mapping

import numpy as np

from acvae.core import cache, registry
from acvae.data import images, synthetic as synthetic_villagers
from acvae.data import tfrecord as tfrecord_files
from acvae.data.errors import DamagedData, DataError, MissingData, SettingError
from acvae.data.pipeline import InputData, input_pipeline
from acvae.data.schema import Schema

MISSING_TFRECORD = (
    "no TFRecord at {path} — create it with 'python -m acvae.prepare VILLAGERS.json IMAGES_DIR "
    "--out {path}', or train on synthetic villagers with --gin_file=configs/demo.gin"
)


@registry.register("datasets")
def tfrecord(path: str = "data/villagers.tfrecord") -> InputData:
    """Any dataset written by ``python -m acvae.prepare``: villagers, a table or class folders.

    Args:
      path: the TFRecord, the stem of its shards, or a glob.

    Raises:
      MissingData: nothing at ``path``; the message says how to create it.
      SettingError: ``path`` is not a path (``TFRECORD = 5``).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise SettingError(f"datasets.tfrecord.path (TFRECORD) must be a file path in quotes, "
                           f"got {path!r}")
    files = tfrecord_files.resolve_files(path)
    if not files:
        raise MissingData(MISSING_TFRECORD.format(path=path))
    return input_pipeline(files)


@registry.register("datasets")
def synthetic(n: int = 400, seed: int = 0, cache_dir: str | None = None) -> InputData:
    """Procedural cartoon villagers, generated once and cached; needs no download.

    Args:
      n: the number of villagers.
      seed: which villagers (the same seed gives the same images).
      cache_dir: cache root; defaults to ``$ACVAE_CACHE`` or ``~/.cache/acvae``.
    """
    return _from_cache(lambda: synthetic_villagers.cached_tfrecord(n, seed, cache_dir),
                       f"{n} synthetic villagers")


def _from_cache(make: Callable[[], pathlib.Path], what: str) -> InputData:
    """``input_pipeline`` of a TFRecord in acvae's own cache, which ``make`` writes when it is
    absent and returns. A damaged one (cut short, garbled, emptied) is deleted and made again,
    with one line saying so: the cache is acvae's, so nobody else's data is lost."""
    path = make()
    try:
        return input_pipeline([str(path)])
    except DamagedData as error:
        print(f"note: the cached {what} in {error.path or path} are damaged; deleting the cache "
              "file and making it again", flush=True)
        for damaged in tfrecord_files.resolve_files(path):
            tfrecord_files.remove_quietly(pathlib.Path(damaged))
    return input_pipeline([str(make())])


def from_images(
    name: str,
    items: Iterable[tuple[Mapping[str, str], np.ndarray]],
    id_column: str,
    cache_dir: str | None = None,
) -> InputData:
    """The ``InputData`` of images made in Python: what a dataset plugin returns.

    The items are encoded and their schema inferred (as ``acvae.prepare`` does), then written
    once to ``<cache root>/datasets/<name>-<content hash>.tfrecord`` (atomically; later calls
    with the same items reuse it) and read by ``input_pipeline``.

    Args:
      name: the dataset's name, for the cache file.
      items: ``(row, image)`` pairs: ``row`` maps every column (the identifier and the labels,
        the same keys in every row) to a string; ``image`` is uint8 [H, W] or [H, W, 1, 3, 4].
      id_column: the identifier column (unique per item).
      cache_dir: cache root; defaults to ``$ACVAE_CACHE`` or ``~/.cache/acvae``.

    Raises:
      DataError: no items, rows with different columns, or a repeated identifier.
      WriteError: the cache cannot be written (disk full, ...).
    """
    rows, pngs = [], []
    for row, image in items:
        rows.append({str(key): str(value) for key, value in row.items()})
        pngs.append(images.png_bytes(image))
    if not rows:
        raise DataError(f"dataset {name!r} has no items")
    columns = list(rows[0])
    if any(list(row) != columns for row in rows):
        raise DataError(f"the rows of dataset {name!r} do not all have the columns {columns}")
    counts = collections.Counter(row.get(id_column) for row in rows)
    repeated = [identifier for identifier, count in counts.items() if count > 1]
    if id_column in columns and repeated:
        raise DataError(f"dataset {name!r} repeats the {id_column} {repeated[0]!r}")
    ordered = [id_column] + [c for c in columns if c != id_column]
    schema = Schema.infer(id_column, {c: [row[c] for row in rows] for c in ordered})
    examples = [tfrecord_files.serialize_example(png, row, schema) for row, png in zip(rows, pngs)]
    digest = hashlib.sha256()
    for example in examples:
        digest.update(len(example).to_bytes(8, "little") + example)
    path = cache.cache_root(cache_dir) / "datasets" / f"{name}-{digest.hexdigest()[:16]}.tfrecord"
    return _from_cache(lambda: cache.make_once(path, lambda tmp: _write_examples(tmp, examples),
                                               path.is_file, f"dataset {name!r}"),
                       f"images of dataset {name!r}")


def _write_examples(path: pathlib.Path, examples: list[bytes]) -> None:
    """Writes ``examples`` into the TFRecord ``path``."""
    writer = tfrecord_files.ShardedWriter(path)
    try:
        for example in examples:
            writer.write(example)
        writer.commit()
    finally:
        writer.discard()
