"""Every registered decoder maps [B, L] to unconstrained [B, H, W, C_out]."""

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf

from acvae.core import registry
from acvae.models import blocks, decoders


@pytest.mark.parametrize("name", registry.names("decoders"))
@pytest.mark.parametrize("channels", [1, 3, 4, 8])
@pytest.mark.parametrize("shape", [(16, 16), (16, 24)])
def test_output_shape(tiny, name, channels, shape):
    decoder = gin.get_configurable(registry.get("decoders", name))(
        latent_dim=2, output_shape=(*shape, channels)
    )
    out = decoder(tf.random.normal([3, 2]))
    assert tuple(out.shape) == (3, *shape, channels)


@pytest.mark.parametrize("name", registry.names("decoders"))
def test_no_output_activation(tiny, name):
    """Parameters are logits / pre-sigmoid means: values outside [0, 1] must be reachable."""
    decoder = gin.get_configurable(registry.get("decoders", name))(
        latent_dim=2, output_shape=(16, 16, 3)
    )
    out = decoder(100.0 * tf.random.normal([8, 2])).numpy()
    assert out.min() < 0.0 or out.max() > 1.0


@pytest.mark.parametrize("normalization", [None, "batch", "layer"])
def test_conv_normalization(normalization):
    decoder = decoders.conv(2, (16, 24, 4), filters=(4, 8), normalization=normalization)
    out = decoder(tf.zeros([2, 2]), training=True)
    assert tuple(out.shape) == (2, 16, 24, 4)
    assert np.isfinite(out.numpy()).all()


def test_conv_mirrors_encoder():
    decoder = decoders.conv(1, (64, 64, 4))
    transposed = [layer.filters for layer in decoder.layers if layer.name.startswith("deconv")
                  and hasattr(layer, "filters")]
    assert transposed == [128, 64, 32]
    assert decoder.get_layer("reshape").output.shape[1:] == (8, 8, 128)


def test_conv_rejects_shape_not_divisible():
    with pytest.raises(ValueError, match=r"decoders.conv: image shape \(16, 18\).*by 4"):
        decoders.conv(2, (16, 18, 4), filters=(4, 8))


def test_unknown_normalization_lists_valid_names():
    with pytest.raises(ValueError, match="valid values: None, 'batch', 'layer'"):
        decoders.conv(2, (16, 16, 4), normalization="weight")


def test_conv_decoder_latent_mlp_adds_dense_layers_before_the_projection():
    from acvae.models import decoders

    plain = decoders.conv(2, (16, 16, 4), filters=(4, 8))
    bent = decoders.conv(2, (16, 16, 4), filters=(4, 8), latent_mlp=(32, 16))
    assert [layer.name for layer in bent.layers[1:3]] == ["latent_mlp0", "latent_mlp1"]
    assert bent.output_shape == plain.output_shape == (None, 16, 16, 4)
    assert bent.get_layer("project").input.shape[-1] == 16


def test_conv_map_channels_decodes_each_cell_near_its_place():
    decoder = decoders.conv(40, (32, 32, 3), filters=(4, 8, 8), map_channels=2)
    assert "latent_map" in [layer.name for layer in decoder.layers]
    z = tf.random.normal([1, 40], seed=2)
    moved = tf.tensor_scatter_nd_add(z, [[0, 8], [0, 9]], [3.0, -3.0])  # map cell (0, 0)
    before, after = decoder(z).numpy()[0], decoder(moved).numpy()[0]
    assert not np.allclose(before[:8, :8], after[:8, :8])
    np.testing.assert_array_equal(before[24:, 24:], after[24:, 24:])  # the far corner
    global_moved = decoder(tf.tensor_scatter_nd_add(z, [[0, 0]], [3.0])).numpy()[0]
    assert not np.allclose(before[24:, 24:], global_moved[24:, 24:])


def test_conv_map_channels_only_a_map():
    decoder = decoders.conv(32, (16, 16, 4), filters=(4, 8), map_channels=2)
    assert "project" not in [layer.name for layer in decoder.layers]
    assert tuple(decoder(tf.zeros([2, 32])).shape) == (2, 16, 16, 4)


def test_conv_map_channels_refused_in_one_line():
    with pytest.raises(ValueError, match=r"decoders.conv: latent_dim 20 is smaller than its "
                                         r"4x4x4 latent map \(64 dimensions\)"):
        decoders.conv(20, (16, 16, 4), filters=(4, 8), map_channels=4)


