"""``factors.png``: which latent dimension holds each of the dataset's known factors.

For each factor (a categorical or continuous label, ``Schema.factors``) the dimension that
alone predicts it best (``acvae.analysis.disentanglement``: SAP's score matrix) and a decoded
traversal of that dimension around the training code nearest the mean code (a real item, as in
``latent_traversals.png``), spanning the training codes along it; beside them the
factor-by-dimension importance matrix of DCI's predictor as a heatmap, over the dimensions
with the most importance (at most ``max_columns``, always each factor's best), the best ones
outlined. The scores in the title are ``evaluate``'s: the same items (training and validation
codes), the same seed. A dataset with fewer than two factors gets no figure and one line.
"""

from __future__ import annotations

import pathlib

import numpy as np

from acvae.analysis import disentanglement
from acvae.core import registry
from acvae.core.errors import ConfigError
from acvae.data import batches
from acvae.visualise import files, latents, plots
from acvae.visualise.latent_grid import SpannedGrid


@registry.register("visualisers", "factors")
class Factors(SpannedGrid):
    """Each known factor's best dimension, traversed, and the importance matrix."""

    filename = "factors.png"

    def __init__(self, n: int = 9, span: str = "data", percentiles=(1.0, 99.0),
                 value_range=None, quantiles=(0.05, 0.95), max_columns: int = 32,
                 seed: int = 0, background="white", pad: int = 2, cell_inches: float = 0.9,
                 dpi: float = 100):
        """
        Args:
          n, span, percentiles, value_range, quantiles, background, pad, cell_inches, dpi:
            as ``SpannedGrid`` (decodes per traversal and what it spans).
          max_columns: dimensions shown in the importance matrix at most.
          seed: the scores' fit/test split and trees (``disentanglement.scores``).
        """
        super().__init__(n, span, percentiles, value_range, quantiles, background, pad,
                         cell_inches, dpi)
        if isinstance(max_columns, bool) or not isinstance(max_columns, int) or max_columns < 1:
            raise ConfigError(f"visualisers.factors: max_columns must be a positive integer, "
                              f"got {max_columns!r}")
        self.max_columns, self.seed = max_columns, seed

    def scores(self, run) -> disentanglement.Scores | None:
        """``disentanglement.of_items`` of the run's training and validation codes (None, after
        one line, for a dataset of fewer than two factors), once per weights."""
        def compute():
            schema = run.data.schema
            keep = {batches.ids_key(label.name) if label.categorical else label.name
                    for label in schema.factors}
            parts = [batches.collect(split, keep=keep, add=batches.posterior(run.model))
                     for split in (run.data.train_eval, run.data.validation)]
            codes = np.concatenate([part["z"] for part in parts])
            return disentanglement.of_items(codes, parts, schema, self.seed, what=self.filename)

        return run.per_weights(f"disentanglement {self.seed}", compute)

    def on_train_end(self, run) -> list[pathlib.Path]:
        found = self.scores(run)
        if found is None:
            return []
        codes = run.training_codes()
        center = latents.nearest_to_mean(codes)
        axes, caption = self.spans(codes, center)
        dims = found.best_dimension
        z = np.repeat(center[None], len(dims) * self.n, axis=0).reshape(len(dims), self.n, -1)
        z[np.arange(len(dims)), :, dims] = axes[dims]
        grid, cell = self.decoded(run.model, z.reshape(len(dims) * self.n, -1), self.n)
        rows = len(dims)
        fig = plots.new_figure((self.n * self.cell_inches + 9.0, rows * self.cell_inches + 1.6),
                               self.dpi)
        left, right = fig.subplots(1, 2, width_ratios=(self.n * self.cell_inches + 2.5, 6.5))
        self._traversals(left, grid, cell, found, axes)
        self._importance(fig, right, found)
        fig.suptitle(f"known factors (epoch {run.epoch}): {_headline(found)}\ntraversals span "
                     f"the {caption}, around the training code nearest the mean", fontsize=9)
        return [run.folder.write_figure(self.filename, files.figure(fig))]

    def _traversals(self, ax, grid: np.ndarray, cell, found, axes: np.ndarray) -> None:
        """The traversal rows, each labelled with its factor, dimension, score and span."""
        height = cell[0] + self.pad
        ax.imshow(grid, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([r * height + cell[0] / 2 for r in range(len(found.factors))])
        ax.set_yticklabels([
            f"{name}\nz{d + 1} ({found.predictiveness[k, d]:.2f})\n"
            f"{axes[d][0]:+.2g}..{axes[d][-1]:+.2g}"
            for k, (name, d) in enumerate(zip(found.factors, found.best_dimension))],
            fontsize=7)
        ax.set_anchor("E")  # the rows' labels need the room on the left of the pictures
        ax.set_title("each factor's best dimension (its score alone), traversed", fontsize=8)
        for spine in ax.spines.values():
            spine.set_visible(False)

    def _importance(self, fig, ax, found) -> None:
        """The importance matrix over the shown dimensions, the best ones outlined."""
        from matplotlib.patches import Rectangle

        columns = shown_dimensions(found, self.max_columns)
        matrix = found.importance[:, columns]
        image = ax.imshow(matrix, cmap="viridis", vmin=0.0, aspect="auto",
                          interpolation="nearest")
        ax.set_yticks(range(len(found.factors)))
        ax.set_yticklabels(found.factors, fontsize=7)
        ax.set_xticks(range(len(columns)))
        ax.set_xticklabels([f"z{d + 1}" for d in columns], fontsize=6, rotation=90)
        for k, d in enumerate(found.best_dimension):
            col = int(np.flatnonzero(columns == d)[0])
            ax.add_patch(Rectangle((col - 0.5, k - 0.5), 1, 1, fill=False, edgecolor="red",
                                   linewidth=1.2))
        latent_dim = found.importance.shape[1]
        which = (f"the {len(columns)} of {latent_dim} dimensions with most importance"
                 if len(columns) < latent_dim else "every dimension")
        ax.set_title(f"DCI importance of each dimension to each factor\n({which}; red: "
                     "best dimension)", fontsize=8)
        fig.colorbar(image, ax=ax, fraction=0.04)


def shown_dimensions(found: disentanglement.Scores, max_columns: int) -> np.ndarray:
    """The dimensions the importance matrix shows, in index order: every factor's best one,
    then those of most total importance, ``max_columns`` at most (all best ones always)."""
    best = list(dict.fromkeys(int(d) for d in found.best_dimension))
    ranked = np.argsort(-found.importance.sum(axis=0), kind="stable")
    rest = [int(d) for d in ranked if int(d) not in best]
    return np.sort(np.asarray(best + rest[:max(0, max_columns - len(best))], np.int64))


def _headline(found: disentanglement.Scores) -> str:
    """``MIG 0.12, DCI 0.30/0.25/0.61, SAP 0.05, FactorVAE 0.40 (chance 0.06)``."""
    return (f"MIG {found.mig:.2f}, DCI {found.dci_disentanglement:.2f}/"
            f"{found.dci_completeness:.2f}/{found.dci_informativeness:.2f}, SAP {found.sap:.2f}, "
            f"FactorVAE {found.factor_vae:.2f} (chance {found.factor_vae_chance:.2f})")
