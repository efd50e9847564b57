"""The ``tf.data`` input pipeline: villager TFRecords -> split, batched image and label tensors.

Reads one or more TFRecord files (shards are interleaved), decodes each RGBA PNG to 1, 3 or 4
channels, resizes it into ``image_shape`` keeping its aspect ratio and padding the rest
(transparent for 4 channels, white for 1 and 3), scales to [0, 1], caches (in memory when the
decoded split fits a budget, else streams in constant memory, or on disk), shuffles the training
split, batches and prefetches. Labels travel with the images. The train/validation split is a
stable hash of the villager name (FarmHash fingerprint), so it is the same in every epoch, every
run and every file order, and a validation villager never reaches training.
"""

from __future__ import annotations

import dataclasses
import glob
import os
from collections.abc import Sequence

import gin
import numpy as np
import tensorflow as tf

from acvae.data import tfrecord
from acvae.data.schema import Schema

LABELS = tfrecord.LABELS
CHANNELS = (1, 3, 4)
_HASH_BUCKETS = 1_000_000


@dataclasses.dataclass(frozen=True)
class InputData:
    """Batched datasets of ``{"image": float32 [B, H, W, C] in [0, 1], label: string [B]}``."""

    train: tf.data.Dataset  # batched, reshuffled every epoch, repeat NOT applied
    train_eval: tf.data.Dataset  # same training split, batched, fixed order (for evaluation)
    validation: tf.data.Dataset  # batched, fixed order
    n_train: int
    n_validation: int
    image_shape: tuple[int, int]  # (H, W)
    n_channels: int  # 1, 3 or 4
    batch_size: int
    # sorted distinct values of "species", "personality" and "gender" over both splits
    label_values: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    # the identifier and label columns, worked out from the data (see acvae.data.schema)
    schema: Schema | None = None


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


def is_validation(name: tf.Tensor, validation_fraction: float) -> tf.Tensor:
    """Whether a villager belongs to the validation split: a stable hash of its name.

    Args:
      name: string tensor of any shape.
      validation_fraction: the expected share of validation villagers, in (0, 1).

    Returns:
      bool tensor of ``name``'s shape.
    """
    bucket = tf.strings.to_hash_bucket_fast(name, _HASH_BUCKETS)
    return bucket < int(round(validation_fraction * _HASH_BUCKETS))


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
    patterns = [files] if isinstance(files, (str, bytes)) else list(files)
    if not patterns:
        raise ValueError("input_pipeline needs at least one TFRecord file")
    resolved = []
    for pattern in patterns:
        found = tfrecord.resolve_files(pattern)
        if not found:
            raise FileNotFoundError(f"no TFRecord at {pattern}")
        resolved += found
    return resolved


def _scan(files: list[str], validation_fraction: float):
    """(n_train, n_validation, label_values, schema) from the labels alone (no image decoded)."""
    spec = {label: tf.io.FixedLenFeature([], tf.string) for label in LABELS}
    labels = _records(files).map(lambda serialized: tf.io.parse_single_example(serialized, spec))
    labels = labels.map(
        lambda example: {**example, "validation": is_validation(example["name"], validation_fraction)}
    ).batch(4096)
    try:
        batches = list(labels.as_numpy_iterator())
    except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as error:
        reason = str(error.message).splitlines()[0]
        raise ValueError(f"{', '.join(files)} is not a villager TFRecord: {reason}") from None
    flags = np.concatenate([b["validation"] for b in batches]) if batches else np.zeros([0], bool)
    label_values = {
        label: tuple(sorted({v.decode("utf-8") for b in batches for v in b[label]}))
        for label in LABELS
        if label != "name"
    }
    columns = {
        label: [v.decode("utf-8") for b in batches for v in b[label]] for label in LABELS
    }
    schema = Schema.infer("name", columns)
    return int((~flags).sum()), int(flags.sum()), label_values, schema


def _check_arguments(image_shape, n_channels, batch_size, validation_fraction) -> tuple[int, int]:
    if n_channels not in CHANNELS:
        raise ValueError(f"n_channels must be one of 1, 3, 4 (grey, RGB, RGBA), got {n_channels!r}")
    shape = tuple(image_shape)
    if len(shape) != 2 or not all(isinstance(size, int) and size > 0 for size in shape):
        raise ValueError(f"image_shape must be two positive integers (H, W), got {image_shape!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not 0.0 < validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must be in (0, 1), got {validation_fraction!r}")
    return shape


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
    raise ValueError(
        f"cache must be None (in memory when it fits), True, False or a file path, got {cache!r}"
    )


