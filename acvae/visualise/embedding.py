"""``embedding.png``: where the validation items land in latent space, one figure per label.

One figure per categorical label of the dataset, ``embedding_<label>.png`` (the first
categorical label's also as ``embedding.png``). 2D: a scatter of posterior means, every value
with its own colour and marker and a legend; a label with more than 40 values keeps its 39
most frequent and draws the rest as one grey "other" group. More than 2D: the same scatter on
the first two principal components. 1D: one box plot per value sorted by mean, the item
nearest each value's mean shown above its box, and decodes along the latent axis at the side.
In 1D and 2D a dashed line marks the extent ``latent_grid.png`` decodes (the 1st to 99th
percentile of the training codes), so the two figures can be read together.
"""

from __future__ import annotations

import pathlib
import shutil

import numpy as np

from acvae.core import registry
from acvae.core.errors import ConfigError
from acvae.data import batches
from acvae.visualise import base, files, images, latents, plots


def file_name(label: str) -> str:
    """``embedding_<label>.png``."""
    return f"embedding_{label}.png"


def project_2d(z: np.ndarray) -> tuple[np.ndarray, tuple[str, str]]:
    """Principal-component projection of ``[N, L]`` embeddings to ``[N, 2]`` with axis labels."""
    centred = z - z.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    share = s**2 / max(float(np.sum(s**2)), 1e-12)
    labels = tuple(f"PC{i + 1} ({100 * share[i]:.0f}% of variance)" for i in range(2))
    return centred @ vt[:2].T, labels