def test_conv_modulate_lets_the_code_reach_every_layer():
    """With modulation, z scales and shifts every transposed convolution and tints the output:
    with the projection to the first feature map silenced, z still changes the picture."""
    decoder = decoders.conv(2, (16, 16, 4), filters=(4, 8), latent_mlp=(8,), modulate=True)
    names = [layer.name for layer in decoder.layers]
    for name in ("deconv0_gamma", "deconv0_beta", "deconv1_gamma", "deconv1_beta", "tint"):
        assert name in names
    project = decoder.get_layer("project")
    project.set_weights([np.zeros_like(w) for w in project.get_weights()])
    z = tf.constant([[0.0, 0.0], [3.0, -2.0]])
    start = decoder(z).numpy()
    assert np.allclose(start[0], start[1]), "FiLM starts at zero: z has no way in yet"
    for name in ("deconv0_beta", "tint"):
        layer = decoder.get_layer(name)
        kernel, bias = layer.get_weights()
        layer.set_weights([np.ones_like(kernel), bias])
    out = decoder(z).numpy()
    assert not np.allclose(out[0], out[1])


def test_conv_modulate_needs_global_dimensions():
    with pytest.raises(ValueError, match=r"decoders.conv: modulate needs global dimensions"):
        decoders.conv(32, (16, 16, 4), filters=(4, 8), map_channels=2, modulate=True)


@pytest.mark.parametrize("upsample", blocks.UPSAMPLINGS)
@pytest.mark.parametrize("map_channels", [0, 2])
@pytest.mark.parametrize("shape", [(16, 16), (16, 24), (32, 32)])
def test_conv_upsample_output_shape(upsample, map_channels, shape):
    grid = (shape[0] // 4) * (shape[1] // 4) * map_channels
    decoder = decoders.conv(3 + grid, (*shape, 4), filters=(4, 8), map_channels=map_channels,
                            upsample=upsample)
    out = decoder(tf.random.normal([2, 3 + grid], seed=1)).numpy()
    assert out.shape == (2, *shape, 4)
    assert np.isfinite(out).all()


def _constant_decoder(upsample: str):
    """A conv decoder of a 32x32 image whose every kernel weight is 0.05 and bias 0."""
    decoder = decoders.conv(4, (32, 32, 3), filters=(4, 8), upsample=upsample)
    for layer in decoder.layers:
        weights = layer.get_weights()
        if weights:
            layer.set_weights([np.full_like(w, 0.05 if w.ndim > 1 else 0.0) for w in weights])
    return decoder


def test_conv_resize_upsampling_keeps_a_constant_code_flat():
    """With every weight equal, a constant code gives a constant feature map, and a
    resize-convolution keeps it constant away from the zero-padded border; a stride-2
    transposed convolution with a 3x3 kernel gives some output pixels twice the taps of their
    neighbours: a checkerboard (Odena et al. 2016)."""
    z = tf.ones([1, 4])
    inside = (slice(None), slice(8, -8), slice(8, -8))
    for upsample in ("nearest", "bilinear"):
        out = _constant_decoder(upsample)(z).numpy()[inside]
        assert out.max() > 0
        np.testing.assert_allclose(out, out.flat[0], rtol=1e-5)
    checkered = _constant_decoder("transpose")(z).numpy()[inside]
    assert checkered.max() > 1.5 * checkered.min() > 0
    # periodic in the strides of the two layers (2 x 2 = 4 pixels), not noise
    np.testing.assert_allclose(checkered[:, 4:], checkered[:, :-4], rtol=1e-5)
    np.testing.assert_allclose(checkered[:, :, 4:], checkered[:, :, :-4], rtol=1e-5)


def test_conv_upsample_layers():
    """'transpose' (the default, so runs saved before the option load) keeps the transposed
    convolutions; a resize mode names its convolutions the same, after a resize layer."""
    default = decoders.conv(2, (16, 16, 4), filters=(4, 8))
    assert isinstance(default.get_layer("deconv0"), keras.layers.Conv2DTranspose)
    assert not [layer for layer in default.layers if layer.name.endswith("_resize")]
    resized = decoders.conv(2, (16, 16, 4), filters=(4, 8), upsample="nearest")
    assert type(resized.get_layer("deconv0")) is keras.layers.Conv2D
    assert resized.get_layer("deconv0_resize").interpolation == "nearest"
    assert resized.get_layer("deconv1").filters == 4


def test_conv_unknown_upsample_lists_valid_names():
    with pytest.raises(ValueError, match="decoders.conv: unknown upsample 'cubic'; valid values: "
                                         "'transpose', 'nearest', 'bilinear'"):
        decoders.conv(2, (16, 16, 4), upsample="cubic")
