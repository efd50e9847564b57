"""plugins.residual: residual conv encoder and decoder keep the conv pair's shapes."""

import gin
import numpy as np
import pytest
import tensorflow as tf

from acvae.core import registry
from acvae.models import build_vae
from plugins import residual


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize("shape", [(16, 16), (16, 24)])
def test_shapes(channels, shape):
    encoder = residual.residual_encoder((*shape, channels), 3, filters=(4, 8))
    decoder = residual.residual_decoder(3, (*shape, channels * 2), filters=(4, 8))
    out = encoder(tf.random.uniform([2, *shape, channels]))
    assert tuple(out.shape) == (2, 6)
    params = decoder(out[:, :3])
    assert tuple(params.shape) == (2, *shape, channels * 2)
    assert np.isfinite(params.numpy()).all()


@pytest.mark.parametrize("normalization", [None, "batch", "layer"])
def test_blocks_per_stage_and_normalization(normalization):
    encoder = residual.residual_encoder((8, 8, 4), 2, filters=(4, 8), blocks_per_stage=2,
                                        normalization=normalization)
    adds = [layer for layer in encoder.layers if layer.name.endswith("_add")]
    assert len(adds) == 4
    assert tuple(encoder(tf.zeros([2, 8, 8, 4]), training=True).shape) == (2, 4)


def test_registered_and_selected_through_gin():
    assert registry.get("encoders", "residual") is residual.residual_encoder
    gin.parse_config("""
        encoders.residual.filters = (4, 8)
        decoders.residual.filters = (4, 8)
    """)
    model = build_vae((16, 16), 3, latent_dim=2, encoder=residual.residual_encoder,
                      decoder=residual.residual_decoder)
    assert model.encoder.name == "residual_encoder"
    assert tuple(model.sample(3, seed=0).shape) == (3, 16, 16, 3)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"filters": (4, 8, 8)}, "encoders.residual: image shape (12, 12) is not divisible by 8"),
     ({"blocks_per_stage": 0}, "encoders.residual: blocks_per_stage must be a positive integer"),
     ({"normalization": "group"}, "encoders.residual: unknown normalization 'group'")],
)
def test_bad_arguments_name_the_component(kwargs, message):
    with pytest.raises(ValueError) as info:
        residual.residual_encoder((12, 12, 4), 2, **{"filters": (4, 4), **kwargs})
    assert str(info.value).startswith(message)
