"""A small non-villager dataset for tests: coloured shapes with their own schema.

Identifier ``emoji``; labels ``category`` (3 shapes, categorical), ``subcategory`` (45 values,
categorical, more than a figure has colours for) and ``serial`` (one value per item: an
identifier-like label, never coloured or probed). Built in memory as ``acvae.data.InputData``
(the TFRecord writer takes villager columns only, until the data layer's generic schema lands)
and registered as ``@datasets.test_shapes`` for gin.
"""

import numpy as np
import tensorflow as tf

from acvae.core import registry
from acvae.data.pipeline import InputData
from acvae.data.schema import Schema

SHAPES = ("disc", "square", "stripe")


def _image(shape: str, colour: np.ndarray, size: int, channels: int) -> np.ndarray:
    ys, xs = np.mgrid[0:size, 0:size] / (size - 1) * 2 - 1
    mask = {"disc": ys**2 + xs**2 < 0.5, "square": np.maximum(abs(ys), abs(xs)) < 0.6,
            "stripe": abs(ys) < 0.25}[shape].astype(np.float32)
    rgb = mask[..., None] * colour + (1 - mask[..., None])
    image = np.concatenate([rgb * mask[..., None], mask[..., None]], -1) if channels == 4 else rgb
    return image[..., :channels] if channels != 1 else rgb.mean(-1, keepdims=True)


def shapes_data(n: int = 64, image_size: int = 16, channels: int = 4,
                batch_size: int = 8) -> InputData:
    """``n`` shapes; the first three quarters train, the rest validate."""
    rng = np.random.default_rng(0)
    rows = {"emoji": [f"shape {i:03d} é $x$" for i in range(n)],
            "category": [SHAPES[i % 3] for i in range(n)],
            "subcategory": [f"sub{i % 45:02d}" for i in range(n)],
            "serial": [f"#{i}" for i in range(n)]}
    schema = Schema.infer("emoji", rows)
    images = np.stack([_image(rows["category"][i], rng.uniform(0.1, 0.9, 3), image_size,
                              channels) for i in range(n)]).astype(np.float32)
    columns = {"image": images, **{k: np.asarray(v) for k, v in rows.items()}}
    for label in schema.categorical:
        columns[f"{label.name}_id"] = np.asarray(
            [label.values.index(v) for v in rows[label.name]], np.int32)
    n_train = n * 3 // 4

    def dataset(part: slice) -> tf.data.Dataset:
        return tf.data.Dataset.from_tensor_slices({k: v[part] for k, v in columns.items()})

    train = dataset(slice(0, n_train))
    return InputData(
        train=train.shuffle(n_train, seed=0).batch(batch_size),
        train_eval=train.batch(batch_size), validation=dataset(slice(n_train, n)).batch(batch_size),
        n_train=n_train, n_validation=n - n_train, image_shape=(image_size, image_size),
        n_channels=channels, batch_size=batch_size, schema=schema)


def register() -> None:
    """Registers ``@datasets.test_shapes`` (once per process)."""
    if "test_shapes" not in registry.names("datasets"):
        registry.register("datasets", "test_shapes")(shapes_data)
