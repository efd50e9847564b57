"""Every registered encoder maps [B, H, W, C] to [B, 2L] for 1/3/4 channels and any shape."""

import gin
import numpy as np
import pytest
import tensorflow as tf

from acvae import registry
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
