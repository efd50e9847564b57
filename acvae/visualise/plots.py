"""Matplotlib layouts shared by figures: a pyplot-free figure, image pairs, category styles.

Matplotlib is used through ``matplotlib.figure.Figure`` (the Agg canvas, no pyplot), so no
global backend or figure state is touched. Text from the data (identifiers, label values) is
shown literally: ``literal`` escapes matplotlib's mathtext (``$...$``).
"""

from __future__ import annotations

import math
from collections import Counter

MARKERS = ("o", "s", "^", "D", "v", "P", "X")  # 7 is coprime with the 40 colours
OTHER_STYLE = ((0.75, 0.75, 0.75, 1.0), ".")


def new_figure(figsize: tuple[float, float], dpi: float):
    """A pyplot-free matplotlib ``Figure`` with constrained layout (pixel size = figsize * dpi)."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, dpi=dpi, layout="constrained")


def literal(text) -> str:
    """``text`` as matplotlib shows it literally (no mathtext between dollar signs)."""
    return str(text).replace("$", r"\$")


def titled_grid(images, titles, cols: int, tile_inches: tuple[float, float], dpi: float):
    """A figure of images in rows of ``cols``, each under its title (shown literally).

    Args:
      images: displayable images [N, H, W, 3] (``images.to_rgb``).
      titles: one title per image (a line break starts a second line).
      cols: images per row (at most N).
      tile_inches: (width, height) of one image with its title.
      dpi: figure resolution.
    """
    n = len(images)
    cols = min(cols, n)
    rows = math.ceil(n / cols)
    fig = new_figure((tile_inches[0] * cols, tile_inches[1] * rows), dpi)
    for i, (image, title) in enumerate(zip(images, titles)):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(image, interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(literal(title), fontsize=8)
    return fig


def image_pairs(top_images, bottom_images, cols: int, dpi: float, labels: tuple[str, str],
                extra_height: float = 0.3):
    """A figure of image pairs, each top image over its bottom one, ``cols`` pairs per row.

    Args:
      top_images, bottom_images: displayable images [N, H, W, 3] (``images.to_rgb``).
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


def grouped(values, most: int = 40) -> tuple[list[str], str | None]:
    """Categories for colouring: ``values`` as text, those beyond the ``most - 1`` most frequent
    merged into one group.

    Args:
      values: one category per item.
      most: at most this many categories are kept (the rest become one group).

    Returns:
      (one category per item, the merged group's name or None when nothing was merged).
    """
    counts = Counter(str(v) for v in values)
    if len(counts) <= most:
        return [str(v) for v in values], None
    kept = set(sorted(counts, key=lambda c: (-counts[c], c))[: most - 1])
    other = f"other ({len(counts) - len(kept)} values)"
    return [str(v) if str(v) in kept else other for v in values], other


def category_styles(categories, other: str | None = None) -> dict[str, tuple[tuple, str]]:
    """A distinct ``(colour, marker)`` per category (unique for up to 280), light grey dots for
    ``other`` (``grouped``'s merged group), in sorted order with ``other`` last."""
    from matplotlib import colormaps

    tab20, tab20b = colormaps["tab20"], colormaps["tab20b"]
    colours = [tab20(i) for i in range(0, 20, 2)] + [tab20(i) for i in range(1, 20, 2)]
    colours += [tab20b(i) for i in range(20)]
    named = sorted(set(categories) - {other})
    styles = {c: (colours[i % len(colours)], MARKERS[i % len(MARKERS)])
              for i, c in enumerate(named)}
    if other is not None and other in set(categories):
        styles[other] = OTHER_STYLE
    return styles
