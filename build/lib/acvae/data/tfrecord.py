"""The dataset TFRecord: its ``tf.train.Example`` layout, an atomic sharded writer, and readers.

One ``tf.train.Example`` per item with bytes features: ``image`` (an RGBA PNG), one UTF-8
string per schema column (the identifier and every label) and ``_schema``, the schema header
(``Schema.header``: the columns and which labels are categorical) — the same few hundred
bytes in every Example, so any file, shard or record says what it holds. A dataset is one
file (``data/villagers.tfrecord``) or shards named ``data/villagers.tfrecord-00000-of-00004``;
``resolve_files`` finds either from the same path. ``ShardedWriter`` writes into hidden
temporary files beside the destination and only renames them into place on ``commit``, so an
interrupted run never leaves a partial file and an older dataset stays intact until the new
one is complete. A TFRecord written before schemas existed (no ``_schema``) is refused with a
one-line ``DataError`` saying to run ``python -m acvae.prepare`` again.
"""

from __future__ import annotations

import functools
import os
import pathlib
import secrets
from collections.abc import Mapping, Sequence

import tensorflow as tf

from acvae.data.errors import DataError
from acvae.data.schema import IMAGE_FEATURE, SCHEMA_FEATURE, Schema

SHARD_GLOB = "-?????-of-?????"
LEGACY = (
    "{path} was written by an older acvae and does not say which columns it holds; run "
    "python -m acvae.prepare on your data again to rewrite it"
)


@functools.lru_cache(maxsize=8)
def _header(schema: Schema) -> bytes:
    return schema.header().encode("utf-8")


def _bytes_feature(value: bytes) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def serialize_example(image_png: bytes, row: Mapping[str, str], schema: Schema) -> bytes:
    """One item as a serialized ``tf.train.Example``.

    Args:
      image_png: the image as PNG bytes (RGBA by convention; see ``acvae.data.images``).
      row: a string for every column of ``schema`` (``schema.columns``).
      schema: the dataset's schema; its header is stored in the Example.

    Returns:
      The serialized proto; features in a fixed order, so equal input gives equal bytes.
    """
    feature = {
        IMAGE_FEATURE: _bytes_feature(image_png),
        SCHEMA_FEATURE: _bytes_feature(_header(schema)),
    }
    for column in schema.columns:
        feature[column] = _bytes_feature(row[column].encode("utf-8"))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString(
        deterministic=True
    )


def parse_example(serialized: tf.Tensor, columns: Sequence[str]) -> dict[str, tf.Tensor]:
    """Parses one serialized Example into scalar string tensors.

    Args:
      serialized: a scalar string tensor.
      columns: the text columns to read (``schema.columns``).

    Returns:
      ``{"image": PNG bytes [], column: UTF-8 string [] for each column}``.
    """
    spec = {key: tf.io.FixedLenFeature([], tf.string) for key in (IMAGE_FEATURE, *columns)}
    return tf.io.parse_single_example(serialized, spec)


def _first_header(path: str) -> str | None:
    """The ``_schema`` text of the first Example of ``path`` ("" when it has none); None for an
    empty file."""
    spec = {SCHEMA_FEATURE: tf.io.FixedLenFeature([], tf.string, default_value="")}
    try:
        for serialized in tf.data.TFRecordDataset(path).take(1):
            return tf.io.parse_single_example(serialized, spec)[SCHEMA_FEATURE].numpy().decode()
    except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as error:
        reason = str(error.message).splitlines()[0]
        raise DataError(f"{path} is not a TFRecord written by acvae.prepare: {reason}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path} has a schema header that is not UTF-8 text") from None
    return None


def read_header(files: Sequence[str]) -> str:
    """The schema header shared by ``files`` (see ``Schema.from_header``).

    Raises:
      DataError: a file is not a TFRecord, was written before schemas existed, holds no
        items at all, or the files disagree about their columns.
    """
    headers = {}
    for path in files:
        header = _first_header(path)
        if header == "":
            raise DataError(LEGACY.format(path=path))
        if header is not None:
            headers[path] = header
    if not headers:
        raise DataError(f"{', '.join(files)} holds no items")
    first, text = next(iter(headers.items()))
    for path, other in headers.items():
        if other != text:
            raise DataError(
                f"{path} and {first} hold different columns; read one dataset at a time"
            )
    return text


