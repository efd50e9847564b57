"""Image files to canonical RGBA PNG bytes, and RGBA arrays composited onto white for display.

``acvae.prepare`` accepts any image Pillow reads (palette, grey, grey+alpha, RGB, RGBA, 16-bit,
JPEG, GIF, WebP, ..., whatever the file is called) and stores it as an 8-bit RGBA PNG, so the
input pipeline needs one decoder. The PNG is canonical: the same pixels give the same bytes
(no metadata copied from the source, fixed compression), so a prepared dataset is
byte-identical for identical input. Images with more than ``MAX_PIXELS`` pixels are refused
before their pixels are decoded (a defence against decompression bombs).
"""

from __future__ import annotations

import io
import os
import re
import warnings

import numpy as np
from PIL import Image

MAX_PIXELS = 4096 * 4096


class ImageError(ValueError):
    """An image that cannot be used; the message is one line saying why."""


class ImageTooLarge(ImageError):
    """An image whose pixel count exceeds the limit."""


def _to_rgba(image: Image.Image) -> Image.Image:
    """Converts any Pillow mode to 8-bit RGBA, rescaling 16- and 32-bit grey to 8 bits."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        grey = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or grey.max(initial=0) > 255 else 255.0
        image = Image.fromarray(np.clip(np.rint(grey * (255.0 / peak)), 0, 255).astype(np.uint8))
    elif image.mode == "F":
        grey = np.asarray(image, dtype=np.float64)
        peak = 1.0 if grey.max(initial=0) <= 1.0 else 255.0
        image = Image.fromarray(np.clip(np.rint(grey * (255.0 / peak)), 0, 255).astype(np.uint8))
    return image.convert("RGBA")


def normalise_png(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> bytes:
    """Reads an image file and returns it as 8-bit RGBA PNG bytes.

    Args:
      path: an image file in any format Pillow reads, whatever its extension.
      max_pixels: larger images are refused without decoding their pixels.

    Returns:
      PNG bytes of an RGBA image with the original width and height.

    Raises:
      ImageTooLarge: the image has more than ``max_pixels`` pixels.
      ImageError: the file is not a readable image (truncated, corrupt, empty, unknown format).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise ImageTooLarge(
                        f"{width}x{height} pixels is over the limit of {max_pixels} pixels"
                    )
                image.load()
                rgba = _to_rgba(image)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        found = re.search(r"\((\d+) pixels\)", str(error))  # Pillow refused it inside open()
        size = f"{found.group(1)} pixels" if found else "its size"
        raise ImageTooLarge(f"{size} is over the limit of {max_pixels} pixels") from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        if reason.startswith("cannot identify image file"):
            reason = "not an image format Pillow can read"
        raise ImageError(reason) from None
    return _png(rgba)


def _png(rgba: Image.Image) -> bytes:
    """Canonical PNG bytes of an RGBA image: pixels only (no ICC profile, gamma, text or
    timestamps), default zlib level, so equal pixels give equal bytes."""
    bare = Image.frombytes("RGBA", rgba.size, rgba.tobytes())
    buffer = io.BytesIO()
    bare.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def png_bytes(pixels: np.ndarray) -> bytes:
    """Canonical RGBA PNG bytes of an image array made in Python (a dataset plugin's image).

    Args:
      pixels: uint8 [H, W], [H, W, 1] (grey), [H, W, 3] (RGB, opaque) or [H, W, 4] (RGBA).

    Raises:
      ValueError: another dtype or shape.
    """
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8 or pixels.ndim not in (2, 3) or (
        pixels.ndim == 3 and pixels.shape[-1] not in (1, 3, 4)
    ):
        raise ValueError(
            f"an image must be uint8 [H, W] or [H, W, 1, 3 or 4], got {pixels.dtype} {pixels.shape}"
        )
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    return _png(Image.fromarray(pixels).convert("RGBA"))


def composite_on_white(rgba: np.ndarray) -> np.ndarray:
    """RGBA composited onto a white background.

    Args:
      rgba: uint8 [H, W, 4] or float [H, W, 4] in [0, 1].

    Returns:
      float32 [H, W, 3] in [0, 1].
    """
    rgba = np.asarray(rgba)
    if rgba.dtype == np.uint8:
        rgba = rgba.astype(np.float32) / 255.0
    rgb, alpha = rgba[..., :3], rgba[..., 3:4]
    return (rgb * alpha + (1.0 - alpha)).astype(np.float32)
