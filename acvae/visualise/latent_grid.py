"""``latent_grid.png``: the decoded latent space, as in the reference README, where the data is.

1D: a row of decodes across the latent axis. 2D: a grid (z1 left to right, z2 bottom to top).
More dimensions: the same grid over a 2D chart of the code (``latents.Chart``: the two leading
principal directions of the training codes, the aggregate posterior's means), each cell decoded
from a full code the run's sampler gives there: of a seeded pool of ``pool`` sampler draws, the
one whose projection is nearest the cell's centre (``latents.map_codes``; any sampler, the
prior too). Beside it a panel shows where the training codes lie on the chart, coloured by the
dataset's first categorical label, over the pool's draws. ``latent_traversals.png``
(``latent_traversals``) keeps the per-dimension view of such a code.

By default the values span the box the training codes occupy (the 1st to 99th percentile along
each axis, ``latents.data_range``): a trained VAE's codes rarely fill its prior, and a grid over
the prior's quantiles shows only the empty middle. ``span = "prior"`` gives the standard Normal
quantiles instead (on a chart: around the projection of the origin, where the prior's
projection is centred); ``value_range`` fixes the values. ``SpannedGrid`` holds what this
figure and the traversals share.
"""

from __future__ import annotations

import pathlib

import numpy as np

from acvae.core import registry
from acvae.data import batches
from acvae.visualise import base, files, images, latents, plots

SPANS = ("data", "prior")


