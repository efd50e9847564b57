"""Model images made displayable: RGBA composited onto a background, tiled, upscaled, captioned.

Model images are float ``[N, H, W, C]`` in [0, 1] with C = 1 (grey), 3 (RGB) or 4 (RGBA,
straight alpha); everything here returns uint8 RGB. ``composite`` is the one place that lays
RGBA over a background colour.
"""

from __future__ import annotations

import numpy as np

from acvae.core.errors import ConfigError


def parse_colour(colour) -> np.ndarray:
    """Any matplotlib colour (``"white"``, ``"#ffeecc"``, ``(1, 1, 1)``) -> float32 RGB ``[3]``.

    Raises:
      ConfigError: for a string matplotlib does not know.
    """
    from matplotlib import colors

    try:
        return np.asarray(colors.to_rgb(colour), np.float32)
    except ValueError:
        raise ConfigError(
            f"unknown colour {colour!r}; use a name such as 'white' or a hex code '#rrggbb'"
        ) from None


def fill_colour(background) -> tuple[int, int, int]:
    """The uint8 RGB triple of a matplotlib colour."""
    return tuple(int(round(v * 255)) for v in parse_colour(background))


def composite(rgba: np.ndarray, background="white") -> np.ndarray:
    """RGBA float images ``[..., 4]`` (straight alpha) laid over ``background``: ``[..., 3]``."""
    alpha = rgba[..., 3:]
    return rgba[..., :3] * alpha + parse_colour(background) * (1.0 - alpha)


def to_rgb(images, background="white") -> np.ndarray:
    """Makes model images displayable.

    Args:
      images: float ``[N, H, W, C]`` (or ``[H, W, C]``) in [0, 1]; C = 4 is RGBA and is
        composited onto ``background``; C = 1 is grey; C = 3 is RGB.
      background: a matplotlib colour.

    Returns:
      uint8 ``[N, H, W, 3]`` (or ``[H, W, 3]``).
    """
    images = np.clip(np.asarray(images, np.float32), 0.0, 1.0)
    channels = images.shape[-1]
    if channels == 4:
        rgb = composite(images, background)
    elif channels == 3:
        rgb = images
    elif channels == 1:
        rgb = np.repeat(images, 3, axis=-1)
    else:
        raise ValueError(f"images must have 1, 3 or 4 channels, got {channels}")
    return np.round(rgb * 255.0).astype(np.uint8)


def tile(images: np.ndarray, cols: int, pad: int = 2, fill=(255, 255, 255)) -> np.ndarray:
    """Tiles uint8 ``[N, H, W, 3]`` images row-major.

    Returns:
      uint8 ``[rows * (H + pad) - pad, cols * (W + pad) - pad, 3]``.

    Empty cells and the gaps between images take the colour ``fill`` (uint8 RGB).
    """
    n, h, w, c = images.shape
    rows = max(1, -(-n // cols))
    out = np.empty((rows * (h + pad) - pad, cols * (w + pad) - pad, c), np.uint8)
    out[...] = np.asarray(fill, np.uint8)
    for i in range(n):
        r, col = divmod(i, cols)
        out[r * (h + pad) : r * (h + pad) + h, col * (w + pad) : col * (w + pad) + w] = images[i]
    return out


def upscale(image: np.ndarray, min_size: int) -> np.ndarray:
    """Nearest-neighbour upscales ``[..., H, W, 3]`` by an integer factor to min(H, W) >= min_size.
    """
    factor = max(1, -(-min_size // min(image.shape[-3:-1])))
    return enlarge(image, factor)


def enlarge(image: np.ndarray, factor: int) -> np.ndarray:
    """Repeats every pixel of ``[..., H, W, 3]`` ``factor`` times in both directions."""
    if factor == 1:
        return image
    return np.repeat(np.repeat(image, factor, axis=-3), factor, axis=-2)


def caption_strip(text: str, width: int, height: int = 14, background="white",
                  progress=None) -> np.ndarray:
    """A uint8 ``[height, width, 3]`` strip with ``text`` and an optional progress bar.

    Args:
      progress: a fraction in [0, 1]; draws a 2-pixel bar along the bottom of that length, which
        also keeps consecutive GIF frames distinct.
    """
    from PIL import Image, ImageDraw

    fill = fill_colour(background)
    ink = (0, 0, 0) if sum(fill) > 380 else (255, 255, 255)
    strip = Image.new("RGB", (width, height), fill)
    draw = ImageDraw.Draw(strip)
    draw.text((2, 1), text, fill=ink)
    if progress is not None:
        draw.rectangle([0, height - 2, max(0, round(progress * width) - 1), height - 1], fill=ink)
    return np.asarray(strip)