@gin.configurable(module="acvae")
def input_pipeline(
    files: str | Sequence[str],
    image_shape: Sequence[int] = (64, 64),
    n_channels: int = 4,
    batch_size: int = 16,
    validation_fraction: float = 0.25,
    shuffle_buffer: int = 1024,
    cache: bool | str | None = None,
    seed: int = 0,
    cache_budget_mb: float = 1024,
) -> InputData:
    """Builds the training and validation datasets from villager TFRecords.

    Args:
      files: TFRecord paths, globs or sharded stems (see ``tfrecord.resolve_files``).
      image_shape: (H, W) every image is fitted into, aspect ratio kept.
      n_channels: 4 = RGBA as stored, 3 = RGB composited onto white, 1 = grey.
      batch_size: examples per batch; the last batch may be smaller.
      validation_fraction: expected share of villagers held out, by a stable hash of the name.
      shuffle_buffer: training shuffle buffer size.
      cache: keep decoded images after the first pass: None (default) in memory when both
        splits fit in ``cache_budget_mb``, else not at all (every epoch streams from the
        files, in constant memory); True: in memory; False: never; a path: in files
        ``<path>.train*`` and ``<path>.validation*`` on disk (delete them when the data changes).
      seed: the training shuffle order (it still changes every epoch).
      cache_budget_mb: memory allowed for ``cache=None``; the decoded size is estimated as
        villagers x H x W x C x 4 bytes.

    Returns:
      ``InputData`` whose datasets yield ``{"image": float32 [B, H, W, C], "name": string [B],
      "species": [B], "personality": [B], "gender": [B]}`` plus ``"species_id"``,
      ``"personality_id"`` and ``"gender_id"``: int32 [B] indices into ``label_values``.

    Raises:
      FileNotFoundError: a file or pattern matches nothing.
      ValueError: bad arguments, a file that is not a TFRecord, or an empty split.
    """
    shape = _check_arguments(image_shape, n_channels, batch_size, validation_fraction)
    files = _resolve(files)
    n_train, n_validation, label_values, schema = _scan(files, validation_fraction)
    if n_train == 0 or n_validation == 0:
        empty = "training" if n_train == 0 else "validation"
        raise ValueError(
            f"the {empty} split is empty ({n_train + n_validation} villagers in "
            f"{', '.join(files)}, "
            f"validation_fraction={validation_fraction}); use more villagers or another fraction"
        )

    cache = _cache_choice(cache, n_train + n_validation, shape, n_channels, cache_budget_mb)
    tables = {
        label: tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(values, tf.string), tf.range(len(values), dtype=tf.int32)
            ),
            default_value=-1,
        )
        for label, values in label_values.items()
    }

    def decode(serialized):
        example = tfrecord.parse_example(serialized)
        png = tf.io.decode_png(example["image"], channels=4)
        rgba = tf.image.convert_image_dtype(png, tf.float32)
        example["image"] = fit_image(rgba, shape, n_channels)
        for label, table in tables.items():
            example[f"{label}_id"] = table.lookup(example[label])
        return example

    def split(validation: bool) -> tf.data.Dataset:
        examples = _records(files).filter(
            lambda serialized: tf.equal(
                is_validation(tfrecord.parse_example(serialized)["name"], validation_fraction),
                validation,
            )
        )
        examples = examples.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        if isinstance(cache, str):
            return examples.cache(f"{cache}.{'validation' if validation else 'train'}")
        return examples.cache() if cache else examples

    train_examples, validation_examples = split(False), split(True)
    train = train_examples.shuffle(
        max(1, min(shuffle_buffer, n_train)), seed=seed, reshuffle_each_iteration=True
    )
    batched = lambda dataset: dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)  # noqa: E731
    return InputData(
        train=batched(train),
        train_eval=batched(train_examples),
        validation=batched(validation_examples),
        n_train=n_train,
        n_validation=n_validation,
        image_shape=shape,
        n_channels=n_channels,
        batch_size=batch_size,
        label_values=label_values,
        schema=schema,
    )
