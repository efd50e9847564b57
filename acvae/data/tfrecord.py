"""The dataset TFRecord: its ``tf.train.Example`` layout, an atomic sharded writer, and readers.

One ``tf.train.Example`` per item: ``image`` (an RGBA PNG), one UTF-8 string per schema column
(the identifier and every label) but a float for each continuous label, and ``_schema``, the
schema header (``Schema.header``: the columns and which labels are categorical or continuous)
— the same few hundred bytes in every Example, so any file, shard or record says what it
holds. A dataset is one
file (``data/villagers.tfrecord``) or shards named ``data/villagers.tfrecord-00000-of-00004``;
``resolve_files`` finds either from the same path. ``ShardedWriter`` writes into hidden
temporary files beside the destination and only renames them into place on ``commit``, so an
interrupted run never leaves a partial file and an older dataset stays intact until the new
one is complete. ``checked_records`` is the one reader that checks a file's frames and checksums
(every command reads through it): a file that is not a TFRecord, is cut short or fails a
checksum is refused with one line naming the file and the record. A TFRecord written before
schemas existed (no ``_schema``) is refused with a one-line ``DataError`` saying to run
``python -m acvae.prepare`` again.
"""

from __future__ import annotations

import functools
import os
import pathlib
import secrets
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import tensorflow as tf
from google.protobuf import message

from acvae.data.errors import DamagedData, DataError
from acvae.data.schema import IMAGE_FEATURE, SCHEMA_FEATURE, Schema

SHARD_GLOB = "-?????-of-?????"
LEGACY = (
    "{path} was written by an older acvae and does not say which columns it holds; run "
    "python -m acvae.prepare on your data again to rewrite it"
)
DAMAGED = ("{path} is damaged or cut short at record {number} ({what}); run python -m "
           "acvae.prepare on the data again")
NOT_AN_EXAMPLE = ("record {number} of {path} is not an acvae Example ({problem}); run python -m "
                  "acvae.prepare on the data again")


@functools.lru_cache(maxsize=8)
def _header(schema: Schema) -> bytes:
    return schema.header().encode("utf-8")


def _bytes_feature(value: bytes) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def _float_feature(value: float) -> tf.train.Feature:
    return tf.train.Feature(float_list=tf.train.FloatList(value=[value]))


def serialize_example(image_png: bytes, row: Mapping[str, object], schema: Schema) -> bytes:
    """One item as a serialized ``tf.train.Example``.

    Args:
      image_png: the image as PNG bytes (RGBA by convention; see ``acvae.data.images``).
      row: a value for every column of ``schema`` (``schema.columns``): a number for a
        continuous label (stored as a float), else a string (a number there is stored as its
        text).
      schema: the dataset's schema; its header is stored in the Example.

    Returns:
      The serialized proto; features in a fixed order, so equal input gives equal bytes.
    """
    feature = {
        IMAGE_FEATURE: _bytes_feature(image_png),
        SCHEMA_FEATURE: _bytes_feature(_header(schema)),
    }
    continuous = {label.name for label in schema.continuous}
    for column in schema.columns:
        value = row[column]
        feature[column] = (_float_feature(float(value)) if column in continuous
                           else _bytes_feature(str(value).encode("utf-8")))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString(
        deterministic=True
    )


def parse_example(serialized: tf.Tensor, columns: Sequence[str],
                  continuous: Sequence[str] = ()) -> dict[str, tf.Tensor]:
    """Parses one serialized Example into scalar tensors.

    Args:
      serialized: a scalar string tensor.
      columns: the columns to read (``schema.columns``).
      continuous: those of ``columns`` that are continuous labels (floats).

    Returns:
      ``{"image": PNG bytes [], column: UTF-8 string [] or float32 [] for each column}``.
    """
    spec = {key: tf.io.FixedLenFeature([], tf.float32 if key in continuous else tf.string)
            for key in (IMAGE_FEATURE, *columns)}
    return tf.io.parse_single_example(serialized, spec)


def parse_schema_example(serialized: tf.Tensor, schema: Schema) -> dict[str, tf.Tensor]:
    """``parse_example`` of every column of ``schema``, continuous labels as floats."""
    return parse_example(serialized, schema.columns, [label.name for label in schema.continuous])


