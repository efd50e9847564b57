"""``reconstructions.png``: validation items beside their reconstructions.

Each original (titled with its identifier) sits above its reconstruction: the decoded
posterior mean, under the condition the item feeds the model (if it conditions on a label).
"""

from __future__ import annotations

import pathlib

import numpy as np

from acvae.core import registry
from acvae.data import batches
from acvae.visualise import base, files, images, plots


@registry.register("visualisers", "reconstructions")
class Reconstructions(base.Visualiser):
    """Validation originals above their reconstructions (decoded posterior means)."""

    filename = "reconstructions.png"

    def __init__(self, n: int = 16, cols: int = 8, split: str = "validation",
                 background="white", dpi: float = 100):
        """
        Args:
          n: items shown.
          cols: items per row pair.
          split: ``"validation"`` or ``"train_eval"``.
          background: colour RGBA images are composited onto.
          dpi: figure resolution; each image takes 1.2 x 1.35 inches.
        """
        base.check_choice("split", split, base.SPLITS)
        self.n, self.cols, self.split, self.background, self.dpi = n, cols, split, background, dpi

    def on_train_end(self, run) -> list[pathlib.Path]:
        model, schema = run.model, run.data.schema
        data = batches.collect(getattr(run.data, self.split), limit=self.n)
        originals = images.to_rgb(data["image"], self.background)
        rebuilt = model.reconstruct(data["image"], model.condition_of(data))
        fig, axes = plots.image_pairs(originals, images.to_rgb(np.asarray(rebuilt),
                                                               self.background),
                                      self.cols, self.dpi, ("original", "reconstruction"))
        for i, (top, _) in enumerate(axes):
            top.set_title(plots.literal(data[schema.id][i]), fontsize=7)
        fig.suptitle(f"{self.split} reconstructions (epoch {run.epoch})", fontsize=9)
        return [run.folder.write_figure(self.filename, files.figure(fig))]
