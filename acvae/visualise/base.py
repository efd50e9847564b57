"""The visualiser protocol and the helpers every figure shares.

A visualiser is a plain Python class registered under the gin kind ``visualisers``. The trainer
calls ``on_epoch_end(run, epoch)`` every ``EPOCH_STEP`` epochs (and after the last epoch) and
``on_train_end(run)`` once at the end; ``python -m acvae.visualise`` calls ``on_train_end`` on a
finished run. Figures go to ``run.figures_dir`` and are written atomically. The helpers here turn
model images (float ``[N, H, W, C]`` in [0, 1], C = 1, 3 or 4) into displayable uint8 RGB by
compositing RGBA onto a background, tile them, pick latent points, encode datasets, and save
PNGs, GIFs and matplotlib figures atomically. Matplotlib is used through
``matplotlib.figure.Figure`` (the Agg canvas, no pyplot), so no global backend or figure state
is touched.
"""

from __future__ import annotations

import math
import os
import pathlib
import statistics
from typing import Callable, Iterable, Sequence

import numpy as np

from acvae import fileio


class Visualiser:
    """Base class with no-op hooks; subclasses set ``filename`` and override ``on_train_end``.

    Attributes:
      filename: the main file written under ``RUN/figures/``.
      order: visualisers finish in increasing ``order``; the index page (100) comes last so it can
        embed every other figure.
    """

    filename: str = ""
    order: int = 0

    def on_epoch_end(self, run, epoch: int) -> None:
        """Called every ``EPOCH_STEP`` epochs and after the last one; does nothing by default."""
        del run, epoch

    def on_train_end(self, run) -> list[pathlib.Path]:
        """Writes this visualiser's figure(s) and returns their paths."""
        raise NotImplementedError(f"{type(self).__name__} must implement on_train_end")


def train_end(visualisers: Iterable[Visualiser], run) -> list[pathlib.Path]:
    """Calls ``on_train_end`` on every visualiser in ``order``; returns all paths written."""
    paths = []
    for visualiser in sorted(visualisers, key=lambda v: getattr(v, "order", 0)):
        paths.extend(visualiser.on_train_end(run))
    return paths


# ----------------------------------------------------------------------------- atomic writing


def atomic_write(path: os.PathLike, write: Callable[[str], None]) -> pathlib.Path:
    """Calls ``write(tmp_path)`` on a temporary file next to ``path``, then renames it into place.

    The temporary file keeps ``path``'s suffix so writers that infer the format from it work.
    """
    with fileio.atomic_path(path) as tmp:
        write(str(tmp))
    return pathlib.Path(path)


def save_figure(fig, path: os.PathLike) -> pathlib.Path:
    """Saves a matplotlib ``Figure`` as PNG at its own size and dpi, atomically."""
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=fig.dpi))


def save_png(image: np.ndarray, path: os.PathLike) -> pathlib.Path:
    """Saves a uint8 ``[H, W, 3]`` (or ``[H, W]``) array as PNG, atomically."""
    from PIL import Image

    return atomic_write(path, lambda tmp: Image.fromarray(image).save(tmp, format="PNG"))


def save_gif(frames: Sequence[np.ndarray], path: os.PathLike, fps: float) -> pathlib.Path:
    """Saves uint8 ``[H, W, 3]`` frames as a looping GIF at ``fps`` frames per second, atomically.

    Each frame gets its own 256-colour palette (fast octree, no dithering: about 4x smaller
    files than median cut, with no visible difference on decoded villagers). GIF writers merge
    consecutive identical frames; callers keep frames distinct (a caption or progress bar)
    when the frame count matters.
    """
    from PIL import Image

    images = [
        Image.fromarray(np.asarray(frame, np.uint8)).quantize(
            256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        for frame in frames
    ]
    duration = max(20, int(round(1000.0 / fps)))  # GIF delays are in 10 ms steps, 20 ms minimum

    def write(tmp):
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                       duration=duration, loop=0)

    return atomic_write(path, write)


