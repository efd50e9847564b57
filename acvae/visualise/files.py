"""Image and movie file encoders: each returns a ``write(path)`` for an atomic writer.

``run.folder.write_figure(name, png(image))`` writes a figure of a run;
``fileio.write_with(path, gif(frames, fps))`` writes anywhere else (``acvae.commands.generate``). The
format is fixed by the encoder, not by the temporary file's name; PNGs and GIFs carry
``acvae.core.outputs.SOFTWARE`` (their "Software" text, their comment), so a later command knows
it may replace them. Animations are written by imageio's v3 API: GIFs through its Pillow
plugin, MP4 (H.264) through its ffmpeg plugin with the ffmpeg that the ``imageio-ffmpeg``
wheel ships (``pip install 'acvae[video]'``); without a working ffmpeg, ``mp4``'s writer
raises ``VideoUnavailable``. A matplotlib figure of more pixels than ``outputs.MAX_PIXELS``
is refused before it is drawn (``checked``), naming the knobs that size it.
"""

from __future__ import annotations

import importlib
import io
from collections.abc import Callable, Sequence

import numpy as np

from acvae.core import outputs
from acvae.core.errors import ConfigError, first_line

MP4_QUALITY = 6  # imageio's 0-10 scale; 6 is x264's CRF 20: no visible loss on decodes


class VideoUnavailable(Exception):
    """No MP4 could be written: ``imageio-ffmpeg`` is missing or its ffmpeg failed."""


def png(image: np.ndarray) -> Callable:
    """Writes a uint8 ``[H, W, 3]`` (or ``[H, W]``) array as PNG, marked as acvae's."""
    import imageio.v3 as iio
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Software", outputs.SOFTWARE)
    return lambda path: iio.imwrite(path, np.asarray(image, np.uint8), extension=".png",
                                    pnginfo=info)


def _palette_colours(frame: np.ndarray) -> np.ndarray:
    """``frame`` reduced to at most 256 colours by Pillow's fast octree, without dithering."""
    from PIL import Image

    quantized = Image.fromarray(np.asarray(frame, np.uint8)).quantize(
        256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    return np.asarray(quantized.convert("RGB"))


def gif(frames: Sequence[np.ndarray], fps: float) -> Callable:
    """Writes uint8 ``[H, W, 3]`` frames as a looping GIF at ``fps`` frames per second.

    Each frame is first reduced to its own 256 colours by a fast octree without dithering
    (Pillow's default for GIF dithers, which makes decoded villagers about 9x larger with no
    visible gain), so the GIF writer keeps those colours exactly. GIF writers merge
    consecutive identical frames; callers keep frames distinct (a caption or progress bar)
    when the frame count matters.
    """
    import imageio.v3 as iio

    stack = np.stack([_palette_colours(frame) for frame in frames])
    duration = max(20, int(round(1000.0 / fps)))  # GIF delays are in 10 ms steps, 20 ms minimum

    def write(path):
        iio.imwrite(path, stack, extension=".gif", plugin="pillow", is_batch=True,
                    duration=duration, loop=0, comment=outputs.SOFTWARE.encode())

    return write


def even_frames(frames: Sequence[np.ndarray], fill=(255, 255, 255)) -> np.ndarray:
    """uint8 ``[N, H', W', 3]``: ``frames`` padded at the bottom and right with ``fill`` to
    even sizes (H.264 in the yuv420p format every player reads needs them)."""
    stack = np.asarray(frames, np.uint8)
    n, height, width, channels = stack.shape
    out = np.empty((n, height + height % 2, width + width % 2, channels), np.uint8)
    out[...] = np.asarray(fill, np.uint8)
    out[:, :height, :width] = stack
    return out


def mp4(frames: Sequence[np.ndarray], fps: float, hold_first: float = 1.0,
        fill=(255, 255, 255)) -> Callable:
    """Writes uint8 ``[H, W, 3]`` frames as an H.264 MP4 at ``fps`` frames per second.

    Frames are padded with ``fill`` to even sizes (``even_frames``); the first frame is shown
    for ``hold_first`` seconds more (repeated ``round(hold_first * fps)`` times), so a viewer
    sees where the movie starts.

    The writer raises ``VideoUnavailable`` (one line) when ``imageio-ffmpeg`` is not installed
    or its ffmpeg fails or writes nothing.
    """
    import imageio.v3 as iio

    stack = even_frames(frames, fill)
    stack = np.concatenate([np.repeat(stack[:1], int(round(hold_first * fps)), axis=0), stack])

    def write(path):
        try:
            importlib.import_module("imageio_ffmpeg")  # imageio's ffmpeg plugin needs it
        except ImportError:
            raise VideoUnavailable(
                "imageio-ffmpeg is not installed (pip install 'acvae[video]')") from None
        try:
            iio.imwrite(path, stack, plugin="FFMPEG", fps=fps, codec="libx264",
                        pixelformat="yuv420p", quality=MP4_QUALITY, macro_block_size=2,
                        ffmpeg_log_level="error")
        except (OSError, RuntimeError) as error:
            raise VideoUnavailable(f"ffmpeg failed: {first_line(error)}") from error
        if not path.exists() or path.stat().st_size == 0:
            raise VideoUnavailable("ffmpeg wrote no video")

    return write


def checked(fig):
    """``fig``, once its size in pixels is known to be drawable (at most ``outputs.MAX_PIXELS``).

    Raises:
      ConfigError: one line with its size and what makes it smaller.
    """
    width, height = (int(side) for side in fig.get_size_inches() * fig.dpi)
    if width * height > outputs.MAX_PIXELS:
        raise ConfigError(f"a figure of {width}x{height} pixels is more than the "
                          f"{outputs.MAX_PIXELS / 1e6:.0f} million image tools open; lower the "
                          "visualiser's n, cols, cell_inches or dpi")
    return fig


def figure(fig) -> Callable:
    """Writes a matplotlib ``Figure`` as PNG at its own size and dpi (``checked`` first)."""
    checked(fig)
    return lambda path: fig.savefig(path, format="png", dpi=fig.dpi,
                                    metadata={"Software": outputs.SOFTWARE})


def text(content: str) -> Callable:
    """Writes UTF-8 text."""
    return lambda path: path.write_text(content, encoding="utf-8")


def figure_bytes(fig) -> bytes:
    """A matplotlib ``Figure`` as PNG bytes (for pages that embed it; ``checked`` first)."""
    buffer = io.BytesIO()
    checked(fig).savefig(buffer, format="png", dpi=fig.dpi)
    return buffer.getvalue()


def png_bytes(image: np.ndarray) -> bytes:
    """A uint8 ``[H, W, 3]`` array as PNG bytes (for pages that embed it)."""
    import imageio.v3 as iio

    return iio.imwrite("<bytes>", np.asarray(image, np.uint8), extension=".png")


def jpeg_bytes(image: np.ndarray, quality: int = 90) -> bytes:
    """A uint8 ``[H, W, 3]`` array as JPEG bytes (sprite sheets of decodes in a page: about a
    quarter of the PNG's size)."""
    import imageio.v3 as iio

    return iio.imwrite("<bytes>", np.asarray(image, np.uint8), extension=".jpg",
                       quality=quality)
