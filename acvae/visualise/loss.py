"""``loss.png``: training and validation loss by epoch, as in the reference README.

Three panels from the run's history: the loss (reconstruction + beta * KL), the reconstruction
term and the KL term, each with a training and a validation curve, in nats per image.
"""

from __future__ import annotations

import pathlib

from acvae import registry
from acvae.visualise import base

PANELS = (("loss", "loss (nats / image)"), ("reconstruction", "reconstruction"), ("kl", "KL"))


@registry.register("visualisers", "loss")
class Loss(base.Visualiser):
    """Train and validation loss by epoch; reconstruction and KL in their own panels."""

    filename = "loss.png"

    def __init__(self, log_scale: bool = False, width: float = 12.0, height: float = 3.6,
                 dpi: float = 100):
        """
        Args:
          log_scale: log y axes (useful when the first epochs dwarf the rest).
          width, height: figure size in inches.
          dpi: figure resolution.
        """
        self.log_scale, self.width, self.height, self.dpi = log_scale, width, height, dpi

    def on_train_end(self, run) -> list[pathlib.Path]:
        from matplotlib.ticker import MaxNLocator

        fig = base.new_figure((self.width, self.height), self.dpi)
        axes = fig.subplots(1, len(PANELS))
        epochs = [row["epoch"] for row in run.history]
        for ax, (metric, title) in zip(axes, PANELS):
            for split, label, style in (("train", "train", "-"), ("val", "validation", "--")):
                values = [row.get(f"{split}_{metric}") for row in run.history]
                if values and all(v is not None for v in values):
                    marker = "." if len(epochs) < 30 else None
                    ax.plot(epochs, values, style, marker=marker, label=label)
            ax.set_title(title)
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if self.log_scale and run.history:
                ax.set_yscale("symlog")
            ax.grid(alpha=0.3)
            if run.history:
                ax.legend(fontsize=8)
            else:
                ax.text(0.5, 0.5, "no epochs yet", ha="center", va="center", transform=ax.transAxes)
        return [base.save_figure(fig, run.figures_dir / self.filename)]