@registry.register("visualisers", "embedding")
class Embedding(base.Visualiser):
    """Validation embeddings by each categorical label: scatter, or box plots in 1D."""

    filename = "embedding.png"
    outputs = ("embedding_*.png",)

    def __init__(self, labels=None, split: str = "validation", n_decodes: int = 8,
                 grid_percentiles=(1.0, 99.0), background="white", dpi: float = 100):
        """
        Args:
          labels: names of categorical labels, one figure each; None: every categorical label.
          split: ``"validation"`` or ``"train_eval"``.
          n_decodes: decodes along the latent axis of the 1D figure.
          grid_percentiles: the percentiles of the training codes the dashed extent marks
            (``visualisers.latent_grid.percentiles``, whose grid it outlines).
          background: colour RGBA images are composited onto.
          dpi: figure resolution.
        """
        base.check_choice("split", split, base.SPLITS)
        self.labels, self.split, self.n_decodes = labels, split, n_decodes
        self.grid_percentiles = tuple(grid_percentiles)
        self.background, self.dpi = background, dpi

    def _label_names(self, schema) -> list[str]:
        if self.labels is None:
            return [label.name for label in schema.categorical]
        try:
            return [schema.categorical_label(name).name for name in self.labels]
        except ValueError as error:  # the schema's SchemaError lists the valid labels
            raise ConfigError(f"visualisers.embedding: {error}") from None

    def on_train_end(self, run) -> list[pathlib.Path]:
        data = batches.collect(getattr(run.data, self.split), add=batches.posterior(run.model))
        extent = latents.data_range(run.training_codes(), self.grid_percentiles)
        paths = []
        for label in self._label_names(run.data.schema):
            if run.model.latent_dim == 1:
                fig = self._boxes(run, data, label, extent)
            else:
                fig = self._scatter(data, label, extent)
            paths.append(run.folder.write_figure(file_name(label), files.figure(fig)))
        if paths:  # the first label's figure is also the run's embedding.png
            main = run.folder.write_figure(self.filename,
                                           lambda tmp: shutil.copyfile(paths[0], tmp))
            paths.insert(0, main)
        return paths

    def _scatter(self, data, label, extent):
        z = data["z"]
        labels, other = plots.grouped(data[label])
        labels = np.asarray(labels, object)
        if z.shape[1] == 2:
            points, axis_labels = z, ("z1", "z2")
        else:
            points, axis_labels = project_2d(z)
        styles = plots.category_styles(labels, other)
        ncol = 1 if len(styles) <= 18 else 2
        fig = plots.new_figure((7.0 + 2.2 * ncol, 7.0), self.dpi)
        ax = fig.add_subplot()
        for category, (colour, marker) in styles.items():
            mask = labels == category
            ax.scatter(points[mask, 0], points[mask, 1], color=colour, marker=marker, s=36,
                       edgecolors="black", linewidths=0.3,
                       label=plots.literal(f"{category} ({mask.sum()})"))
        if z.shape[1] == 2:
            (x0, y0), (x1, y1) = extent
            ax.plot([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0], "--", color="0.4", lw=1,
                    label="latent_grid.png extent")
        ax.set_xlabel(axis_labels[0])
        ax.set_ylabel(axis_labels[1])
        ax.grid(alpha=0.3)
        where = "" if z.shape[1] == 2 else f", {z.shape[1]}D projected"
        ax.set_title(plots.literal(f"{self.split} embeddings (posterior means) by {label}{where}"))
        fig.legend(loc="outside right upper", fontsize=7, ncol=ncol, title=plots.literal(label),
                   frameon=False)
        return fig

    def _boxes(self, run, data, label, extent):
        z, labels = data["z"][:, 0], np.asarray(plots.grouped(data[label])[0], object)
        categories = sorted(set(labels), key=lambda c: float(np.mean(z[labels == c])))
        groups = [z[labels == c] for c in categories]
        nearest = [np.flatnonzero(labels == c)[np.argmin(np.abs(g - g.mean()))]
                   for c, g in zip(categories, groups)]
        nearest_images = images.to_rgb(data["image"][nearest], self.background)
        fill = images.fill_colour(self.background)
        count = len(categories)

        width = max(6.0, 0.5 * count + 2.0)
        fig = plots.new_figure((width, 7.5), self.dpi)
        grid = fig.add_gridspec(2, 2, height_ratios=(0.55, 4.5), width_ratios=(0.7, 0.5 * count))
        ax = fig.add_subplot(grid[1, 1])
        ax.boxplot(groups, positions=np.arange(1, count + 1), widths=0.6)
        grid_low, grid_high = float(extent[0][0]), float(extent[1][0])
        low, high = min(float(z.min()), grid_low), max(float(z.max()), grid_high)
        margin = max(0.05 * (high - low), 1e-3)
        low, high = low - margin, high + margin
        ax.set_xticks(np.arange(1, count + 1))
        names = data[run.data.schema.id]
        ticks = [plots.literal(f"{c} · {names[i]}") for c, i in zip(categories, nearest)]
        ax.set_xticklabels(ticks, rotation=90, fontsize=7)
        ax.set_xlim(0.5, count + 0.5)
        ax.grid(axis="y", alpha=0.3)
        for value in (grid_low, grid_high):
            ax.axhline(value, ls="--", color="0.4", lw=1)
        ax.tick_params(axis="y", labelleft=False)

        above = fig.add_subplot(grid[0, 1], sharex=ax)
        above.imshow(images.tile(nearest_images, count, pad=2, fill=fill),
                     extent=(0.5, count + 0.5, 0, 1), aspect="auto", interpolation="nearest")
        above.set_axis_off()
        fig.suptitle(plots.literal(f"{self.split} embeddings by {label}, sorted by mean\nabove: "
                                   "the item nearest each mean; left: decodes along z; dashed: "
                                   "the extent of latent_grid.png"),
                     fontsize=9)

        side = fig.add_subplot(grid[1, 0], sharey=ax)
        values = low + (np.arange(self.n_decodes) + 0.5) * (high - low) / self.n_decodes
        decodes = images.to_rgb(latents.decode(run.model, values[::-1, None]), self.background)
        side.imshow(images.tile(decodes, 1, pad=2, fill=fill), extent=(0, 1, low, high),
                    aspect="auto", interpolation="nearest")
        side.set_xticks([])
        side.set_ylabel("z (decodes along the axis)")
        ax.set_ylim(low, high)
        return fig