def draw_grid(ax, image: np.ndarray, shape: tuple[int, int], cell: tuple[int, int], pad: int,
              axes: np.ndarray, latent_dim: int, dims=None, names=("z1", "z2")) -> None:
    """Shows a tiled grid image on ``ax`` with ticks at the latent values of its cells.

    Args:
      axes: [L, n] the values along each dimension (offsets for L > 2).
      latent_dim: 1 or 2 for a row or a grid, more for traversal rows.
      dims: for L > 2, the dimensions of the rows (all by default).
      names: the axis labels of a grid.
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
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[1])
    else:
        ax.set_xticklabels([])
        dims = range(latent_dim) if dims is None else dims
        ax.set_yticklabels([f"z{d + 1} {axes[d][0]:+.2g}..{axes[d][-1]:+.2g}" for d in dims],
                           fontsize=7)
        ax.set_xlabel("offset from the centre along each dimension")
    for spine in ax.spines.values():
        spine.set_visible(False)


class SpannedGrid(base.Visualiser):
    """Decodes laid out as a grid whose axes span where the training codes lie.

    Args:
      n: decodes along each axis.
      span: ``"data"``: each axis from the low to the high ``percentiles`` of the training
        codes; ``"prior"``: standard Normal ``quantiles``.
      percentiles: (low, high) percentiles of the training codes spanned.
      value_range: ``(low, high)`` values for every axis (around the origin); overrides
        ``span``.
      quantiles: probability range of the Normal quantiles (``span = "prior"``).
      background: colour RGBA images are composited onto.
      pad: pixels between decodes.
      cell_inches: size of one decode in the figure.
      dpi: figure resolution.
    """

    def __init__(self, n: int = 10, span: str = "data", percentiles=(1.0, 99.0),
                 value_range=None, quantiles=(0.05, 0.95), background="white", pad: int = 2,
                 cell_inches: float = 0.9, dpi: float = 100):
        base.check_choice("span", span, SPANS)
        latents.axis_values(n, value_range, quantiles)  # a bad n fails now, not after training
        self.n, self.span, self.percentiles = n, span, tuple(percentiles)
        self.value_range, self.quantiles = value_range, quantiles
        self.background, self.pad, self.cell_inches, self.dpi = background, pad, cell_inches, dpi

    def spans(self, codes: np.ndarray, origin: np.ndarray) -> tuple[np.ndarray, str]:
        """``(axes [D, n], caption)``: the values along each axis of points ``codes`` [N, D]
        (their percentile box), or the fixed or prior values around ``origin`` [D]."""
        origin = np.asarray(origin, np.float32)[:, None]
        if self.value_range is not None:
            return latents.axis_values(self.n, self.value_range) + origin, "fixed range"
        if self.span == "prior":
            return (latents.axis_values(self.n, quantiles=self.quantiles) + origin,
                    f"prior quantiles {self.quantiles[0]:g}-{self.quantiles[1]:g}")
        low, high = latents.data_range(codes, self.percentiles)
        low_p, high_p = self.percentiles
        return (np.linspace(low, high, self.n, axis=1).astype(np.float32),
                f"training codes' percentiles {low_p:g}-{high_p:g}")

    def decoded(self, model, z: np.ndarray, cols: int) -> tuple[np.ndarray, tuple[int, int]]:
        """``(tiled uint8 image, (H, W) of one decode)``: codes ``[rows * cols, L]`` decoded."""
        decoded = images.to_rgb(latents.decode(model, z), self.background)
        grid = images.tile(decoded, cols, self.pad, images.fill_colour(self.background))
        return grid, decoded.shape[1:3]


@registry.register("visualisers", "latent_grid")
class LatentGrid(SpannedGrid):
    """Decodes a row (1D), a grid (2D) or a sampler's map of a 2D chart (3D+) where the data
    lies."""

    filename = "latent_grid.png"

    def __init__(self, n: int = 10, span: str = "data", percentiles=(1.0, 99.0),
                 value_range=None, quantiles=(0.05, 0.95), pool: int = latents.POOL,
                 seed: int = 0, panel_inches: float = 4.0, background="white", pad: int = 2,
                 cell_inches: float = 0.9, dpi: float = 100, center=None, max_rows=None):
        """
        Args:
          n, span, percentiles, value_range, quantiles, background, pad, cell_inches, dpi:
            as ``SpannedGrid`` (on the chart's two axes above 2D).
          pool: sampler draws the cells of a 3D+ map choose from.
          seed: the pool's seed, so the map is comparable across epochs and runs.
          panel_inches: width of the 3D+ panel of where the training codes lie (0: none).
          center, max_rows: unused; the traversals' settings moved to
            ``visualisers.latent_traversals``. Accepted because the operative config of a run
            trained before then binds them, and ``load_run`` parses it.
        """
        del center, max_rows
        super().__init__(n, span, percentiles, value_range, quantiles, background, pad,
                         cell_inches, dpi)
        latents.check_draws(pool)
        self.pool, self.seed, self.panel_inches = pool, seed, panel_inches

    def points(self, run) -> tuple[np.ndarray, None, str]:
        """``(axes [D, n], None, caption)``: the values each axis takes (D = L, or the 2 chart
        axes above 2D); ``None``: a grid has no centre, unlike traversals."""
        codes = run.training_codes()
        if run.model.latent_dim > 2:
            chart = latents.run_chart(run)
            origin = chart.project(np.zeros((1, codes.shape[1]), np.float32))[0]
            axes, caption = self.spans(chart.project(codes), origin)
        else:
            axes, caption = self.spans(codes, np.zeros(codes.shape[1], np.float32))
        return axes, None, caption

    def on_train_end(self, run) -> list[pathlib.Path]:
        axes, _, caption = self.points(run)
        if run.model.latent_dim > 2:
            fig = self._map(run, axes, caption)
        else:
            latent_dim = run.model.latent_dim
            z, (rows, cols) = latents.latent_grid(latent_dim, axes)
            grid, cell = self.decoded(run.model, z, cols)
            fig = plots.new_figure(
                (cols * self.cell_inches + 1.0, rows * self.cell_inches + 1.0), self.dpi)
            ax = fig.add_subplot()
            draw_grid(ax, grid, (rows, cols), cell, self.pad, axes, latent_dim)
            ax.set_title(f"decoded latent space (epoch {run.epoch}), spanning the {caption}",
                         fontsize=9)
        return [run.folder.write_figure(self.filename, files.figure(fig))]

    def _map(self, run, axes: np.ndarray, caption: str):
        """The 3D+ figure: the sampler's map of the chart, and the panel of where codes lie."""
        centres, (rows, cols) = latents.latent_grid(2, axes)
        span = axes[:, -1] - axes[:, 0]
        codes, projected = latents.map_codes(run, centres, self.pool, self.seed,
                                             np.where(span > 0, span, 1.0))
        grid, cell = self.decoded(run.model, codes, cols)
        names = latents.run_chart(run).axis_names()
        size = rows * self.cell_inches + 1.0
        fig = plots.new_figure((cols * self.cell_inches + 1.0 + self.panel_inches, size),
                               self.dpi)
        if self.panel_inches > 0:
            left, right = fig.subfigures(1, 2, width_ratios=(
                cols * self.cell_inches + 1.0, self.panel_inches))
            self._panel(run, right, axes, projected, names)
        else:
            left = fig
        ax = left.add_subplot()
        draw_grid(ax, grid, (rows, cols), cell, self.pad, axes, 2, names=names)
        sampler = run.model.sampler
        ax.set_title(
            f"decoded latent map (epoch {run.epoch}): the training codes' two leading principal "
            f"directions, spanning the {caption};\neach cell decodes the "
            f"{getattr(sampler, 'name', type(sampler).__name__)} sampler's draw (of "
            f"{self.pool}) whose projection is nearest its centre", fontsize=9)
        return fig

    def _panel(self, run, panel, axes: np.ndarray, projected: np.ndarray, names) -> None:
        """Where the training codes lie on the chart, by the first categorical label, over the
        sampler's draws; the dashed box is the map's extent."""
        codes = latents.run_chart(run).project(run.training_codes())
        categorical = run.data.schema.categorical
        ax = panel.add_subplot()
        ax.scatter(projected[:, 0], projected[:, 1], s=2, color="0.8", label="sampler draws")
        if categorical:
            label = categorical[0].name
            values = batches.collect(run.data.train_eval, limit=len(codes), keep=(label,))[label]
            grouped, other = plots.grouped(values)
            grouped = np.asarray(grouped, object)
            for category, (colour, marker) in plots.category_styles(grouped, other).items():
                mask = grouped == category
                ax.scatter(codes[mask, 0], codes[mask, 1], s=10, color=colour, marker=marker,
                           edgecolors="black", linewidths=0.2, label=plots.literal(category))
            title = f"training codes by {label}"
        else:
            ax.scatter(codes[:, 0], codes[:, 1], s=10, color="tab:blue", label="training codes")
            title = "training codes"
        (x0, x1), (y0, y1) = axes[:, [0, -1]]
        ax.plot([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0], "--", color="0.3", lw=1,
                label="the map's extent")
        low = np.minimum(np.percentile(codes, 0.5, axis=0), axes[:, 0])
        high = np.maximum(np.percentile(codes, 99.5, axis=0), axes[:, -1])
        margin = 0.08 * (high - low)
        ax.set_xlim(low[0] - margin[0], high[0] + margin[0])  # the codes, not every draw
        ax.set_ylim(low[1] - margin[1], high[1] + margin[1])
        ax.set_xlabel(names[0], fontsize=8)
        ax.set_ylabel(names[1], fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_title(plots.literal(title), fontsize=9)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=6, ncol=2,
                  frameon=False, markerscale=1.5)
