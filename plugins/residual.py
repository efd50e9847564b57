"""Residual convolutional encoder and decoder: ``@encoders.residual`` and ``@decoders.residual``.

Each stage is a residual block (He et al. 2016, "Deep Residual Learning", Fig. 2) that halves
(encoder) or doubles (decoder) the resolution: two 3x3 convolutions on the main path, the first
with stride 2 (transposed in the decoder), plus a shortcut that average-pools (encoder;
He et al. 2019, "Bag of Tricks", ResNet-D) or upsamples by nearest neighbours (decoder), then
projects with a 1x1 convolution when the width changes; ``blocks_per_stage - 1``
identity residual blocks follow at the new resolution. Shapes match ``encoders.conv`` and
``decoders.conv``: any ``IMAGE_SHAPE`` divisible by ``2 ** len(filters)``, 1, 3 or 4 channels.

Switch it on in a ``.gin`` file::

    import plugins.residual
    build_vae.encoder = @encoders.residual
    build_vae.decoder = @decoders.residual
    encoders.residual.filters = (32, 64, 128)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras

from acvae.core import registry
from acvae.models import blocks


def _conv(x, n_filters: int, kernel_size: int, strides: int, normalization, name: str,
          transpose: bool = False):
    layer = keras.layers.Conv2DTranspose if transpose else keras.layers.Conv2D
    return layer(n_filters, kernel_size, strides=strides, padding="same",
                 use_bias=normalization is None, name=name)(x)


def _norm(x, normalization, name: str):
    if normalization == "batch":
        return keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    if normalization == "layer":
        return keras.layers.LayerNormalization(name=f"{name}_ln")(x)
    return x


def residual_block(x, n_filters: int, kernel_size: int, activation: str, normalization,
                   name: str, resample: str | None = None):
    """One residual block: ``act(main(x) + shortcut(x))``.

    Args:
      x: [B, h, w, c].
      n_filters: output channels.
      resample: None (same size; identity shortcut when ``c == n_filters``), ``"down"``
        (stride-2 convolution, [B, h/2, w/2, n_filters]) or ``"up"`` (stride-2 transposed
        convolution, [B, 2h, 2w, n_filters]).

    Returns:
      [B, h', w', n_filters].
    """
    strides = 1 if resample is None else 2
    y = _conv(x, n_filters, kernel_size, strides, normalization, f"{name}_a", resample == "up")
    y = blocks.normalize_activate(y, normalization, activation, f"{name}_a")
    y = _conv(y, n_filters, kernel_size, 1, normalization, f"{name}_b")
    y = _norm(y, normalization, f"{name}_b")
    shortcut = x
    if resample == "up":  # nearest neighbours (a stride-2 1x1 transposed conv leaves holes)
        shortcut = keras.layers.UpSampling2D(2, name=f"{name}_upsample")(x)
    elif resample == "down":  # average pooling, not a stride-2 1x1 conv (ResNet-D)
        shortcut = keras.layers.AveragePooling2D(2, padding="same", name=f"{name}_pool")(x)
    if shortcut.shape[-1] != n_filters:
        shortcut = _conv(shortcut, n_filters, 1, 1, None, f"{name}_shortcut")
    out = keras.layers.Add(name=f"{name}_add")([y, shortcut])
    return keras.layers.Activation(activation, name=f"{name}_act")(out)


def _check_blocks(component: str, blocks_per_stage) -> int:
    if int(blocks_per_stage) != blocks_per_stage or blocks_per_stage < 1:
        raise ValueError(
            f"{component}: blocks_per_stage must be a positive integer, got {blocks_per_stage!r}")
    return int(blocks_per_stage)


@registry.register("encoders", "residual")
def residual_encoder(
    input_shape: Sequence[int],
    latent_dim: int,
    filters: Sequence[int] = (32, 64, 128),
    blocks_per_stage: int = 1,
    kernel_size: int = 3,
    activation: str = "relu",
    normalization: str | None = None,
) -> keras.Model:
    """Residual stages that each halve the resolution, flatten, dense to the posterior.

    Args:
      input_shape: (H, W, C); H and W must be divisible by ``2 ** len(filters)``.
      latent_dim: L.
      filters: output channels of each stage, from the input on.
      blocks_per_stage: residual blocks per stage (the first one downsamples).
      kernel_size: kernel size of the main-path convolutions.
      activation: Keras activation name.
      normalization: None, "batch" or "layer".

    Returns:
      A functional model mapping [B, H, W, C] -> [B, 2 * L] (posterior mean, log-variance).
    """
    name = "encoders.residual"
    shape = blocks.check_image_shape(name, input_shape, len(filters))
    latent_dim = blocks.check_latent_dim(name, latent_dim)
    blocks.check_normalization(name, normalization)
    n_blocks = _check_blocks(name, blocks_per_stage)
    images = keras.Input(shape=shape, name="images")
    x = images
    for i, n_filters in enumerate(filters):
        for j in range(n_blocks):
            x = residual_block(x, n_filters, kernel_size, activation, normalization,
                               f"stage{i}_block{j}", "down" if j == 0 else None)
    x = keras.layers.Flatten(name="flatten")(x)
    posterior = keras.layers.Dense(2 * latent_dim, name="posterior")(x)
    return keras.Model(images, posterior, name="residual_encoder")


@registry.register("decoders", "residual")
def residual_decoder(
    latent_dim: int,
    output_shape: Sequence[int],
    filters: Sequence[int] = (32, 64, 128),
    blocks_per_stage: int = 1,
    kernel_size: int = 3,
    activation: str = "relu",
    normalization: str | None = None,
) -> keras.Model:
    """Mirror of ``encoders.residual``: dense to (H/2^n, W/2^n), residual stages that upsample.

    Args:
      latent_dim: L.
      output_shape: (H, W, C_out); H and W must be divisible by ``2 ** len(filters)``.
      filters: as listed for the encoder; the stages use them reversed (128, 64, 32).
      blocks_per_stage: residual blocks per stage (the first one upsamples).
      kernel_size: kernel size of the main-path convolutions.
      activation: Keras activation name.
      normalization: None, "batch" or "layer".

    Returns:
      A functional model mapping [B, L] -> [B, H, W, C_out], with no output activation.
    """
    name = "decoders.residual"
    height, width, channels = blocks.check_image_shape(name, output_shape, len(filters))
    latent_dim = blocks.check_latent_dim(name, latent_dim)
    blocks.check_normalization(name, normalization)
    n_blocks = _check_blocks(name, blocks_per_stage)
    divisor = 2 ** len(filters)
    base_shape = (height // divisor, width // divisor, filters[-1] if filters else channels)
    z = keras.Input(shape=(latent_dim,), name="z")
    x = keras.layers.Dense(math.prod(base_shape), name="project")(z)
    x = blocks.normalize_activate(x, normalization, activation, "project")
    x = keras.layers.Reshape(base_shape, name="reshape")(x)
    for i, n_filters in enumerate(reversed(filters)):
        for j in range(n_blocks):
            x = residual_block(x, n_filters, kernel_size, activation, normalization,
                               f"stage{i}_block{j}", "up" if j == 0 else None)
    params = keras.layers.Conv2D(channels, kernel_size, padding="same", name="params")(x)
    return keras.Model(z, params, name="residual_decoder")