def new_figure(figsize: tuple[float, float], dpi: float):
    """A pyplot-free matplotlib ``Figure`` with constrained layout (pixel size = figsize * dpi)."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, dpi=dpi, layout="constrained")


def image_pairs(top_images, bottom_images, cols: int, dpi: float, labels: tuple[str, str],
                extra_height: float = 0.3):
    """A figure of image pairs, each top image over its bottom one, ``cols`` pairs per row.

    Args:
      top_images, bottom_images: displayable images [N, H, W, 3] (see ``to_rgb``).
      cols: pairs per row.
      dpi: figure resolution.
      labels: y labels of the top and bottom image of the first column.
      extra_height: inches added for titles.

    Returns:
      ``(fig, axes)`` where ``axes[i]`` is the (top, bottom) pair of axes of pair ``i``.
    """
    n = len(top_images)
    cols = min(cols, n)
    rows = math.ceil(n / cols)
    fig = new_figure((1.2 * cols + 0.4, 2.7 * rows + extra_height), dpi)
    grid = fig.subplots(2 * rows, cols, squeeze=False)
    for ax in grid.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_frame_on(False)
    axes = []
    for i in range(n):
        row, col = divmod(i, cols)
        top, bottom = grid[2 * row, col], grid[2 * row + 1, col]
        top.imshow(top_images[i], interpolation="nearest")
        bottom.imshow(bottom_images[i], interpolation="nearest")
        if col == 0:
            top.set_ylabel(labels[0], fontsize=7)
            bottom.set_ylabel(labels[1], fontsize=7)
        axes.append((top, bottom))
    return fig, axes


# ----------------------------------------------------------------------------- images


def parse_colour(colour) -> np.ndarray:
    """Any matplotlib colour (``"white"``, ``"#ffeecc"``, ``(1, 1, 1)``) -> float32 RGB ``[3]``.

    Raises:
      ValueError: for a string matplotlib does not know.
    """
    from matplotlib import colors

    try:
        return np.asarray(colors.to_rgb(colour), np.float32)
    except ValueError:
        raise ValueError(
            f"unknown colour {colour!r}; use a name such as 'white' or a hex code '#rrggbb'"
        ) from None


def to_rgb(images, background="white") -> np.ndarray:
    """Makes model images displayable.

    Args:
      images: float ``[N, H, W, C]`` (or ``[H, W, C]``) in [0, 1]; C = 4 is RGBA and is composited
        onto ``background``; C = 1 is grey; C = 3 is RGB.
      background: a matplotlib colour.

    Returns:
      uint8 ``[N, H, W, 3]`` (or ``[H, W, 3]``).
    """
    images = np.clip(np.asarray(images, np.float32), 0.0, 1.0)
    channels = images.shape[-1]
    if channels == 4:
        alpha = images[..., 3:]
        rgb = images[..., :3] * alpha + parse_colour(background) * (1.0 - alpha)
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
    if factor == 1:
        return image
    return np.repeat(np.repeat(image, factor, axis=-3), factor, axis=-2)


def fill_colour(background) -> tuple[int, int, int]:
    """The uint8 RGB triple of a matplotlib colour."""
    return tuple(int(round(v * 255)) for v in parse_colour(background))


# ----------------------------------------------------------------------------- latent points


def axis_values(n: int, value_range=None, quantiles=(0.05, 0.95)) -> np.ndarray:
    """``n`` increasing latent values along one axis.

    Args:
      n: number of values (>= 1).
      value_range: ``(low, high)`` for evenly spaced values; ``None`` for standard Normal quantiles.
      quantiles: ``(low, high)`` probabilities spanned by the Normal quantiles.

    Returns:
      float32 ``[n]``.
    """
    if n < 1:
        raise ValueError(f"need at least one latent value per axis, got n={n}")
    if value_range is not None:
        low, high = value_range
        return np.linspace(low, high, n, dtype=np.float32)
    normal = statistics.NormalDist()
    probs = np.linspace(quantiles[0], quantiles[1], n) if n > 1 else [0.5]
    return np.asarray([normal.inv_cdf(float(p)) for p in probs], np.float32)


def latent_grid(latent_dim: int, axis: np.ndarray,
                center=None) -> tuple[np.ndarray, tuple[int, int]]:
    """Latent points laid out as a grid of images.

    1D: one row along ``axis``. 2D: a square grid, z1 increasing left to right and z2 bottom to
    top. More: one row per dimension, varying that dimension by ``axis`` around ``center``.

    Args:
      latent_dim: L.
      axis: float ``[n]`` values (offsets from ``center`` for L > 2).
      center: float ``[L]``; zeros by default.

    Returns:
      ``(z, (rows, cols))`` with z float32 ``[rows * cols, L]`` in row-major order.
    """
    axis = np.asarray(axis, np.float32)
    n = len(axis)
    center = np.zeros(latent_dim, np.float32) if center is None else np.asarray(center, np.float32)
    if latent_dim == 1:
        return axis[:, None] + center, (1, n)
    if latent_dim == 2:
        z1, z2 = np.meshgrid(axis, axis[::-1])
        return np.stack([z1.ravel(), z2.ravel()], axis=1) + center, (n, n)
    z = np.tile(center, (latent_dim, n, 1))
    for d in range(latent_dim):
        z[d, :, d] += axis
    return z.reshape(latent_dim * n, latent_dim), (latent_dim, n)


def decode(model, z: np.ndarray) -> np.ndarray:
    """Decodes latent points ``[N, L]`` to mean images float32 ``[N, H, W, C]`` in one call."""
    return np.asarray(model.decode_mean(np.asarray(z, np.float32)), np.float32)


# ----------------------------------------------------------------------------- datasets

SPLITS = ("train_eval", "validation")  # InputData fields in a fixed order


def check_choice(what: str, value, valid) -> None:
    """Raises a one-line ValueError listing ``valid`` when ``value`` is not one of them."""
    if value not in valid:
        raise ValueError(f"unknown {what} {value!r}; valid: {', '.join(map(str, valid))}")


def collect(dataset, limit: int | None = None, model=None) -> dict[str, np.ndarray]:
    """Gathers a batched dataset into numpy arrays, optionally with posterior means.

    Args:
      dataset: batches of ``{"image": [B, H, W, C], label: string [B], ...}``.
      limit: stop after this many examples.
      model: if given, adds ``"z"``: the posterior means ``[N, L]`` from ``model.encode``.

    Returns:
      dict of arrays with N rows: ``image`` float32, string labels as Python ``str`` objects.
    """
    parts: dict[str, list] = {}
    count = 0
    for batch in dataset:
        for key, value in batch.items():
            value = np.asarray(value)
            if value.dtype == object:
                value = np.asarray([v.decode("utf-8") for v in value], object)
            parts.setdefault(key, []).append(value)
        if model is not None:
            mean, _ = model.encode(batch["image"])
            parts.setdefault("z", []).append(np.asarray(mean, np.float32))
        count += len(parts["image"][-1])
        if limit is not None and count >= limit:
            break
    if not parts:
        raise ValueError("the dataset is empty; nothing to visualise")
    return {key: np.concatenate(values)[:limit] for key, values in parts.items()}


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
