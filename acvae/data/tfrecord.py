"""The villager TFRecord: its ``tf.train.Example`` schema, an atomic sharded writer, and readers.

One ``tf.train.Example`` per villager with five bytes features: ``image`` (an RGBA PNG) and the
UTF-8 labels ``name``, ``species``, ``personality`` and ``gender``. A dataset is one file
(``data/villagers.tfrecord``) or shards named ``data/villagers.tfrecord-00000-of-00004``;
``resolve_files`` finds either from the same path. ``ShardedWriter`` writes into hidden temporary
files beside the destination and only renames them into place on ``commit``, so an interrupted run
never leaves a partial file and an older dataset stays intact until the new one is complete.
"""

from __future__ import annotations

import os
import pathlib
import secrets
from collections.abc import Mapping

import tensorflow as tf

LABELS = ("name", "species", "personality", "gender")
FEATURES = ("image",) + LABELS
SHARD_GLOB = "-?????-of-?????"


def serialize_example(image_png: bytes, labels: Mapping[str, str]) -> bytes:
    """One villager as a serialized ``tf.train.Example``.

    Args:
      image_png: the image as PNG bytes (RGBA by convention; see ``acvae.data.images``).
      labels: a mapping with a string for every name in ``LABELS``.

    Returns:
      The serialized proto.
    """
    values = {"image": image_png, **{key: labels[key].encode("utf-8") for key in LABELS}}
    feature = {
        key: tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))
        for key, value in values.items()
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def parse_example(serialized: tf.Tensor) -> dict[str, tf.Tensor]:
    """Parses one serialized Example into scalar string tensors keyed by ``FEATURES``.

    Args:
      serialized: a scalar string tensor.

    Returns:
      ``{"image": PNG bytes [], "name": [], "species": [], "personality": [], "gender": []}``.
    """
    spec = {key: tf.io.FixedLenFeature([], tf.string) for key in FEATURES}
    return tf.io.parse_single_example(serialized, spec)


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
            writer.write(serialize_example(png, labels))
            writer.commit()
        finally:
            writer.discard()   # no-op after a commit

    Committing also deletes files left by an earlier run with a different shard count, so that
    ``resolve_files(out)`` finds exactly the new dataset.
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
        for writer in self._writers:
            writer.close()
        self._writers = []

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
        self._close()
        for temp in self.temps:
            remove_quietly(temp)
