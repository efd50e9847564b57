"""``latent_usage.png``: how much each latent dimension is used, ``@visualisers.latent_usage()``.

Two bar charts over the latent dimensions, computed on a dataset split by
``acvae.analysis.metrics``: the mean KL of the posterior to a standard normal per dimension,
``0.5 * (mu^2 + exp(logvar) - logvar - 1)`` (Kingma & Welling 2014, Appendix B), and the
activity ``Var_x[E_q(z|x)[z_d]]`` with the "active unit" threshold 0.01 of Burda et al. (2016,
"Importance Weighted Autoencoders", Sec. 5.2). A collapsed dimension has KL and activity near
zero: the decoder ignores it. The mean KL and the active-unit count also go to
``latent_usage.json`` beside the figure.

Switch it on in a ``.gin`` file::

    import plugins.latent_usage
    train.visualisers = [@visualisers.loss(), @visualisers.latent_usage()]
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

from acvae.analysis import metrics
from acvae.core import registry
from acvae.data import batches
from acvae.visualise import base, files, plots

ACTIVE_THRESHOLD = 0.01


@registry.register("visualisers", "latent_usage")
class LatentUsage(base.Visualiser):
    """Per-dimension KL to N(0, 1) and activity of the posterior means (active units)."""

    filename = "latent_usage.png"
    outputs = ("latent_usage.json",)

    def __init__(self, split: str = "validation", limit: int = 1000, dpi: float = 100):
        """
        Args:
          split: ``"validation"`` or ``"train_eval"``.
          limit: at most this many images are encoded.
          dpi: figure resolution.
        """
        base.check_choice("split", split, base.SPLITS)
        self.split, self.limit, self.dpi = split, limit, dpi

    def on_train_end(self, run) -> list[pathlib.Path]:
        encoded = batches.collect(getattr(run.data, self.split), limit=self.limit,
                                  add=batches.posterior(run.model))
        kl = metrics.kl_per_dimension(encoded["z"], encoded["logvar"])
        n_active, activity = metrics.active_units(encoded["z"], ACTIVE_THRESHOLD)
        dims = np.arange(1, len(kl) + 1)
        fig = plots.new_figure((max(4.0, 0.35 * len(dims) + 2.0) * 2, 3.0), self.dpi)
        kl_axes, activity_axes = fig.subplots(1, 2)
        kl_axes.bar(dims, kl, color="tab:blue")
        kl_axes.set(xlabel="latent dimension", ylabel="nats",
                    title=f"KL to N(0, 1): {kl.sum():.2f} nats in total")
        activity_axes.bar(dims, activity,
                          color=np.where(activity > ACTIVE_THRESHOLD, "tab:green",
                                         "tab:grey").tolist())
        activity_axes.axhline(ACTIVE_THRESHOLD, color="black", linewidth=0.8, linestyle="--")
        activity_axes.set(xlabel="latent dimension", ylabel="Var of posterior mean",
                          title=f"{n_active} of {len(dims)} units active")
        for axes in (kl_axes, activity_axes):
            axes.set_xticks(dims)
        fig.suptitle(f"latent usage on {self.split} (epoch {run.epoch})", fontsize=9)
        png = run.folder.write_figure(self.filename, files.figure(fig))
        summary = {"split": self.split, "epoch": run.epoch, "kl": kl.tolist(),
                   "activity": activity.tolist(), "active_units": n_active}
        json_path = run.folder.write_figure("latent_usage.json",
                                            files.text(json.dumps(summary, indent=2) + "\n"))
        return [png, json_path]
