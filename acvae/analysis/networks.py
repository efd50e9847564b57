"""Small seeded convolutional classifiers that the sample-quality metrics train on the data.

No pretrained network is downloaded: a classifier two-sample test trains ``classifier`` to
tell two image sets apart, and the learned feature space is the penultimate layer of a
``classifier`` trained on the dataset's own images. Images enter premultiplied
(``network_input``: a transparent pixel is 0 whatever colour it was given) and resized to
``side`` x ``side``, so the undefined colour under alpha = 0 never separates two sets. Every
layer computes in float32 whatever the global mixed-precision policy, every initialiser is
seeded and ``fit`` draws its batches from a seeded numpy generator, so the same seed gives the
same weights on the same machine.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

FILTERS = (32, 64, 128)
BATCH_SIZE = 32
FEATURES_LAYER = "features"


def network_input(images: np.ndarray, side: int) -> np.ndarray:
    """Images as the networks and the pixel classifier see them.

    Args:
      images: float [N, H, W, C] in [0, 1]; C = 4 is straight (not premultiplied) RGBA.
      side: output height and width (area-averaged when smaller than the image, bilinear
        when larger; a non-square image is squashed).

    Returns:
      float32 [N, side, side, C]; RGBA as premultiplied colour and alpha.
    """
    images = np.asarray(images, np.float32)
    if images.shape[-1] == 4:
        images = np.concatenate([images[..., :3] * images[..., 3:], images[..., 3:]], axis=-1)
    if images.shape[1:3] == (side, side):
        return images
    method = "area" if min(images.shape[1:3]) >= side else "bilinear"
    return tf.image.resize(images, (side, side), method=method).numpy()


def _seeded(seed: int, index: int) -> dict:
    """Keyword arguments that make layer ``index`` float32 with seeded initial weights."""
    return {"kernel_initializer": keras.initializers.GlorotUniform(seed=seed * 1000 + index),
            "dtype": "float32"}


def classifier(input_shape, n_classes: int, filters=FILTERS, seed: int = 0) -> keras.Model:
    """A small convolutional classifier: [B, H, W, C] -> [B, n_classes] logits.

    Stride-2 3x3 convolutions with ReLU (``filters``), global average pooling (the layer named
    ``FEATURES_LAYER``: [B, filters[-1]], the penultimate layer, as Inception's pool3 is for
    FID and KID) and a linear output.
    """
    inputs = keras.Input(tuple(input_shape))
    x = inputs
    for i, width in enumerate(filters):
        x = keras.layers.Conv2D(width, 3, strides=2, padding="same", activation="relu",
                                **_seeded(seed, i))(x)
    features = keras.layers.GlobalAveragePooling2D(dtype="float32", name=FEATURES_LAYER)(x)
    logits = keras.layers.Dense(n_classes, **_seeded(seed, len(filters)))(features)
    return keras.Model(inputs, logits)


def fit(model: keras.Model, x: np.ndarray, y: np.ndarray, epochs: int, seed: int = 0,
        batch_size: int = BATCH_SIZE, learning_rate: float = 1e-3) -> list[float]:
    """Trains a ``classifier`` with Adam on softmax cross-entropy, in seeded shuffled batches.

    Args:
      model: a ``classifier``.
      x: [N, H, W, C] inputs; y: [N] integer classes.
      epochs: passes over the data.
      seed: the batch order.
      batch_size, learning_rate: Adam's mini-batches and step size.

    Returns:
      The mean training loss of each epoch.
    """
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(seed)
    history = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        batches = [order[i : i + batch_size] for i in range(0, len(x), batch_size)]
        history.append(float(np.mean([model.train_on_batch(x[b], y[b]) for b in batches])))
    return history


def outputs(model: keras.Model, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """[N, D] float64 outputs of ``model`` for inputs ``x``."""
    return np.asarray(model.predict(x, batch_size=batch_size, verbose=0), np.float64)
