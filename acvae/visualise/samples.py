"""``samples.png``: a first look at the data, as in the reference README.

Eight dataset villagers (the first of the fixed-order training split), each titled with the
villager's name and, below it, gender, personality and species.
"""

from __future__ import annotations

import math
import pathlib

from acvae import registry
from acvae.visualise import base


@registry.register("visualisers", "samples")
class Samples(base.Visualiser):
    """Eight dataset villagers titled with name, gender, personality and species."""

    filename = "samples.png"

    def __init__(self, n: int = 8, cols: int = 4, split: str = "train_eval",
                 background="white", dpi: float = 100):
        """
        Args:
          n: villagers shown.
          cols: villagers per row.
          split: ``"train_eval"`` (training villagers, fixed order) or ``"validation"``.
          background: colour RGBA images are composited onto.
          dpi: figure resolution; each villager takes 2 x 2.4 inches.
        """
        base.check_choice("split", split, base.SPLITS)
        self.n, self.cols, self.split = n, cols, split
        self.background, self.dpi = background, dpi

    def on_train_end(self, run) -> list[pathlib.Path]:
        data = base.collect(getattr(run.data, self.split), limit=self.n)
        images = base.to_rgb(data["image"], self.background)
        n = len(images)
        cols = min(self.cols, n)
        rows = math.ceil(n / cols)
        fig = base.new_figure((2.0 * cols, 2.4 * rows), self.dpi)
        for i in range(n):
            ax = fig.add_subplot(rows, cols, i + 1)
            ax.imshow(images[i], interpolation="nearest")
            ax.set_axis_off()
            details = ", ".join(
                str(data[k][i]) for k in ("gender", "personality", "species") if k in data)
            ax.set_title(f"{data.get('name', ['?'] * n)[i]}\n{details}", fontsize=8)
        return [base.save_figure(fig, run.figures_dir / self.filename)]
