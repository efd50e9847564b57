"""``latent_grid.png``: the decoded latent space, as in the reference README, where the data is.

1D: a row of decodes across the latent axis. 2D: a grid (z1 left to right, z2 bottom to top).
More dimensions: one traversal row per dimension around a real training item's code (the one
nearest the mean code: the mean of a large code decodes to a blend of every item, a grey
villager), for the ``max_rows`` dimensions whose traversal changes the picture most (a
520-dimensional code would otherwise be 520 rows, too many to draw or read, and most of a latent
map's dimensions redraw only a few pixels). By default the values span the box the training
codes occupy (the 1st to 99th percentile of each dimension, ``latents.data_range``): a trained
VAE's codes rarely fill its prior, and a grid over the prior's quantiles shows only the empty
middle. ``span = "prior"`` gives the standard Normal quantiles instead; ``value_range`` fixes
the values.
"""

from __future__ import annotations

import pathlib

import numpy as np

from acvae import registry
from acvae.errors import ConfigError
from acvae.visualise import base, files, images, latents, plots

CENTERS = ("nearest", "data", "prior")
SPANS = ("data", "prior")


def draw_grid(ax, image: np.ndarray, shape: tuple[int, int], cell: tuple[int, int], pad: int,
              axes: np.ndarray, latent_dim: int, dims=None) -> None:
    """Shows a tiled grid image on ``ax`` with ticks at the latent values of its cells.

    Args:
      axes: [L, n] the values along each dimension (offsets for L > 2).
      dims: for L > 2, the dimensions of the rows (all by default).
    """
    rows, cols = shape
    h, w = cell
    ax.imshow(image, interpolation="nearest")
    ax.set_xticks([c * (w + pad) + w / 2 for c in range(cols)])
    ax.set_yticks([r * (h + pad) + h / 2 for r in range(rows)])
    rotation = 90 if cols > 8 else 0
    if latent_dim == 1:
        ax.set_xticklabels([f"{v:.2g}" for v in axes[0]], fontsize=7, rotation=rotation)
        ax.set_yticks([])
        ax.set_xlabel("z")
    elif latent_dim == 2:
        ax.set_xticklabels([f"{v:.2g}" for v in axes[0]], fontsize=7, rotation=rotation)
        ax.set_yticklabels([f"{v:.2g}" for v in axes[1][::-1]], fontsize=7)
        ax.set_xlabel("z1")
        ax.set_ylabel("z2")
    else:
        ax.set_xticklabels([])
        dims = range(latent_dim) if dims is None else dims
        ax.set_yticklabels([f"z{d + 1} {axes[d][0]:+.2g}..{axes[d][-1]:+.2g}" for d in dims],
                           fontsize=7)
        ax.set_xlabel("offset from the centre along each dimension")
    for spine in ax.spines.values():
        spine.set_visible(False)


@registry.register("visualisers", "latent_grid")
class LatentGrid(base.Visualiser):
    """Decodes a row (1D), a grid (2D) or per-dimension traversals (3D+) where the data lies."""

    filename = "latent_grid.png"

    def __init__(self, n: int = 10, span: str = "data", percentiles=(1.0, 99.0),
                 value_range=None, quantiles=(0.05, 0.95), center: str = "nearest",
                 max_rows: int = 16, background="white", pad: int = 2,
                 cell_inches: float = 0.9, dpi: float = 100):
        """
        Args:
          n: decodes per row (and rows in 2D).
          span: ``"data"``: each dimension from the low to the high ``percentiles`` of the
            training codes; ``"prior"``: standard Normal ``quantiles``.
          percentiles: (low, high) percentiles of the training codes spanned.
          value_range: ``(low, high)`` latent values (offsets for 3D+) for every dimension;
            overrides ``span``.
          quantiles: probability range of the Normal quantiles (``span = "prior"``).
          center: 3D+ traversals go around ``"nearest"`` (the training code nearest the
            mean one: a real item), ``"data"`` (the mean training code) or ``"prior"``
            (zero).
          max_rows: 3D+: traverse at most this many dimensions, those whose traversal
            changes the picture most (``latents.visible_dimensions``), in index order.
          background: colour RGBA images are composited onto.
          pad: pixels between decodes.
          cell_inches: size of one decode in the figure.
          dpi: figure resolution.
        """
        base.check_choice("span", span, SPANS)
        base.check_choice("center", center, CENTERS)
        latents.axis_values(n, value_range, quantiles)  # a bad n fails now, not after training
        if not isinstance(max_rows, int) or isinstance(max_rows, bool) or max_rows < 1:
            raise ConfigError(f"visualisers.latent_grid: max_rows must be a positive integer, "
                              f"got {max_rows!r}")
        self.n, self.span, self.percentiles = n, span, tuple(percentiles)
        self.max_rows = max_rows
        self.value_range, self.quantiles, self.center = value_range, quantiles, center
        self.background, self.pad, self.cell_inches, self.dpi = background, pad, cell_inches, dpi

    def points(self, run) -> tuple[np.ndarray, np.ndarray | None, str]:
        """``(axes [L, n], center [L] or None, caption)``: the values each dimension takes."""
        latent_dim = run.model.latent_dim
        center = self.center_code(run) if latent_dim > 2 else None
        if self.value_range is not None:
            axis = latents.axis_values(self.n, self.value_range)
            return np.tile(axis, (latent_dim, 1)), center, "fixed range"
        if self.span == "prior":
            axis = latents.axis_values(self.n, quantiles=self.quantiles)
            return (np.tile(axis, (latent_dim, 1)), center,
                    f"prior quantiles {self.quantiles[0]:g}-{self.quantiles[1]:g}")
        low, high = latents.data_range(run.training_codes(), self.percentiles)
        if center is not None:
            low, high = low - center, high - center
        axes = np.linspace(low, high, self.n, axis=1).astype(np.float32)
        low_p, high_p = self.percentiles
        return axes, center, f"training codes' percentiles {low_p:g}-{high_p:g}"

    def center_code(self, run) -> np.ndarray:
        """[L]: the code 3D+ traversals go around (``center``)."""
        if self.center == "prior":
            return np.zeros(run.model.latent_dim, np.float32)
        codes = run.training_codes()
        if self.center == "data":
            return codes.mean(axis=0)
        return latents.nearest_to_mean(codes)

    def on_train_end(self, run) -> list[pathlib.Path]:
        latent_dim = run.model.latent_dim
        axes, center, caption = self.points(run)
        dims = None
        if latent_dim > 2:
            dims = latents.run_visible_dimensions(run, self.max_rows)
            if len(dims) < latent_dim:
                caption += (f";\nthe {len(dims)} of {latent_dim} dimensions whose traversal "
                            f"changes the picture most")
            where = {"nearest": "the training code nearest the mean", "data": "the mean code",
                     "prior": "the origin"}[self.center]
            caption += f"\naround {where}: " + ", ".join(f"{center[d]:.2g}" for d in dims)
        z, (rows, cols) = latents.latent_grid(latent_dim, axes, center, dims)
        decoded = images.to_rgb(latents.decode(run.model, z), self.background)
        grid = images.tile(decoded, cols, self.pad, images.fill_colour(self.background))
        fig = plots.new_figure(
            (cols * self.cell_inches + 1.0, rows * self.cell_inches + 1.0), self.dpi)
        ax = fig.add_subplot()
        draw_grid(ax, grid, (rows, cols), decoded.shape[1:3], self.pad, axes, latent_dim, dims)
        ax.set_title(f"decoded latent space (epoch {run.epoch}), spanning the {caption}",
                     fontsize=9)
        return [run.folder.write_figure(self.filename, files.figure(fig))]
