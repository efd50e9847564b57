"""Registered decoders: latent [B, latent_dim] -> likelihood parameters [B, H, W, C_out].

A decoder factory has the signature ``fn(latent_dim, output_shape, **config) -> keras.Model``.
Its output is unconstrained (logits, or pre-sigmoid means): there is no output activation,
because the likelihood (``acvae.models.likelihoods``) maps parameters to its own range; ``C_out``
is ``n_channels * likelihood.params_per_channel``. Select one in gin with
``build_vae.decoder = @decoders.conv``; layer sizes are listed from the encoder side, as in the
matching encoder, and applied in reverse, so one binding value fits both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras

from acvae.core import registry
from acvae.core.errors import ConfigError
from acvae.models import blocks


@registry.register("decoders", "conv")
def conv(latent_dim: int, output_shape: Sequence[int], filters: Sequence[int] = (32, 64, 128),
         kernel_size: int = 3, activation: str = "relu", normalization: str | None = None,
         latent_mlp: Sequence[int] = (), map_channels: int = 0, modulate: bool = False,
         upsample: str = "transpose") -> keras.Model:
    """Mirror of ``encoders.conv``: dense to (H/8, W/8, 128), then layers that double the
    resolution (stride-2 transposed convolutions, or resize-convolutions: ``upsample``).

    With ``map_channels`` c > 0 (as in ``encoders.conv``; ``build_vae.map_channels`` gives both),
    the code's last H/8 * W/8 * c dimensions are a latent map: reshaped to (H/8, W/8, c), joined
    to the projection of the global dimensions (if any) and mixed by a 3x3 convolution before
    the transposed ones.

    Args:
      latent_dim: L, the latent dimensionality.
      output_shape: (H, W, C_out); H and W must be divisible by ``2 ** len(filters)``.
      filters: filters as listed for the encoder; the upsampling layers use them reversed
        (128, 64, 32 by default), then a stride-1 convolution (a ``Conv2DTranspose`` layer,
        which at stride 1 is an ordinary convolution) maps to C_out.
      kernel_size: convolution kernel size.
      activation: Keras activation name after each hidden layer.
      normalization: None, "batch" or "layer", applied before each activation.
      latent_mlp: widths of dense layers (with ``activation``) between z and the projection
        to the first feature map. With one or two latent dimensions the projection alone is
        one linear map of z and a ReLU: a few hidden layers let the decoder bend its few
        coordinates into many distinct images, at a negligible cost. Applied to the global
        dimensions only.
      map_channels: latent channels per cell of the first feature map (0: all global).
      modulate: the global code (after ``latent_mlp``) also scales and shifts every channel
        of every upsampling layer and adds a tint to the output (FiLM, Perez et al.
        2018), so a few numbers reach the late layers that draw colour directly rather than
        only through the first feature map. Needs global dimensions.
      upsample: how each layer doubles the resolution (``blocks.upsample_conv``):
        ``"transpose"`` (stride-2 transposed convolutions, the reference's decoder, and the
        layers of runs saved before the option), ``"nearest"`` or ``"bilinear"`` (resize,
        then convolve: no checkerboard; layers ``deconv{i}_resize`` and ``deconv{i}``).

    Returns:
      A functional model mapping [B, L] -> [B, H, W, C_out], with no output activation.
    """
    name = "decoders.conv"
    height, width, channels = blocks.check_image_shape(name, output_shape, len(filters))
    latent_dim = blocks.check_latent_dim(name, latent_dim)
    blocks.check_normalization(name, normalization)
    blocks.check_upsample(name, upsample)
    divisor = 2 ** len(filters)
    base_shape = (height // divisor, width // divisor, filters[-1] if filters else channels)
    global_dim = blocks.global_dims(name, latent_dim, base_shape[:2], map_channels)
    z = keras.Input(shape=(latent_dim,), name="z")
    x, condition = _first_feature_map(z, global_dim, base_shape, map_channels, latent_mlp,
                                      modulate, kernel_size, activation, normalization)
    for i, n_filters in enumerate(reversed(filters)):
        x = blocks.upsample_conv(x, n_filters, kernel_size, upsample, normalization is None,
                                 f"deconv{i}")
        x = blocks.normalize_activate(x, normalization, activation, f"deconv{i}", condition)
    params = keras.layers.Conv2DTranspose(
        channels, kernel_size, strides=1, padding="same", name="params"
    )(x)
    if condition is not None:
        params = params + blocks.per_channel(condition, channels, "tint")
    return keras.Model(z, params, name="conv_decoder")


def _first_feature_map(z, global_dim: int, base_shape: tuple[int, int, int], map_channels: int,
                       latent_mlp: Sequence[int], modulate: bool, kernel_size: int,
                       activation: str, normalization: str | None):
    """The decoder's first feature map [B, *base_shape] from the code ``z`` [B, L]: the global
    dimensions through ``latent_mlp`` and a dense projection, the latent map reshaped and
    mixed in by a convolution; and the FiLM condition (the global code after ``latent_mlp``
    when ``modulate``, else None).

    Raises:
      ConfigError: ``modulate`` without global dimensions.
    """
    if modulate and not global_dim:
        raise ConfigError(f"decoders.conv: modulate needs global dimensions; latent_dim "
                          f"{z.shape[-1]} is all latent map")
    x = condition = None
    if global_dim:
        x = z[:, :global_dim] if map_channels else z
        for i, units in enumerate(latent_mlp):
            x = keras.layers.Dense(units, activation=activation, name=f"latent_mlp{i}")(x)
        condition = x if modulate else None
        x = keras.layers.Dense(
            math.prod(base_shape), use_bias=normalization is None, name="project"
        )(x)
        x = blocks.normalize_activate(x, normalization, activation, "project")
        x = keras.layers.Reshape(base_shape, name="reshape")(x)
    if map_channels:
        local = keras.layers.Reshape((*base_shape[:2], map_channels), name="latent_map")(
            z[:, global_dim:])
        x = local if x is None else keras.layers.Concatenate(name="join")([x, local])
        x = keras.layers.Conv2D(base_shape[2], kernel_size, padding="same",
                                use_bias=normalization is None, name="mix")(x)
        x = blocks.normalize_activate(x, normalization, activation, "mix")
    return x, condition


@registry.register("decoders", "dense")
def dense(
    latent_dim: int,
    output_shape: Sequence[int],
    units: Sequence[int] = (512, 256),
    activation: str = "relu",
    normalization: str | None = None,
) -> keras.Model:
    """Multi-layer perceptron to the flattened image, mirroring ``encoders.dense``.

    Args:
      latent_dim: L, the latent dimensionality.
      output_shape: (H, W, C_out), any size.
      units: hidden widths as listed for the encoder; applied reversed (256, 512 by default).
      activation: Keras activation name after each hidden layer.
      normalization: None, "batch" or "layer", applied before each activation.

    Returns:
      A functional model mapping [B, L] -> [B, H, W, C_out], with no output activation.
    """
    name = "decoders.dense"
    shape = blocks.check_image_shape(name, output_shape, 0)
    latent_dim = blocks.check_latent_dim(name, latent_dim)
    blocks.check_normalization(name, normalization)
    z = keras.Input(shape=(latent_dim,), name="z")
    x = z
    for i, n_units in enumerate(reversed(units)):
        x = keras.layers.Dense(n_units, use_bias=normalization is None, name=f"dense{i}")(x)
        x = blocks.normalize_activate(x, normalization, activation, f"dense{i}")
    x = keras.layers.Dense(math.prod(shape), name="params")(x)
    params = keras.layers.Reshape(shape, name="reshape")(x)
    return keras.Model(z, params, name="dense_decoder")
