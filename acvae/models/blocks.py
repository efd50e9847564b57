"""Small building blocks shared by the registered encoders and decoders.

Argument validation (normalisation names, shapes the strides must divide) lives here so that
every architecture fails the same way: a one-line ``ConfigError`` (a ``ValueError``) naming the
component, the value it got and what it expected.
"""

from __future__ import annotations

import keras

from acvae.core.errors import ConfigError

NORMALIZATIONS = ("batch", "layer")
# How a decoder doubles its resolution: a stride-2 transposed convolution, or a resize by
# nearest neighbours or bilinear interpolation followed by a convolution (Odena et al. 2016).
UPSAMPLINGS = ("transpose", "nearest", "bilinear")


def check_normalization(component: str, normalization: str | None) -> None:
    """Raises ConfigError unless ``normalization`` is None or one of ``NORMALIZATIONS``."""
    if normalization is not None and normalization not in NORMALIZATIONS:
        raise ConfigError(
            f"{component}: unknown normalization {normalization!r}; valid values: None, "
            + ", ".join(repr(n) for n in NORMALIZATIONS)
        )


def check_upsample(component: str, upsample: str) -> None:
    """Raises ConfigError unless ``upsample`` is one of ``UPSAMPLINGS``."""
    if upsample not in UPSAMPLINGS:
        raise ConfigError(f"{component}: unknown upsample {upsample!r}; valid values: "
                          + ", ".join(repr(u) for u in UPSAMPLINGS))


def upsample_conv(x, n_filters: int, kernel_size: int, upsample: str, use_bias: bool,
                  name: str):
    """Doubles the height and width of ``x`` [B, h, w, c] and convolves to ``n_filters``.

    ``"transpose"``: a stride-2 ``Conv2DTranspose`` (layer ``name``). Where its kernel size
    is not a multiple of the stride, output pixels receive unequal numbers of kernel taps,
    so even a constant input comes out as a checkerboard of period 2, which stacked layers
    repeat at periods 4 and 8 (Odena, Dumoulin & Olah 2016, "Deconvolution and Checkerboard
    Artifacts", Distill). ``"nearest"`` / ``"bilinear"``: resize-convolution, the fix that
    paper recommends: ``UpSampling2D`` (layer ``name_resize``) then a stride-1 ``Conv2D``
    (layer ``name``), in which every output pixel sees the same taps.

    Returns:
      [B, 2h, 2w, n_filters].
    """
    if upsample == "transpose":
        return keras.layers.Conv2DTranspose(n_filters, kernel_size, strides=2, padding="same",
                                            use_bias=use_bias, name=name)(x)
    x = keras.layers.UpSampling2D(2, interpolation=upsample, name=f"{name}_resize")(x)
    return keras.layers.Conv2D(n_filters, kernel_size, padding="same", use_bias=use_bias,
                               name=name)(x)


def check_image_shape(component: str, shape, n_strides: int) -> tuple[int, int, int]:
    """Validates an (H, W, C) shape whose H and W must be divisible by ``2**n_strides``.

    Args:
      component: registered name for the message, e.g. ``"encoders.conv"``.
      shape: (H, W, C).
      n_strides: number of stride-2 layers.

    Returns:
      (H, W, C) as ints.
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ConfigError(f"{component}: expected an image shape (H, W, C), got {shape}")
    divisor = 2**n_strides
    height, width, _ = shape
    if height % divisor or width % divisor:
        raise ConfigError(
            f"{component}: image shape {shape[:2]} is not divisible by {divisor} "
            f"(2**{n_strides} for {n_strides} stride-2 layers); use an IMAGE_SHAPE that is a "
            f"multiple of {divisor} or fewer filters"
        )
    return shape


def check_latent_dim(component: str, latent_dim) -> int:
    """Raises ConfigError unless ``latent_dim`` is a positive integer; returns it as int."""
    if int(latent_dim) != latent_dim or latent_dim < 1:
        raise ConfigError(f"{component}: latent_dim must be a positive integer, got {latent_dim!r}")
    return int(latent_dim)


def global_dims(component: str, latent_dim: int, grid: tuple[int, int], map_channels) -> int:
    """The latent dimensions left for the global code beside a ``grid`` x ``map_channels`` map.

    Args:
      component: registered name for the message, e.g. ``"encoders.conv"``.
      latent_dim: L, all latent dimensions.
      grid: (h, w) of the smallest feature map (the image shape over ``2**len(filters)``).
      map_channels: c >= 0, latent channels per cell of that map (0: no map).

    Returns:
      L - h * w * c, at least 0.
    """
    if not isinstance(map_channels, int) or isinstance(map_channels, bool) or map_channels < 0:
        raise ConfigError(f"{component}: map_channels must be an integer >= 0, got "
                          f"{map_channels!r}")
    map_dims = grid[0] * grid[1] * map_channels
    if latent_dim < map_dims:
        raise ConfigError(
            f"{component}: latent_dim {latent_dim} is smaller than its {grid[0]}x{grid[1]}x"
            f"{map_channels} latent map ({map_dims} dimensions); set build_vae.map_channels "
            f"(MAP_CHANNELS) rather than the encoder's and decoder's, and it adds the map "
            f"beside LATENT_DIM"
        )
    return latent_dim - map_dims


def normalize_activate(x, normalization: str | None, activation: str, name: str,
                       condition=None):
    """Applies the optional normalisation layer, the optional modulation by ``condition``
    (``modulate``), then the activation, to ``x``."""
    if normalization == "batch":
        x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    elif normalization == "layer":
        x = keras.layers.LayerNormalization(name=f"{name}_ln")(x)
    if condition is not None:
        x = modulate(x, condition, name)
    return keras.layers.Activation(activation, name=f"{name}_act")(x)


def modulate(x, condition, name: str):
    """FiLM (Perez et al. 2018): ``x * (1 + gamma) + beta`` per channel of a feature map
    [B, H, W, C], with gamma and beta dense maps of ``condition`` [B, D] that start at zero (so
    training starts from the unmodulated network)."""
    channels = x.shape[-1]
    gamma = per_channel(condition, channels, f"{name}_gamma")
    return x * (1.0 + gamma) + per_channel(condition, channels, f"{name}_beta")


def per_channel(condition, channels: int, name: str):
    """A dense map of ``condition`` [B, D] to one value per channel, [B, 1, 1, channels],
    starting at zero; broadcast over a feature map's height and width."""
    values = keras.layers.Dense(channels, kernel_initializer="zeros", name=name)(condition)
    return keras.layers.Reshape((1, 1, channels), name=f"{name}_map")(values)
