"""``latent_traversals.png``: one decoded traversal row per latent dimension, for codes of 3D+.

Each row varies one dimension around a real training item's code (the one nearest the mean
code: the mean of a large code decodes to a blend of every item, a grey villager), the others
staying at that code's values, for the ``max_rows`` dimensions whose traversal changes the
picture most (a 520-dimensional code would otherwise be 520 rows, too many to draw or read, and
most of a latent map's dimensions redraw only a few pixels). The values span the box the
training codes occupy, the prior's quantiles or a fixed range, as ``latent_grid.png``'s do
(``latent_grid.SpannedGrid``); for ``span = "prior"`` and ``value_range`` they are offsets from
the centre. A code of one or two numbers is drawn whole by ``latent_grid.png``, so nothing is
written for it.
"""

from __future__ import annotations

import pathlib

import numpy as np

from acvae.core import registry
from acvae.core.errors import ConfigError
from acvae.visualise import base, files, latents, plots
from acvae.visualise.latent_grid import SpannedGrid, draw_grid

CENTERS = ("nearest", "data", "prior")


@registry.register("visualisers", "latent_traversals")
class LatentTraversals(SpannedGrid):
    """Per-dimension traversals around a training item's code (3D+ codes)."""

    filename = "latent_traversals.png"

    def __init__(self, n: int = 10, span: str = "data", percentiles=(1.0, 99.0),
                 value_range=None, quantiles=(0.05, 0.95), center: str = "nearest",
                 max_rows: int = 16, background="white", pad: int = 2,
                 cell_inches: float = 0.9, dpi: float = 100):
        """
        Args:
          n, span, percentiles, value_range, quantiles, background, pad, cell_inches, dpi:
            as ``SpannedGrid`` (decodes per row and what each row spans).
          center: traversals go around ``"nearest"`` (the training code nearest the mean
            one: a real item), ``"data"`` (the mean training code) or ``"prior"`` (zero).
          max_rows: traverse at most this many dimensions, those whose traversal changes the
            picture most (``latents.visible_dimensions``), in index order.
        """
        super().__init__(n, span, percentiles, value_range, quantiles, background, pad,
                         cell_inches, dpi)
        base.check_choice("center", center, CENTERS)
        if not isinstance(max_rows, int) or isinstance(max_rows, bool) or max_rows < 1:
            raise ConfigError(f"visualisers.latent_traversals: max_rows must be a positive "
                              f"integer, got {max_rows!r}")
        self.center, self.max_rows = center, max_rows

    def points(self, run) -> tuple[np.ndarray, np.ndarray, str]:
        """``(offsets [L, n], center [L], caption)``: the values each dimension takes, as
        offsets from the centre."""
        center = self.center_code(run)
        axes, caption = self.spans(run.training_codes(), center)
        return axes - center[:, None], center, caption

    def center_code(self, run) -> np.ndarray:
        """[L]: the code the traversals go around (``center``)."""
        if self.center == "prior":
            return np.zeros(run.model.latent_dim, np.float32)
        codes = run.training_codes()
        if self.center == "data":
            return codes.mean(axis=0)
        return latents.nearest_to_mean(codes)

    def on_train_end(self, run) -> list[pathlib.Path]:
        latent_dim = run.model.latent_dim
        if latent_dim <= 2:
            return []
        axes, center, caption = self.points(run)
        dims = latents.run_visible_dimensions(run, self.max_rows)
        if len(dims) < latent_dim:
            caption += (f";\nthe {len(dims)} of {latent_dim} dimensions whose traversal "
                        f"changes the picture most")
        where = {"nearest": "the training code nearest the mean", "data": "the mean code",
                 "prior": "the origin"}[self.center]
        caption += f"\naround {where}: " + ", ".join(f"{center[d]:.2g}" for d in dims)
        z, (rows, cols) = latents.latent_grid(latent_dim, axes, center, dims)
        grid, cell = self.decoded(run.model, z, cols)
        fig = plots.new_figure(
            (cols * self.cell_inches + 1.0, rows * self.cell_inches + 1.0), self.dpi)
        ax = fig.add_subplot()
        draw_grid(ax, grid, (rows, cols), cell, self.pad, axes, latent_dim, dims)
        ax.set_title(f"latent traversals (epoch {run.epoch}), spanning the {caption}",
                     fontsize=9)
        return [run.folder.write_figure(self.filename, files.figure(fig))]
