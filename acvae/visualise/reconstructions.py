"""``reconstructions.png``: validation villagers beside their reconstructions.

Each original (titled with its name) sits above its reconstruction: the decoded posterior mean.
"""

from __future__ import annotations

import pathlib

import numpy as np

from acvae import registry
from acvae.visualise import base


@registry.register("visualisers", "reconstructions")
class Reconstructions(base.Visualiser):
    """Validation originals above their reconstructions (decoded posterior means)."""

    filename = "reconstructions.png"

    def __init__(self, n: int = 16, cols: int = 8, split: str = "validation",
                 background="white", dpi: float = 100):
        """
        Args:
          n: villagers shown.
          cols: villagers per row pair.
          split: ``"validation"`` or ``"train_eval"``.
          background: colour RGBA images are composited onto.
          dpi: figure resolution; each image takes 1.2 x 1.35 inches.
        """
        base.check_choice("split", split, base.SPLITS)
        self.n, self.cols, self.split, self.background, self.dpi = n, cols, split, background, dpi

    def on_train_end(self, run) -> list[pathlib.Path]:
        data = base.collect(getattr(run.data, self.split), limit=self.n)
        originals = base.to_rgb(data["image"], self.background)
        rebuilt = base.to_rgb(np.asarray(run.model.reconstruct(data["image"])), self.background)
        fig, axes = base.image_pairs(originals, rebuilt, self.cols, self.dpi,
                                     ("original", "reconstruction"))
        if "name" in data:
            for i, (top, _) in enumerate(axes):
                top.set_title(str(data["name"][i]), fontsize=7)
        fig.suptitle(f"{self.split} reconstructions (epoch {run.epoch})", fontsize=9)
        return [base.save_figure(fig, run.figures_dir / self.filename)]
