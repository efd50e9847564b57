"""``nearest_train.png``: generated samples beside their nearest training image.

The reference spotted overfitting by eye (a 2D model decoding near copies of Agent S and
Peanut); this does it automatically. Samples from the model's ``sampler`` are decoded; each is
shown above the training item closest in pixel space (``metrics.nearest``: per-pixel RMS over
the model's channels), with that distance. The title gives ``metrics.memorisation``: the
median distance of the samples to their nearest training image, that of the real validation
images, and their ratio (well below 1: the model reproduces its training set).
"""

from __future__ import annotations

import pathlib

import numpy as np

from acvae.analysis import metrics
from acvae.core import registry
from acvae.data import batches
from acvae.visualise import base, files, images, plots


@registry.register("visualisers", "nearest_train")
class NearestTrain(base.Visualiser):
    """Generated samples above their nearest training image: an automatic overfitting check."""

    filename = "nearest_train.png"

    def __init__(self, n: int = 8, cols: int = 8, seed: int = 0, background="white",
                 dpi: float = 100):
        """
        Args:
          n: samples drawn.
          cols: samples per row pair.
          seed: sampling seed, so the figure is comparable across epochs and runs.
          background: colour RGBA images are composited onto.
          dpi: figure resolution; each image takes 1.2 x 1.35 inches.
        """
        self.n, self.cols, self.seed, self.background, self.dpi = n, cols, seed, background, dpi

    def on_train_end(self, run) -> list[pathlib.Path]:
        samples = np.asarray(run.model.sample(self.n, seed=self.seed))
        train = batches.collect(run.data.train_eval)
        validation = batches.collect(run.data.validation)
        index, distance = metrics.nearest(samples, train["image"])
        summary = metrics.memorisation(samples, train["image"], validation["image"])
        fig, axes = plots.image_pairs(images.to_rgb(samples, self.background),
                                      images.to_rgb(train["image"][index], self.background),
                                      self.cols, self.dpi, ("sample", "nearest train"),
                                      extra_height=0.5)
        names = train[run.data.schema.id]
        for i, (_, bottom) in enumerate(axes):
            bottom.set_title(plots.literal(f"{names[index[i]]}\nd={distance[i]:.3f}"),
                             fontsize=7)
        fig.suptitle(
            f"samples vs nearest training image (epoch {run.epoch}): median RMS distance to "
            f"it {summary['samples_to_train']:.3f}, validation images' "
            f"{summary['validation_to_train']:.3f} (ratio {summary['ratio']:.2f})", fontsize=8)
        return [run.folder.write_figure(self.filename, files.figure(fig))]
