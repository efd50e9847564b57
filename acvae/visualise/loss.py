"""``loss.png``: training and validation loss by epoch, as in the reference README.

Three panels from the run's history: the loss (what is minimised), the reconstruction term
and the KL term, each with a training and a validation curve, in nats per image. When the
figure is drawn for an earlier epoch than the last (the best checkpoint, post hoc), a dotted
line marks it. ``loss_figure`` is also the index page's chart.
"""

from __future__ import annotations

import pathlib

from acvae.core import registry
from acvae.visualise import base, files, plots

PANELS = (("loss", "loss (nats / image)"), ("reconstruction", "reconstruction"), ("kl", "KL"))


def loss_figure(history: list[dict], width: float, height: float, dpi: float,
                log_scale: bool = False, epoch: int | None = None, panels=PANELS):
    """The loss panels of ``history`` rows as a matplotlib figure.

    Args:
      history: ``history.csv`` rows.
      width, height: figure size in inches.
      dpi: figure resolution.
      log_scale: symlog y axes.
      epoch: marked with a dotted line when it is not the last row's.
      panels: ``(metric, title)`` pairs, one panel each.
    """
    from matplotlib.ticker import MaxNLocator

    fig = plots.new_figure((width, height), dpi)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    epochs = [row["epoch"] for row in history]
    for ax, (metric, title) in zip(axes, panels):
        for split, label, style in (("train", "train", "-"), ("val", "validation", "--")):
            values = [row.get(f"{split}_{metric}") for row in history]
            if values and all(v is not None for v in values):
                marker = "." if len(epochs) < 30 else None
                ax.plot(epochs, values, style, marker=marker, label=label)
        if epoch is not None and epochs and epoch != epochs[-1]:
            ax.axvline(epoch, color="grey", linestyle=":", label=f"epoch {epoch} (shown)")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if log_scale and history:
            ax.set_yscale("symlog")
        ax.grid(alpha=0.3)
        if history:
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, "no epochs yet", ha="center", va="center", transform=ax.transAxes)
    return fig


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
        fig = loss_figure(run.history, self.width, self.height, self.dpi, self.log_scale,
                          run.epoch)
        return [run.folder.write_figure(self.filename, files.figure(fig))]
