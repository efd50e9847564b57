"""``latent_grid.png``: the decoded latent space, as in the reference README.

1D: a row of decodes across the latent axis. 2D: a grid (z1 left to right, z2 bottom to top).
More dimensions: one traversal row per dimension around the mean of the validation embeddings.
Latent values are standard Normal quantiles by default, or evenly spaced over ``value_range``.
"""

from __future__ import annotations

import pathlib

import numpy as np

from acvae import batches, registry
from acvae.visualise import base, files, images, latents, plots

CENTERS = ("data", "prior")


def draw_grid(ax, image: np.ndarray, shape: tuple[int, int], cell: tuple[int, int], pad: int,
              axis: np.ndarray, latent_dim: int) -> None:
    """Shows a tiled grid image on ``ax`` with ticks at the latent values of its cells."""
    rows, cols = shape
    h, w = cell
    ax.imshow(image, interpolation="nearest")
    ax.set_xticks([c * (w + pad) + w / 2 for c in range(cols)])
    ax.set_xticklabels([f"{v:.2g}" for v in axis], fontsize=7, rotation=90 if cols > 8 else 0)
    ax.set_yticks([r * (h + pad) + h / 2 for r in range(rows)])
    if latent_dim == 1:
        ax.set_yticks([])
        ax.set_xlabel("z")
    elif latent_dim == 2:
        ax.set_yticklabels([f"{v:.2g}" for v in axis[::-1]], fontsize=7)
        ax.set_xlabel("z1")
        ax.set_ylabel("z2")
    else:
        ax.set_yticklabels([f"z{d + 1}" for d in range(rows)], fontsize=7)
        ax.set_xlabel("offset from the mean embedding")
    for spine in ax.spines.values():
        spine.set_visible(False)


@registry.register("visualisers", "latent_grid")
class LatentGrid(base.Visualiser):
    """Decodes a row (1D), a grid (2D) or per-dimension traversals (3D+) of latent points."""

    filename = "latent_grid.png"

    def __init__(self, n: int = 10, value_range=None, quantiles=(0.05, 0.95), center: str = "data",
                 background="white", pad: int = 2, cell_inches: float = 0.9, dpi: float = 100):
        """
        Args:
          n: decodes per row (and rows in 2D).
          value_range: ``(low, high)`` latent values (offsets for 3D+); ``None`` uses standard
            Normal quantiles spanning ``quantiles``.
          quantiles: probability range of the Normal quantiles.
          center: 3D+ traversals go around ``"data"`` (the mean validation embedding) or
            ``"prior"`` (zero).
          background: colour RGBA images are composited onto.
          pad: pixels between decodes.
          cell_inches: size of one decode in the figure.
          dpi: figure resolution.
        """
        base.check_choice("center", center, CENTERS)
        self.n, self.value_range, self.quantiles, self.center = n, value_range, quantiles, center
        self.background, self.pad, self.cell_inches, self.dpi = background, pad, cell_inches, dpi

    def on_train_end(self, run) -> list[pathlib.Path]:
        latent_dim = run.model.latent_dim
        axis = latents.axis_values(self.n, self.value_range, self.quantiles)
        center = None
        if latent_dim > 2 and self.center == "data":
            encoded = batches.collect(run.data.validation, add=batches.posterior(run.model))
            center = encoded["z"].mean(axis=0)
        z, (rows, cols) = latents.latent_grid(latent_dim, axis, center)
        decoded = images.to_rgb(latents.decode(run.model, z), self.background)
        grid = images.tile(decoded, cols, self.pad, images.fill_colour(self.background))
        fig = plots.new_figure(
            (cols * self.cell_inches + 1.0, rows * self.cell_inches + 1.0), self.dpi)
        ax = fig.add_subplot()
        draw_grid(ax, grid, (rows, cols), decoded.shape[1:3], self.pad, axis, latent_dim)
        title = f"decoded latent space (epoch {run.epoch})"
        if center is not None:
            title += "\nmean embedding " + ", ".join(f"{v:.2g}" for v in center)
        ax.set_title(title, fontsize=9)
        return [run.folder.write_figure(self.filename, files.figure(fig))]