def _frame_problem(path: str, number: int, end: int, size: int) -> str:
    """Why record ``number`` of ``path``, at byte ``end`` of ``size``, could not be read: the
    file is not a TFRecord (at its first record), ends inside the record, or the record fails
    its checksum. Each record is framed by its length (8 bytes) and the length's checksum
    (4 bytes) before it and the data's checksum (4 bytes) after it."""
    try:
        with tf.io.gfile.GFile(path, "rb") as handle:
            handle.seek(end)
            head = handle.read(512)
    except (OSError, tf.errors.OpError) as error:
        reason = str(getattr(error, "message", error)).splitlines()[0]
        raise DataError(f"cannot read {path}: {reason}") from None
    length = int.from_bytes(head[:8], "little") if len(head) >= 12 else None
    fits = length is not None and end + 16 + length <= size
    if end == 0 and not fits:
        if b"\0" not in head and _is_text(head):
            return (f"{path} is not a TFRecord written by acvae.prepare: it holds text (a label "
                    f"table?); turn a table and its images into a TFRecord with python -m "
                    f"acvae.prepare TABLE IMAGES_DIR --out {pathlib.Path(path).stem}.tfrecord")
        return (f"{path} is not a TFRecord written by acvae.prepare: its first bytes do not "
                "frame a record (another kind of file, or one damaged at its start); run "
                "python -m acvae.prepare on the data again")
    # a length beyond the whole file is a garbled frame, not a file cut short
    cut_short = length is None or (not fits and length <= size)
    what = ("the file ends inside it: a copy or download that did not finish?" if cut_short
            else "it fails its checksum: the file changed or was damaged after it was written")
    return DAMAGED.format(path=path, number=number, what=what)


def _is_text(head: bytes) -> bool:
    """Whether ``head`` (a file's first bytes) reads as UTF-8 text (its last character may be
    cut)."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3
    return True


def checked_records(path: str, batch_size: int = 256) -> Iterator[np.ndarray]:
    """Every record of one TFRecord file, in order, in batches (numpy arrays of bytes).

    The one integrity check every reader shares (training, evaluation, ``show_sample``): the
    records are read without raising (so TensorFlow logs nothing) and their frames must add up
    to the file's size; otherwise the first record that could not be read is named.

    Raises:
      DamagedData: the file is not a TFRecord, or a record fails its checksum or is cut short
        (one line naming the file, the record number, what is wrong and what helps); raised
        after the batches before that record were yielded.
      DataError: the file cannot be read.
    """
    records = tf.data.TFRecordDataset(path).ignore_errors(log_warning=False)
    number = end = 0
    for batch in records.batch(batch_size).as_numpy_iterator():
        yield batch
        number += len(batch)
        end += sum(len(record) for record in batch) + 16 * len(batch)
    size = tf.io.gfile.stat(path).length
    if end != size:
        raise DamagedData(_frame_problem(path, number + 1, end, size), path)


def _first_header(path: str) -> str | None:
    """The ``_schema`` text of the first Example of ``path`` ("" when it has none); None for an
    empty file."""
    first = next(checked_records(path, batch_size=1), None)
    if first is None:
        return None
    try:
        features = tf.train.Example.FromString(first[0]).features.feature
    except message.DecodeError:
        raise DamagedData(NOT_AN_EXAMPLE.format(
            path=path, number=1, problem="it does not parse as a tf.train.Example"), path) from None
    if SCHEMA_FEATURE not in features or not features[SCHEMA_FEATURE].bytes_list.value:
        return ""
    try:
        return features[SCHEMA_FEATURE].bytes_list.value[0].decode("utf-8")
    except UnicodeDecodeError:
        raise DataError(f"{path} has a schema header that is not UTF-8 text") from None


def read_header(files: Sequence[str]) -> str:
    """The schema header shared by ``files`` (see ``Schema.from_header``).

    Raises:
      DamagedData: a file is not a TFRecord or its first record is damaged, or the files
        hold no items at all.
      DataError: a file was written before schemas existed, or the files disagree about
        their columns.
    """
    headers = {}
    for path in files:
        header = _first_header(path)
        if header == "":
            raise DataError(LEGACY.format(path=path))
        if header is not None:
            headers[path] = header
    if not headers:
        raise DamagedData(f"{', '.join(files)} holds no items (an empty file); run python -m "
                          "acvae.prepare on the data again", files[0])
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
