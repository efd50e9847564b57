"""``samples.png``: a first look at the data, as in the reference README.

Eight dataset items (the first of the fixed-order training split), each titled with its
identifier and, below it, its first ``MAX_LABELS`` categorical labels (for villagers: name, then
gender, personality and species; the synthetic villagers' other factors would not fit).
"""

from __future__ import annotations

import pathlib

from acvae.core import registry
from acvae.data import batches
from acvae.visualise import base, files, images, plots

MAX_LABELS = 3  # categorical labels under each item's name (a title line holds about three)


@registry.register("visualisers", "samples")
class Samples(base.Visualiser):
    """Eight dataset items titled with their identifier and categorical labels."""

    filename = "samples.png"

    def __init__(self, n: int = 8, cols: int = 4, split: str = "train_eval",
                 background="white", dpi: float = 100):
        """
        Args:
          n: items shown.
          cols: items per row.
          split: ``"train_eval"`` (training items, fixed order) or ``"validation"``.
          background: colour RGBA images are composited onto.
          dpi: figure resolution; each item takes 2 x 2.4 inches.
        """
        base.check_choice("split", split, base.SPLITS)
        self.n, self.cols, self.split = n, cols, split
        self.background, self.dpi = background, dpi

    def on_train_end(self, run) -> list[pathlib.Path]:
        schema = run.data.schema
        data = batches.collect(getattr(run.data, self.split), limit=self.n)
        shown = images.to_rgb(data["image"], self.background)
        # the first categorical label (the default one) ends the line: "Female, Peppy, Frog"
        labels = [label.name for label in reversed(schema.categorical[:MAX_LABELS])]
        titles = [f"{data[schema.id][i]}\n{', '.join(str(data[label][i]) for label in labels)}"
                  for i in range(len(shown))]
        fig = plots.titled_grid(shown, titles, self.cols, (2.0, 2.4), self.dpi)
        return [run.folder.write_figure(self.filename, files.figure(fig))]
