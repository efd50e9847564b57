"""``embedding.png``: where the validation villagers land in latent space, by label.

2D: a scatter of posterior means, every category (~35 species) with its own colour and marker
and a legend. More than 2D: the same scatter on the first two principal components. 1D: one box
plot per category sorted by mean, the villager nearest each category mean shown above its box,
and decodes along the latent axis at the side. ``species`` writes ``embedding.png``; other
labels (``gender``, ``personality``) write ``embedding_<label>.png``.
"""

from __future__ import annotations

import pathlib

import numpy as np

from acvae import registry
from acvae.visualise import base

LABELS = ("species", "gender", "personality", "name")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")  # 7 is coprime with the 40 colours


def category_styles(categories) -> dict[str, tuple[tuple, str]]:
    """A distinct ``(colour, marker)`` per category (unique for up to 280 categories)."""
    from matplotlib import colormaps

    tab20, tab20b = colormaps["tab20"], colormaps["tab20b"]
    colours = [tab20(i) for i in range(0, 20, 2)] + [tab20(i) for i in range(1, 20, 2)]
    colours += [tab20b(i) for i in range(20)]
    return {
        c: (colours[i % len(colours)], MARKERS[i % len(MARKERS)])
        for i, c in enumerate(sorted(set(categories)))
    }


def file_name(label: str) -> str:
    """``embedding.png`` for species, ``embedding_<label>.png`` otherwise."""
    return "embedding.png" if label == "species" else f"embedding_{label}.png"


def project_2d(z: np.ndarray) -> tuple[np.ndarray, tuple[str, str]]:
    """Principal-component projection of ``[N, L]`` embeddings to ``[N, 2]`` with axis labels."""
    centred = z - z.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    share = s**2 / max(float(np.sum(s**2)), 1e-12)
    labels = tuple(f"PC{i + 1} ({100 * share[i]:.0f}% of variance)" for i in range(2))
    return centred @ vt[:2].T, labels


@registry.register("visualisers", "embedding")
class Embedding(base.Visualiser):
    """Validation embeddings by species (and gender, personality): scatter, or box plots in 1D."""

    filename = "embedding.png"

    def __init__(self, labels=("species", "gender", "personality"), split: str = "validation",
                 n_decodes: int = 8, background="white", dpi: float = 100):
        """
        Args:
          labels: one figure per label, coloured or grouped by it.
          split: ``"validation"`` or ``"train_eval"``.
          n_decodes: decodes along the latent axis of the 1D figure.
          background: colour RGBA images are composited onto.
          dpi: figure resolution.
        """
        unknown = [label for label in labels if label not in LABELS]
        if unknown:
            raise ValueError(f"unknown label(s) {unknown}; valid labels: {', '.join(LABELS)}")
        base.check_choice("split", split, base.SPLITS)
        self.labels, self.split, self.n_decodes = tuple(labels), split, n_decodes
        self.background, self.dpi = background, dpi

    def on_train_end(self, run) -> list[pathlib.Path]:
        data = base.collect(getattr(run.data, self.split), model=run.model)
        paths = []
        for label in self.labels:
            if run.model.latent_dim == 1:
                fig = self._boxes(run, data, label)
            else:
                fig = self._scatter(run, data, label)
            paths.append(base.save_figure(fig, run.figures_dir / file_name(label)))
        return paths

    def _scatter(self, run, data, label):
        z, labels = data["z"], data[label]
        if z.shape[1] == 2:
            points, axis_labels = z, ("z1", "z2")
        else:
            points, axis_labels = project_2d(z)
        styles = category_styles(labels)
        ncol = 1 if len(styles) <= 18 else 2
        fig = base.new_figure((7.0 + 2.2 * ncol, 7.0), self.dpi)
        ax = fig.add_subplot()
        for category, (colour, marker) in styles.items():
            mask = labels == category
            ax.scatter(points[mask, 0], points[mask, 1], color=colour, marker=marker, s=36,
                       edgecolors="black", linewidths=0.3, label=f"{category} ({mask.sum()})")
        ax.set_xlabel(axis_labels[0])
        ax.set_ylabel(axis_labels[1])
        ax.grid(alpha=0.3)
        where = "" if z.shape[1] == 2 else f", {z.shape[1]}D projected"
        ax.set_title(f"{self.split} embeddings (posterior means) by {label}{where}")
        fig.legend(loc="outside right upper", fontsize=7, ncol=ncol, title=label, frameon=False)
        return fig

    def _boxes(self, run, data, label):
        z, labels = data["z"][:, 0], data[label]
        categories = sorted(set(labels), key=lambda c: float(np.mean(z[labels == c])))
        groups = [z[labels == c] for c in categories]
        nearest = [np.flatnonzero(labels == c)[np.argmin(np.abs(g - g.mean()))]
                   for c, g in zip(categories, groups)]
        images = base.to_rgb(data["image"][nearest], self.background)
        fill = base.fill_colour(self.background)
        count = len(categories)

        width = max(6.0, 0.5 * count + 2.0)
        fig = base.new_figure((width, 7.5), self.dpi)
        grid = fig.add_gridspec(2, 2, height_ratios=(0.55, 4.5), width_ratios=(0.7, 0.5 * count))
        ax = fig.add_subplot(grid[1, 1])
        ax.boxplot(groups, positions=np.arange(1, count + 1), widths=0.6)
        low, high = float(z.min()), float(z.max())
        margin = max(0.05 * (high - low), 1e-3)
        low, high = low - margin, high + margin
        ax.set_xticks(np.arange(1, count + 1))
        names = data.get("name")
        ticks = [c if names is None else f"{c} · {names[i]}" for c, i in zip(categories, nearest)]
        ax.set_xticklabels(ticks, rotation=90, fontsize=7)
        ax.set_xlim(0.5, count + 0.5)
        ax.grid(axis="y", alpha=0.3)
        ax.tick_params(axis="y", labelleft=False)

        above = fig.add_subplot(grid[0, 1], sharex=ax)
        above.imshow(base.tile(images, count, pad=2, fill=fill), extent=(0.5, count + 0.5, 0, 1),
                     aspect="auto", interpolation="nearest")
        above.set_axis_off()
        fig.suptitle(f"{self.split} embeddings by {label}, sorted by mean\nabove: the villager "
                     "nearest each mean; left: decodes along z", fontsize=9)

        side = fig.add_subplot(grid[1, 0], sharey=ax)
        values = low + (np.arange(self.n_decodes) + 0.5) * (high - low) / self.n_decodes
        decodes = base.to_rgb(base.decode(run.model, values[::-1, None]), self.background)
        side.imshow(base.tile(decodes, 1, pad=2, fill=fill), extent=(0, 1, low, high),
                    aspect="auto", interpolation="nearest")
        side.set_xticks([])
        side.set_ylabel("z (decodes along the axis)")
        ax.set_ylim(low, high)
        return fig
