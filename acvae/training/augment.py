"""Training-time augmentations that keep an item's identity (gin kind ``augmentations``).

A few hundred images are too few for a convolutional VAE not to memorise them; showing each
one slightly moved every epoch is a cheap way to more data that changes no villager into
another. Colours are never changed (they are what the model must learn to keep), and nothing
is mirrored by default (a mirrored flag or letter is another item; a mirrored villager is the
same villager, so ``configs/villagers.gin`` mirrors and does not shift).

An augmentation is a registered factory returning ``fn(images) -> images`` on float32
[B, H, W, C] batches in [0, 1]; ``train.augment = @augmentations.shift()`` applies it inside
the compiled train step (so it runs on the accelerator, in the same graph, XLA-compatible),
never during validation, evaluation or figures.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

from acvae.core import registry
from acvae.core.errors import ConfigError


def shifted(images: tf.Tensor, offsets: tf.Tensor, max_pixels: int) -> tf.Tensor:
    """Each image moved by its own whole-pixel offset; uncovered pixels are the background.

    Args:
      images: float32 [B, H, W, C]; C = 4 is RGBA (background transparent: 0 in every
        channel), C = 1 or 3 composited on white (background 1).
      offsets: int32 [B, 2] in [0, 2 * max_pixels]: the (row, column) of each crop of the
        image padded by ``max_pixels`` on every side (``max_pixels`` is no move).
      max_pixels: p.

    Returns:
      float32 [B, H, W, C].
    """
    height, width = images.shape[1], images.shape[2]
    background = 0.0 if images.shape[-1] == 4 else 1.0
    p = max_pixels
    padded = tf.pad(images, [[0, 0], [p, p], [p, p], [0, 0]], constant_values=background)
    rows = offsets[:, :1] + tf.range(height)[None]  # [B, H]
    cols = offsets[:, 1:] + tf.range(width)[None]  # [B, W]
    padded = tf.gather(padded, rows, axis=1, batch_dims=1)  # [B, H, W + 2p, C]
    return tf.gather(padded, cols, axis=2, batch_dims=1)


@registry.register("augmentations", "shift")
def shift(max_pixels: int = 3, flip: bool = False) -> Callable[[tf.Tensor], tf.Tensor]:
    """Moves every training image by up to ``max_pixels`` in each direction (uniformly).

    Args:
      max_pixels: the largest move, in pixels of the model input (3 of 64 is under 5%).
      flip: also mirror half of the images left to right (only for data where a mirrored
        item is the same item).

    Returns:
      ``fn(images [B, H, W, C]) -> [B, H, W, C]``.
    """
    if not isinstance(max_pixels, int) or max_pixels < 0:
        raise ConfigError(f"augmentations.shift: max_pixels must be an integer >= 0, got "
                          f"{max_pixels!r}")

    def augment(images: tf.Tensor) -> tf.Tensor:
        batch = tf.shape(images)[0]
        if max_pixels:
            offsets = tf.random.uniform([batch, 2], 0, 2 * max_pixels + 1, dtype=tf.int32)
            images = shifted(images, offsets, max_pixels)
        if flip:
            mirror = tf.random.uniform([batch, 1, 1, 1]) < 0.5
            images = tf.where(mirror, images[:, :, ::-1], images)
        return images

    return augment