def shard_paths(out: str | os.PathLike, shards: int) -> list[pathlib.Path]:
    """The files a dataset at ``out`` occupies when written in ``shards`` pieces."""
    out = pathlib.Path(out)
    if shards == 1:
        return [out]
    return [out.with_name(f"{out.name}-{i:05d}-of-{shards:05d}") for i in range(shards)]


def resolve_files(path: str | os.PathLike) -> list[str]:
    """The TFRecord files meant by ``path``: the file itself, a glob, or the shards of a stem.

    Args:
      path: ``data/villagers.tfrecord`` (one file, or its shards ``...-00000-of-00004``), or a
        glob such as ``data/shards/*.tfrecord``.

    Returns:
      Sorted file names; empty when nothing matches.
    """
    path = os.fspath(path)
    if tf.io.gfile.exists(path) and not tf.io.gfile.isdir(path):
        return [path]
    if any(char in path for char in "*?["):
        return sorted(tf.io.gfile.glob(path))
    return sorted(tf.io.gfile.glob(path + SHARD_GLOB))


def temporary_path(final: pathlib.Path) -> pathlib.Path:
    """A unique hidden name in ``final``'s folder, so that ``os.replace`` onto it is atomic."""
    return final.with_name(f".{final.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def remove_quietly(path: pathlib.Path) -> None:
    """Deletes ``path`` if it exists."""
    try:
        path.unlink()
    except FileNotFoundError:
        pass


class ShardedWriter:
    """Writes Examples round-robin into ``shards`` temporary files; ``commit`` publishes them.

    Usage::

        writer = ShardedWriter("data/villagers.tfrecord", shards=1)
        try:
            writer.write(serialize_example(png, row, schema))
            writer.commit()
        finally:
            writer.discard()   # no-op after a commit

    Committing also deletes files left by an earlier run with a different shard count, so that
    ``resolve_files(out)`` finds exactly the new dataset.

    Raises:
      OSError: a file cannot be created (the message names ``out``).
    """

    def __init__(self, out: str | os.PathLike, shards: int = 1):
        if not isinstance(shards, int) or shards < 1:
            raise ValueError(f"shards must be a positive integer, got {shards!r}")
        self.out = pathlib.Path(out)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.finals = shard_paths(self.out, shards)
        self.temps = [temporary_path(final) for final in self.finals]
        self.count = 0
        self.committed = False
        self._writers = []
        try:
            for temp in self.temps:
                self._writers.append(tf.io.TFRecordWriter(str(temp)))
        except tf.errors.OpError as error:
            self.discard()
            raise OSError(f"cannot write {self.out}: {error.message}") from None
        except BaseException:
            self.discard()
            raise

    def write(self, serialized: bytes) -> None:
        """Appends one serialized Example to the next shard."""
        self._writers[self.count % len(self._writers)].write(serialized)
        self.count += 1

    def _close(self) -> None:
        writers, self._writers = self._writers, []
        for writer in writers:
            writer.close()

    def commit(self) -> list[pathlib.Path]:
        """Closes the temporary files and renames them into place; returns the final paths."""
        self._close()
        earlier = [str(self.out)] if self.out.is_file() else []
        earlier += tf.io.gfile.glob(str(self.out) + SHARD_GLOB)
        stale = set(earlier) - {str(final) for final in self.finals}
        for temp, final in zip(self.temps, self.finals):
            os.replace(temp, final)
        for path in stale:
            remove_quietly(pathlib.Path(path))
        self.committed = True
        return self.finals

    def discard(self) -> None:
        """Closes and deletes the temporary files unless they were committed."""
        if self.committed:
            return
        try:
            self._close()
        except (OSError, tf.errors.OpError):
            pass  # a failed flush of files that are deleted next
        finally:
            for temp in self.temps:
                remove_quietly(temp)
