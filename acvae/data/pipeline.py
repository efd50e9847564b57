"""The ``tf.data`` input pipeline: dataset TFRecords -> split, batched image and label tensors.

Reads one or more TFRecord files (shards are interleaved) and the schema they carry (the
identifier and label columns, see ``acvae.data.schema``), decodes each RGBA PNG to 1, 3 or 4
channels, resizes it into ``image_shape`` keeping its aspect ratio and padding the rest
(transparent for 4 channels, white for 1 and 3), scales to [0, 1], caches (in memory when the
decoded split fits a budget, else streams in constant memory, or on disk), shuffles the training
split, batches and prefetches. Every column travels with the images (text, or a float for a
continuous label), plus an integer id per categorical label. The train/validation split is a
stable hash of the identifier (FarmHash fingerprint), so it is the same in every epoch, every
run, every file order and every import layout, and a validation item never reaches training.

Before any image is decoded, one pass over the records (``acvae.data.scan``) checks every
one of them (a damaged file, a record that does not parse or whose image is not a complete PNG
is refused with its file, record number and identifier, so training never stops mid-epoch on a
bad record) and gives the dataset's ``fingerprint`` and ``content``, which tell a resumed run
(``acvae.training.resume``) and the tools that reuse a run (``acvae.runs.experiment.load_run``) whether its
data changed.
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import os
from collections.abc import Sequence

import gin
import numpy as np
import tensorflow as tf

from acvae.data import content, scan, tfrecord
from acvae.data.batches import ids_key
from acvae.data.errors import DataError, MissingData, SettingError
from acvae.data.scan import is_validation
from acvae.data.schema import Schema

CHANNELS = (1, 3, 4)


@dataclasses.dataclass(frozen=True)
class InputData:
    """Batched datasets of ``{"image": float32 [B, H, W, C] in [0, 1], column: string [B], ...}``.

    Every column of ``schema`` (the identifier and each label) is a string tensor under its
    name, but a continuous label is float32 [B]; each categorical label also comes as
    ``<label>_id``, int32 [B] indices into ``schema.label(label).values``.
    """

    train: tf.data.Dataset  # batched, reshuffled every epoch, repeat NOT applied
    train_eval: tf.data.Dataset  # same training split, batched, fixed order (for evaluation)
    validation: tf.data.Dataset  # batched, fixed order
    n_train: int
    n_validation: int
    image_shape: tuple[int, int]  # (H, W)
    n_channels: int  # 1, 3 or 4
    batch_size: int
    # the identifier and label columns with their values over both splits (acvae.data.schema)
    schema: Schema
    # a digest of every item's identifier, labels and split ("" when not known)
    fingerprint: str = ""
    # what the dataset holds ({} when not known): acvae.data.content.record
    content: dict = dataclasses.field(default_factory=dict, hash=False, compare=False)

    @property
    def description(self) -> str:
        """The split sizes and the fingerprint (or the columns), as ``setup.json`` records
        them: ``"27 training and 3 validation items (content 1a2b...)"``."""
        text = f"{self.n_train} training and {self.n_validation} validation items"
        return text + (f" (content {self.fingerprint})" if self.fingerprint
                       else f" (columns {', '.join(self.schema.columns)})")


def fit_image(rgba: tf.Tensor, image_shape: Sequence[int], n_channels: int) -> tf.Tensor:
    """Converts an RGBA image to ``n_channels`` and fits it into ``image_shape`` with padding.

    4 channels keep RGBA (resized premultiplied, so transparent pixels do not bleed colour;
    fully transparent pixels come out as 0 in every channel); 3 channels composite onto white;
    1 channel is the luminance of that.

    Args:
      rgba: float32 [h, w, 4] in [0, 1], straight (not premultiplied) alpha.
      image_shape: (H, W) of the result.
      n_channels: 1, 3 or 4.

    Returns:
      float32 [H, W, n_channels] in [0, 1].
    """
    height, width = image_shape
    rgb, alpha = rgba[..., :3], rgba[..., 3:]
    if n_channels == 4:
        image, pad = tf.concat([rgb * alpha, alpha], axis=-1), 0.0
    else:
        image, pad = rgb * alpha + (1.0 - alpha), 1.0
        if n_channels == 1:
            image = tf.image.rgb_to_grayscale(image)
    size = tf.cast(tf.shape(image)[:2], tf.float32)
    scale = tf.minimum(height / size[0], width / size[1])
    new_size = tf.clip_by_value(
        tf.cast(tf.round(size * scale), tf.int32), 1, tf.constant([height, width], tf.int32)
    )
    image = tf.image.resize(image, new_size, method="bilinear", antialias=True)
    top = (height - new_size[0]) // 2
    left = (width - new_size[1]) // 2
    paddings = [[top, height - new_size[0] - top], [left, width - new_size[1] - left], [0, 0]]
    image = tf.clip_by_value(tf.pad(image, paddings, constant_values=pad), 0.0, 1.0)
    if n_channels == 4:
        premultiplied, alpha = image[..., :3], image[..., 3:]
        rgb = tf.math.divide_no_nan(premultiplied, alpha)
        image = tf.concat([tf.clip_by_value(rgb, 0.0, 1.0), alpha], axis=-1)
    return tf.ensure_shape(image, [height, width, n_channels])


def _records(files: list[str]) -> tf.data.Dataset:
    if len(files) == 1:
        return tf.data.TFRecordDataset(files[0])
    return tf.data.Dataset.from_tensor_slices(files).interleave(
        tf.data.TFRecordDataset,
        cycle_length=min(len(files), 8),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )


def _resolve(files: str | Sequence[str]) -> list[str]:
    patterns = [files] if isinstance(files, (str, bytes, os.PathLike)) else list(files)
    if not patterns:
        raise SettingError("input_pipeline needs at least one TFRecord file")
    resolved = []
    for pattern in patterns:
        found = tfrecord.resolve_files(pattern)
        if not found:
            raise MissingData(f"no TFRecord at {pattern}")
        resolved += found
    return resolved


def _check_arguments(image_shape, n_channels, batch_size, validation_fraction,
                     validation_batch_size) -> tuple[tuple[int, int], int]:
    """The checked ``(H, W)`` and the batch size of the forward-only passes; a SettingError
    for a bad argument."""
    if n_channels not in CHANNELS:
        raise SettingError(
            f"n_channels must be one of 1, 3, 4 (grey, RGB, RGBA), got {n_channels!r}")
    shape = tuple(image_shape) if isinstance(image_shape, Sequence) else ()
    if len(shape) != 2 or not all(isinstance(size, int) and size > 0 for size in shape):
        raise SettingError(f"image_shape must be two positive integers (H, W), got {image_shape!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise SettingError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not isinstance(validation_fraction, (int, float)) or not 0.0 < validation_fraction < 1.0:
        raise SettingError(f"validation_fraction must be in (0, 1), got {validation_fraction!r}")
    if validation_batch_size is not None and (
            not isinstance(validation_batch_size, int) or validation_batch_size < 1):
        raise SettingError(f"validation_batch_size must be a positive integer or None, got "
                           f"{validation_batch_size!r}")
    return shape, validation_batch_size or batch_size


def _scan(files: list[str], validation_fraction: float) -> scan.Scan:
    """``scan.read`` of ``files``; a DataError when a split would be empty."""
    scanned = scan.read(files, validation_fraction)
    n_train, n_validation = scanned.n_train, scanned.n_validation
    if n_train == 0 or n_validation == 0:
        empty = "training" if n_train == 0 else "validation"
        raise DataError(
            f"the {empty} split is empty ({n_train + n_validation} items in "
            f"{', '.join(files)}, "
            f"validation_fraction={validation_fraction}); use more items or another fraction"
        )
    return scanned


def decoded_megabytes(n_images: int, image_shape: Sequence[int], n_channels: int) -> float:
    """Memory of ``n_images`` decoded float32 images [H, W, C], in MB (2**20 bytes)."""
    height, width = image_shape
    return n_images * height * width * n_channels * 4 / 2**20


def _cache_choice(cache, n_images, image_shape, n_channels, budget_mb) -> bool | str:
    """``cache`` resolved: True (memory), False, or a file prefix (str)."""
    if cache is None:
        return decoded_megabytes(n_images, image_shape, n_channels) <= budget_mb
    if isinstance(cache, (bool, np.bool_)):
        return bool(cache)
    if isinstance(cache, (str, os.PathLike)) and str(cache):
        prefix = os.fspath(cache)
        os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
        for lockfile in glob.glob(f"{glob.escape(prefix)}.*.lockfile"):
            os.remove(lockfile)  # left by a killed run; tf.data then rewrites that cache
        return prefix
    raise SettingError(
        f"cache must be None (in memory when it fits), True, False or a file path, got {cache!r}"
    )


def cache_key(scanned: scan.Scan, image_shape: Sequence[int], n_channels: int) -> str:
    """What a file cache of decoded images holds, in 12 hex digits: the dataset's items,
    labels, images and split (``scanned``) and the shape they are decoded to."""
    parts = [scanned.fingerprint, *(str(scanned.content.get(key)) for key in content.DIGESTS),
             "x".join(map(str, image_shape)), str(n_channels)]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:12]


@gin.configurable(module="acvae")
def input_pipeline(files: str | Sequence[str], image_shape: Sequence[int] = (64, 64),
                   n_channels: int = 4, batch_size: int = 16, validation_fraction: float = 0.1,
                   validation_batch_size: int | None = None, shuffle_buffer: int = 1024,
                   cache: bool | str | None = None, seed: int = 0,
                   cache_budget_mb: float = 1024) -> InputData:
    """Builds the training and validation datasets from dataset TFRecords.

    Args:
      files: TFRecord paths, globs or sharded stems (see ``tfrecord.resolve_files``), written
        by ``python -m acvae.prepare`` (or a dataset plugin) with one schema.
      image_shape: (H, W) every image is fitted into, aspect ratio kept.
      n_channels: 4 = RGBA as stored, 3 = RGB composited onto white, 1 = grey.
      batch_size: examples per training batch; the last batch may be smaller.
      validation_batch_size: examples per batch of the forward-only passes (validation, and
        ``train_eval`` for codes and metrics); None (the default): ``batch_size``. Results do
        not depend on it. On a CPU small batches are the fast ones (their activations stay in
        the cache): the reference's and latent1d's nets run forward at 1,130 and 1,040
        images/s in batches of 16 against 650 and 410 in batches of 256 on a 2-core Xeon; a GPU
        wants larger ones.
      validation_fraction: expected share of items held out, by a stable hash of the identifier
        (0.1: on a few hundred images each one trained on counts more than a larger check).
      shuffle_buffer: training shuffle buffer size.
      cache: keep decoded images after the first pass: None (default) in memory when both
        splits fit in ``cache_budget_mb``, else not at all (every epoch streams from the
        files, in constant memory); True: in memory; False: never; a path: in files
        ``<path>.<key>.train*`` and ``<path>.<key>.validation*`` on disk, where ``<key>``
        (``cache_key``) names the data and the decoded shape, so a cache of other data is
        never read (delete old caches to free the space).
      seed: the training shuffle order (it still changes every epoch).
      cache_budget_mb: memory allowed for ``cache=None``; the decoded size is estimated as
        items x H x W x C x 4 bytes.

    Returns:
      ``InputData`` whose datasets yield ``{"image": float32 [B, H, W, C]}`` plus every column
      of ``schema`` as string [B] (float32 [B] for a continuous label) and ``<label>_id``,
      int32 [B] indices into the label's values, for every categorical label.

    Raises:
      MissingData: a file or pattern matches nothing.
      SettingError: bad arguments.
      DataError: a file that is not a dataset TFRecord, a damaged record, a record that does
        not parse or whose image is not a complete PNG (named with its file and number), or
        an empty split.
    """
    shape, eval_batch_size = _check_arguments(image_shape, n_channels, batch_size,
                                              validation_fraction, validation_batch_size)
    files = _resolve(files)
    scanned = _scan(files, validation_fraction)
    n_train, n_validation = scanned.n_train, scanned.n_validation
    cache = _cache_choice(cache, n_train + n_validation, shape, n_channels, cache_budget_mb)
    train_examples, validation_examples = _splits(files, scanned, validation_fraction, cache,
                                                  shape, n_channels)
    train = train_examples.shuffle(max(1, min(shuffle_buffer, n_train)), seed=seed,
                                   reshuffle_each_iteration=True)
    return InputData(
        train=_batched(train, batch_size), train_eval=_batched(train_examples, eval_batch_size),
        validation=_batched(validation_examples, eval_batch_size), n_train=n_train,
        n_validation=n_validation, image_shape=shape, n_channels=n_channels,
        batch_size=batch_size, schema=scanned.schema, fingerprint=scanned.fingerprint,
        content=scanned.content)


def _batched(dataset: tf.data.Dataset, size: int) -> tf.data.Dataset:
    """``dataset`` in batches of ``size``, prefetched."""
    return dataset.batch(size).prefetch(tf.data.AUTOTUNE)


def _decoder(schema: Schema, shape: tuple[int, int], n_channels: int):
    """The function that parses a serialized Example of ``schema`` into a batch element: the
    image fitted into ``shape`` with ``n_channels``, every column, and ``<label>_id`` for every
    categorical label."""
    tables = {
        label.name: tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(label.values, tf.string), tf.range(len(label.values), dtype=tf.int32)
            ),
            default_value=-1,
        )
        for label in schema.categorical
    }

    def decode(serialized):
        example = tfrecord.parse_schema_example(serialized, schema)
        png = tf.io.decode_png(example["image"], channels=4)
        rgba = tf.image.convert_image_dtype(png, tf.float32)
        example["image"] = fit_image(rgba, shape, n_channels)
        for label, table in tables.items():
            example[ids_key(label)] = table.lookup(example[label])
        return example

    return decode


def _splits(files: list[str], scanned, validation_fraction: float, cache,
            shape: tuple[int, int], n_channels: int) -> tuple[tf.data.Dataset, tf.data.Dataset]:
    """The decoded training items and the decoded validation items (``_split``), with one
    decoder."""
    decode = _decoder(scanned.schema, shape, n_channels)
    return tuple(_split(files, scanned, validation, validation_fraction, decode, cache, shape,
                        n_channels) for validation in (False, True))


def _split(files: list[str], scanned, validation: bool, validation_fraction: float, decode,
           cache, shape: tuple[int, int], n_channels: int) -> tf.data.Dataset:
    """The decoded items of one split (the validation items or the training items), cached
    as ``cache`` says (``_cache_choice``: True, False, or a path prefix)."""
    id_spec = {scanned.schema.id: tf.io.FixedLenFeature([], tf.string)}
    examples = _records(files).filter(
        lambda serialized: tf.equal(
            is_validation(
                tf.io.parse_single_example(serialized, id_spec)[scanned.schema.id],
                validation_fraction,
            ),
            validation,
        )
    )
    examples = examples.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if isinstance(cache, str):
        return examples.cache(f"{cache}.{cache_key(scanned, shape, n_channels)}."
                              f"{'validation' if validation else 'train'}")
    return examples.cache() if cache else examples
