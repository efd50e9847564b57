"""Registered encoders: image [B, H, W, C] -> posterior parameters [B, 2 * latent_dim].

An encoder factory has the signature ``fn(input_shape, latent_dim, **config) -> keras.Model``;
the first ``latent_dim`` outputs are the posterior mean, the rest its log-variance (Kingma &
Welling 2014, Sec. 3). Select one in gin with ``build_vae.encoder = @encoders.conv`` and
configure it with ``encoders.conv.filters = (16, 32)``. Plugins register the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras

from acvae.core import registry
from acvae.models import blocks


@registry.register("encoders", "conv")
def conv(
    input_shape: Sequence[int],
    latent_dim: int,
    filters: Sequence[int] = (32, 64, 128),
    kernel_size: int = 3,
    activation: str = "relu",
    normalization: str | None = None,
    map_channels: int = 0,
) -> keras.Model:
    """Stride-2 convolutions (default 32/64/128 filters, 3x3), flatten, dense to the posterior.

    With ``map_channels`` c > 0, part of the code is a latent map: a 3x3 convolution of the
    last feature map ((H/8, W/8) by default) gives c posterior channels per cell, each cell
    describing its own region of the image, and the dense layer gives the remaining
    ``latent_dim - H/8 * W/8 * c`` global dimensions (possibly none). A local code learns
    patches that recur across images, so it carries over to art it was not trained on; the
    global one holds what spans the image (a palette, a pose). The code is
    [global, map flattened row-major]; ``build_vae.map_channels`` gives the decoder the same
    ``map_channels`` and sizes L as ``LATENT_DIM`` global dimensions plus the map.

    Args:
      input_shape: (H, W, C); H and W must be divisible by ``2 ** len(filters)``.
      latent_dim: L, the latent dimensionality.
      filters: filters of each stride-2 ``Conv2D`` ('same' padding), from the input on.
      kernel_size: convolution kernel size.
      activation: Keras activation name after each convolution.
      normalization: None, "batch" or "layer", applied before each activation.
      map_channels: latent channels per cell of the last feature map (0: all global).

    Returns:
      A functional model mapping [B, H, W, C] -> [B, 2 * L].
    """
    name = "encoders.conv"
    shape = blocks.check_image_shape(name, input_shape, len(filters))
    latent_dim = blocks.check_latent_dim(name, latent_dim)
    blocks.check_normalization(name, normalization)
    images = keras.Input(shape=shape, name="images")
    x = images
    for i, n_filters in enumerate(filters):
        x = keras.layers.Conv2D(
            n_filters, kernel_size, strides=2, padding="same",
            use_bias=normalization is None, name=f"conv{i}",
        )(x)
        x = blocks.normalize_activate(x, normalization, activation, f"conv{i}")
    global_dim = blocks.global_dims(name, latent_dim, tuple(x.shape[1:3]), map_channels)
    if not map_channels:
        x = keras.layers.Flatten(name="flatten")(x)
        posterior = keras.layers.Dense(2 * latent_dim, name="posterior")(x)
        return keras.Model(images, posterior, name="conv_encoder")
    posterior = _map_posterior(x, global_dim, map_channels, kernel_size)
    return keras.Model(images, posterior, name="conv_encoder")


def _map_posterior(features, global_dim: int, map_channels: int, kernel_size: int):
    """The posterior [B, 2 * L] of a code with a latent map: ``global_dim`` means from a dense
    layer over the flattened ``features`` [B, h, w, F] (none for 0), then the map's
    ``map_channels`` per cell from a convolution; all means first, then all log-variances."""
    means, logvars = [], []
    if global_dim:
        dense = keras.layers.Flatten(name="flatten")(features)
        dense = keras.layers.Dense(2 * global_dim, name="posterior_global")(dense)
        means.append(dense[:, :global_dim])
        logvars.append(dense[:, global_dim:])
    local = keras.layers.Conv2D(2 * map_channels, kernel_size, padding="same",
                                name="posterior_map")(features)
    means.append(keras.layers.Flatten(name="map_mean")(local[..., :map_channels]))
    logvars.append(keras.layers.Flatten(name="map_logvar")(local[..., map_channels:]))
    return keras.layers.Concatenate(name="posterior")(means + logvars)


@registry.register("encoders", "dense")
def dense(
    input_shape: Sequence[int],
    latent_dim: int,
    units: Sequence[int] = (512, 256),
    activation: str = "relu",
    normalization: str | None = None,
) -> keras.Model:
    """Multi-layer perceptron on the flattened image (Kingma & Welling 2014, Appendix C).

    Args:
      input_shape: (H, W, C), any size.
      latent_dim: L, the latent dimensionality.
      units: hidden layer widths, from the input on.
      activation: Keras activation name after each hidden layer.
      normalization: None, "batch" or "layer", applied before each activation.

    Returns:
      A functional model mapping [B, H, W, C] -> [B, 2 * L].
    """
    name = "encoders.dense"
    shape = blocks.check_image_shape(name, input_shape, 0)
    latent_dim = blocks.check_latent_dim(name, latent_dim)
    blocks.check_normalization(name, normalization)
    images = keras.Input(shape=shape, name="images")
    x = keras.layers.Reshape((math.prod(shape),), name="flatten")(images)
    for i, n_units in enumerate(units):
        x = keras.layers.Dense(n_units, use_bias=normalization is None, name=f"dense{i}")(x)
        x = blocks.normalize_activate(x, normalization, activation, f"dense{i}")
    posterior = keras.layers.Dense(2 * latent_dim, name="posterior")(x)
    return keras.Model(images, posterior, name="dense_encoder")
