"""Every registered decoder maps [B, L] to unconstrained [B, H, W, C_out]."""

import gin
import numpy as np
import pytest
import tensorflow as tf

from acvae import registry
from acvae.models import decoders


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
