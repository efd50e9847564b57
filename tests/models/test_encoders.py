"""Every registered encoder maps [B, H, W, C] to [B, 2L] for 1/3/4 channels and any shape."""

import gin
import numpy as np
import pytest
import tensorflow as tf

from acvae.core import registry
from acvae.models import encoders

SHAPES = [(16, 16), (16, 24)]


@pytest.mark.parametrize("name", registry.names("encoders"))
@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("shape", SHAPES)
def test_output_shape(tiny, name, channels, shape):
    encoder = gin.get_configurable(registry.get("encoders", name))(
        input_shape=(*shape, channels), latent_dim=2
    )
    out = encoder(tf.random.uniform([3, *shape, channels]))
    assert tuple(out.shape) == (3, 4)
    assert np.isfinite(out.numpy()).all()


@pytest.mark.parametrize("normalization", [None, "batch", "layer"])
def test_conv_normalization(normalization):
    encoder = encoders.conv((16, 16, 4), 2, filters=(4, 8), normalization=normalization)
    assert tuple(encoder(tf.zeros([2, 16, 16, 4]), training=True).shape) == (2, 4)


def test_conv_default_is_reference_architecture():
    encoder = encoders.conv((64, 64, 4), 1)
    convs = [layer for layer in encoder.layers if layer.name.startswith("conv") and
             hasattr(layer, "filters")]
    assert [c.filters for c in convs] == [32, 64, 128]
    assert all(c.strides == (2, 2) and c.kernel_size == (3, 3) for c in convs)
    assert tuple(encoder.output_shape) == (None, 2)


def test_conv_rejects_shape_not_divisible():
    with pytest.raises(ValueError, match=r"encoders.conv: image shape \(20, 20\).*divisible by 8"):
        encoders.conv((20, 20, 3), 2)


def test_unknown_normalization_lists_valid_names():
    with pytest.raises(ValueError, match="'batch', 'layer'") as info:
        encoders.dense((8, 8, 1), 2, normalization="group")
    assert "\n" not in str(info.value)


def test_conv_map_channels_gives_a_local_code_beside_the_global_one():
    """32x32 image, three strides: a 4x4 grid of 2 channels (32 dims) and 8 global ones."""
    encoder = encoders.conv((32, 32, 3), 40, filters=(4, 8, 8), map_channels=2)
    assert tuple(encoder.output_shape) == (None, 80)  # 8 global + 4x4x2 map, mean and logvar
    images = tf.random.uniform([1, 32, 32, 3], seed=1)
    changed = tf.tensor_scatter_nd_update(images, [[0, 0, 0]], [[1.0, 0.0, 1.0]])
    before, after = encoder(images).numpy()[0], encoder(changed).numpy()[0]
    mean_map = lambda out: out[8:40].reshape(4, 4, 2)  # noqa: E731
    assert not np.allclose(before[:8], after[:8])  # the global code sees the whole image
    assert not np.allclose(mean_map(before)[0, 0], mean_map(after)[0, 0])
    np.testing.assert_array_equal(mean_map(before)[3, 3], mean_map(after)[3, 3])  # far corner


def test_conv_map_channels_only_a_map():
    encoder = encoders.conv((16, 16, 4), 32, filters=(4, 8), map_channels=2)
    assert "posterior_global" not in [layer.name for layer in encoder.layers]
    assert tuple(encoder(tf.zeros([2, 16, 16, 4])).shape) == (2, 64)


@pytest.mark.parametrize("map_channels, message", [
    (4, r"encoders.conv: latent_dim 20 is smaller than its 4x4x4 latent map \(64 dimensions\)"),
    (-1, "map_channels must be an integer >= 0, got -1"),
    (1.5, "map_channels must be an integer >= 0, got 1.5"),
])
def test_conv_map_channels_refused_in_one_line(map_channels, message):
    with pytest.raises(ValueError, match=message) as info:
        encoders.conv((16, 16, 4), 20, filters=(4, 8), map_channels=map_channels)
    assert "\n" not in str(info.value)
