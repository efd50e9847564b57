"""``nearest_train.png``: generated samples beside their nearest training image.

The reference spotted overfitting by eye (a 2D model decoding near copies of Agent S and
Peanut); this does it automatically. Samples from the prior are decoded; each is shown above the
training villager closest in pixel space (RMS over the displayed RGB), with that distance. The
title compares the median distance to the nearest training image with the median distance to
the nearest validation image: a ratio well below 1 means the model reproduces its training set.
"""

from __future__ import annotations

import pathlib

import numpy as np

from acvae import registry
from acvae.visualise import base


def nearest(queries: np.ndarray, references: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index and RMS distance of the nearest reference for each query (uint8 ``[N, H, W, 3]``)."""
    q = queries.reshape(len(queries), -1).astype(np.float32) / 255.0
    r = references.reshape(len(references), -1).astype(np.float32) / 255.0
    squared = (q**2).sum(1)[:, None] - 2.0 * q @ r.T + (r**2).sum(1)[None, :]
    index = np.argmin(squared, axis=1)
    distance = np.sqrt(np.maximum(squared[np.arange(len(q)), index], 0.0) / q.shape[1])
    return index, distance


@registry.register("visualisers", "nearest_train")
class NearestTrain(base.Visualiser):
    """Generated samples above their nearest training image: an automatic overfitting check."""

    filename = "nearest_train.png"

    def __init__(self, n: int = 8, cols: int = 8, seed: int = 0, background="white",
                 dpi: float = 100):
        """
        Args:
          n: samples drawn from the prior.
          cols: samples per row pair.
          seed: sampling seed, so the figure is comparable across epochs and runs.
          background: colour RGBA images are composited onto (distances are measured on it).
          dpi: figure resolution; each image takes 1.2 x 1.35 inches.
        """
        self.n, self.cols, self.seed, self.background, self.dpi = n, cols, seed, background, dpi

    def on_train_end(self, run) -> list[pathlib.Path]:
        samples = base.to_rgb(np.asarray(run.model.sample(self.n, seed=self.seed)), self.background)
        train = base.collect(run.data.train_eval)
        train_images = base.to_rgb(train["image"], self.background)
        index, distance = nearest(samples, train_images)
        _, val_distance = nearest(samples, base.to_rgb(base.collect(run.data.validation)["image"],
                                                       self.background))
        fig, axes = base.image_pairs(samples, train_images[index], self.cols, self.dpi,
                                     ("sample", "nearest train"), extra_height=0.5)
        for i, (_, bottom) in enumerate(axes):
            name = str(train["name"][index[i]]) if "name" in train else f"#{index[i]}"
            bottom.set_title(f"{name}\nd={distance[i]:.3f}", fontsize=7)
        train_median, val_median = float(np.median(distance)), float(np.median(val_distance))
        ratio = train_median / max(val_median, 1e-12)
        fig.suptitle(
            f"samples vs nearest training image (epoch {run.epoch}): median RMS distance "
            f"{train_median:.3f} to train, {val_median:.3f} to validation (ratio {ratio:.2f})",
            fontsize=8,
        )
        return [base.save_figure(fig, run.figures_dir / self.filename)]
