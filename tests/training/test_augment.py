"""Augmentations: whole-pixel shifts that keep every colour, and background where uncovered."""

import numpy as np
import pytest
import tensorflow as tf

from acvae.core import registry
from acvae.core.errors import ConfigError
from acvae.training import augment


def test_shifted_moves_each_image_by_its_own_offset():
    images = tf.random.uniform([2, 5, 6, 4])
    offsets = tf.constant([[2, 2], [0, 4]])  # (2, 2) is no move for p = 2
    out = augment.shifted(images, offsets, 2).numpy()
    np.testing.assert_array_equal(out[0], images[0].numpy())
    # image 1 moved 2 rows down and 2 columns left: the top rows and right columns are empty
    np.testing.assert_array_equal(out[1, 2:, :4], images[1, :3, 2:].numpy())
    assert (out[1, :2] == 0).all() and (out[1, :, 4:] == 0).all()
    grey = augment.shifted(tf.zeros([1, 3, 3, 1]), tf.constant([[0, 0]]), 1).numpy()
    assert grey[0, 0, 0, 0] == 1.0  # white background without alpha


def test_shift_keeps_colours_and_shape_and_is_registered():
    assert registry.get("augmentations", "shift") is augment.shift
    images = tf.random.uniform([8, 16, 16, 4])
    moved = augment.shift(max_pixels=3)(images).numpy()
    assert moved.shape == (8, 16, 16, 4)
    original = {tuple(pixel) for pixel in images.numpy().reshape(-1, 4)}
    kept = {tuple(pixel) for pixel in moved.reshape(-1, 4)}
    assert kept - original <= {(0.0, 0.0, 0.0, 0.0)}  # no new colour, only the background
    np.testing.assert_array_equal(augment.shift(max_pixels=0)(images), images)
    with pytest.raises(ConfigError, match="max_pixels"):
        augment.shift(max_pixels=-1)


def test_flip_alone_mirrors_some_images_and_changes_nothing_else():
    tf.random.set_seed(0)
    images = tf.random.uniform([64, 8, 8, 4])
    flipped = augment.shift(max_pixels=0, flip=True)(images).numpy()
    same = [np.array_equal(a, b) for a, b in zip(flipped, images.numpy())]
    mirrored = [np.array_equal(a, b[:, ::-1]) for a, b in zip(flipped, images.numpy())]
    assert all(s or m for s, m in zip(same, mirrored))  # each image kept or mirrored, whole
    assert 10 < sum(mirrored) < 54  # about half of them mirrored
