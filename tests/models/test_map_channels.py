"""``build_vae.map_channels``: a latent map beside the ``latent_dim`` global numbers, its grid
the encoder's last feature map; codes that cannot be are one ``ConfigError`` line."""

import functools

import pytest

from acvae.core.errors import ConfigError
from acvae.models import build_vae, decoders, encoders
from acvae.models.learned_samplers import CodeLayout


def test_the_map_follows_the_image_shape_and_the_encoders_depth(tiny):
    """``tiny`` binds two stride-2 layers: a 16x16 image has a 4x4 map, a 32x16 one 8x4."""
    assert build_vae((16, 16), 4, latent_dim=3, map_channels=2).latent_dim == 3 + 4 * 4 * 2
    vae = build_vae((32, 16), 4, latent_dim=0, map_channels=1)
    assert CodeLayout.of(vae, vae.latent_dim) == CodeLayout(0, (8, 4, 1))
    assert build_vae((16, 16), 4, latent_dim=3).latent_dim == 3


@pytest.mark.parametrize("kwargs, message", [
    ({"latent_dim": 0}, r"^build_vae: latent_dim must be an integer >= 1, got 0 \(0 needs a "
                        r"latent map: map_channels\)\n"),
    ({"map_channels": -1}, r"^build_vae: map_channels must be an integer >= 0, got -1\n"),
    ({"map_channels": 2, "encoder": encoders.dense},
     r"^build_vae: map_channels needs an encoder and a decoder with a latent map .* "
     r"encoders\.dense has none: set MAP_CHANNELS = 0 or use @encoders\.conv\n"),
    ({"map_channels": 2, "decoder": decoders.dense}, r"decoders\.dense has none"),
])
def test_a_code_that_cannot_be_is_one_line(tiny, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        build_vae((16, 16), 4, **{"latent_dim": 2, **kwargs})


def test_encoder_and_decoder_of_other_depths_are_refused(tiny):
    deeper = functools.partial(decoders.conv, filters=(4, 8, 8))
    with pytest.raises(ConfigError, match=r"^build_vae: encoders\.conv has 2 stride-2 layers "
                                          r"and decoders\.conv 3; the latent map needs both"):
        build_vae((16, 16), 4, latent_dim=2, map_channels=2, decoder=deeper)
