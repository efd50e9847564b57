"""One pass over every record of a dataset: the integrity check, the labels' values, the split.

Every reader of dataset TFRecords goes through ``read`` before any image is decoded: the input
pipeline (so training and every tool that loads a run) and ``show_sample``. Each file is read
with ``tfrecord.checked_records`` (frames and checksums, the file's end); each record must parse
as an acvae Example holding its image and every schema column as text, and its image must be a
complete PNG (the PNG signature and the end chunk; nothing is decoded). A record that fails is
refused in one line with its file, number and identifier, so training never stops mid-epoch on
a bad record. The same pass gives the split sizes, the ``fingerprint`` a resumed run compares
(identifiers, labels and split; ``acvae.training.resume``) and ``content``, what the dataset holds
(``acvae.data.content``), which the tools that reuse a run compare with what it was trained on.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence

import numpy as np
import tensorflow as tf
from google.protobuf import message

from acvae.data import content, tfrecord
from acvae.data.errors import DamagedData, DataError
from acvae.data.schema import IMAGE_FEATURE, Schema

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_HASH_BUCKETS = 1_000_000
_SHOWN = 5  # bad records named in an error


@dataclasses.dataclass(frozen=True)
class Scan:
    """What one pass over a dataset's records found.

    Attributes:
      schema: the schema with every label's values over both splits.
      n_train, n_validation: the split sizes.
      fingerprint: a digest of the schema and every item's columns and split.
      content: ``acvae.data.content.record`` of the dataset (items per file; digests of the
        identifiers, labels and images).
    """

    schema: Schema
    n_train: int
    n_validation: int
    fingerprint: str
    content: dict


def is_validation(identifier: tf.Tensor, validation_fraction: float) -> tf.Tensor:
    """Whether an item belongs to the validation split: a stable hash of its identifier.

    Args:
      identifier: string tensor of any shape (the schema's id column).
      validation_fraction: the expected share of validation items, in (0, 1).

    Returns:
      bool tensor of ``identifier``'s shape.
    """
    bucket = tf.strings.to_hash_bucket_fast(identifier, _HASH_BUCKETS)
    return bucket < round(validation_fraction * _HASH_BUCKETS)


def is_complete_png(image: bytes) -> bool:
    """Whether ``image`` starts with the PNG signature and ends with the IEND chunk (its
    4-byte type, then its 4-byte CRC), without decoding it."""
    return len(image) >= 20 and image[:8] == PNG_SIGNATURE and image[-8:-4] == b"IEND"


def _value(feature, continuous: bool) -> list:
    """The values of one feature: its floats for a continuous label, else its bytes."""
    return feature.float_list.value if continuous else feature.bytes_list.value


def _parse(serialized: bytes, columns: Sequence[str], path: str, number: int,
           continuous: frozenset = frozenset()):
    """``(column texts, image bytes)`` of one record; a continuous label's float is written
    as text (``repr``).

    Raises:
      DamagedData: the record is not an Example with one image and one UTF-8 text per column
        (one float per continuous label).
    """
    def refuse(problem: str) -> DamagedData:
        return DamagedData(tfrecord.NOT_AN_EXAMPLE.format(path=path, number=number,
                                                          problem=problem), path)

    try:
        features = tf.train.Example.FromString(serialized).features.feature
    except message.DecodeError:
        raise refuse("it does not parse as a tf.train.Example") from None
    missing = [key for key in (IMAGE_FEATURE, *columns)
               if key not in features or len(_value(features[key], key in continuous)) != 1]
    if missing:
        raise refuse(f"it lacks the feature(s) {', '.join(missing)}")
    try:
        texts = [repr(features[column].float_list.value[0]) if column in continuous
                 else features[column].bytes_list.value[0].decode("utf-8") for column in columns]
    except UnicodeDecodeError:
        raise refuse("a column is not UTF-8 text") from None
    return texts, features[IMAGE_FEATURE].bytes_list.value[0]


def _read_file(path: str, schema: Schema) -> tuple[list[list[str]], list[bool], list]:
    """Every record of one file: its column texts, whether its image is a complete PNG, and a
    digest of the image."""
    rows, complete, digests = [], [], []
    continuous = frozenset(label.name for label in schema.continuous)
    for batch in tfrecord.checked_records(path):
        for serialized in batch:
            texts, image = _parse(serialized, schema.columns, path, len(rows) + 1, continuous)
            rows.append(texts)
            complete.append(is_complete_png(image))
            digests.append(hashlib.sha256(image).hexdigest()[:16])
    return rows, complete, digests


def _refuse_incomplete_pngs(files, parts, identifier: str) -> None:
    bad = [(path, number + 1, rows[number][0]) for path, (rows, complete, _) in zip(files, parts)
           for number in np.flatnonzero(~np.asarray(complete, bool))]
    if bad:
        shown = "; ".join(f"record {number} of {path} ({identifier} {name!r})"
                          for path, number, name in bad[:_SHOWN])
        more = f" and {len(bad) - _SHOWN} more" if len(bad) > _SHOWN else ""
        raise DamagedData(
            f"{len(bad)} record(s) hold an image that is not a complete PNG: {shown}{more}; "
            "run python -m acvae.prepare on the data again (it re-encodes every image)", bad[0][0])


def _refuse_repeated_items(files, parts, identifier: str) -> None:
    """Refuses a dataset holding an item more than once (files concatenated, or the same data
    in two files): each would weigh twice in training and could fall in both splits' counts."""
    first: dict[str, str] = {}
    repeated = []
    for path, (rows, _, _) in zip(files, parts):
        for number, row in enumerate(rows, start=1):
            where = f"record {number} of {path}"
            if row[0] in first:
                repeated.append((row[0], first[row[0]], where))
            else:
                first[row[0]] = where
    if repeated:
        name, earlier, later = repeated[0]
        raise DataError(
            f"{len(repeated)} record(s) repeat an item, e.g. {identifier} {name!r} in {earlier} "
            f"and {later}; each item must be in the data once: prepare the data again (python "
            "-m acvae.prepare), or name each file once")


def _fingerprint(header: str, rows: list[list[str]], validation: np.ndarray) -> str:
    """A digest of the schema and every item's columns and split, independent of file order."""
    lines = sorted("\x1f".join([*texts, str(bool(flag))]) for texts, flag in zip(rows, validation))
    digest = hashlib.sha256(header.encode("utf-8"))
    for line in lines:
        digest.update(b"\x1e" + line.encode("utf-8"))
    return digest.hexdigest()[:16]


def read(files: list[str], validation_fraction: float = 0.1) -> Scan:
    """Checks every record of ``files`` and summarises them (no image is decoded); the split
    is that of ``validation_fraction`` (``input_pipeline``'s).

    Raises:
      DamagedData: a file is not a TFRecord, a record is cut short, fails its checksum, does
        not parse or holds an image that is not a complete PNG (named by file and number).
      DataError: a file predates schemas, or the files disagree.
    """
    header = tfrecord.read_header(files)
    bare = Schema.from_header(header)
    columns = bare.columns
    parts = [_read_file(path, bare) for path in files]
    _refuse_incomplete_pngs(files, parts, columns[0])
    _refuse_repeated_items(files, parts, columns[0])
    rows = [row for part in parts for row in part[0]]
    identifiers = [row[0] for row in rows]
    validation = (is_validation(tf.constant(identifiers, tf.string), validation_fraction).numpy()
                  if rows else np.zeros([0], bool))
    values = {column: [row[i] for row in rows] for i, column in enumerate(columns) if i}
    record = content.record(
        header, {path: len(part[0]) for path, part in zip(files, parts)},
        [(tuple(row), digest) for row, digest in zip(rows, (d for p in parts for d in p[2]))])
    return Scan(Schema.from_header(header, values), int((~validation).sum()),
                int(validation.sum()), _fingerprint(header, rows, validation), record)
