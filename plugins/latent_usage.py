"""``latent_usage.png``: how much each latent dimension is used, ``@visualisers.latent_usage()``.

Two bar charts over the latent dimensions, computed on a dataset split: the mean KL of the
posterior to a standard normal per dimension, ``0.5 * (mu^2 + exp(logvar) - logvar - 1)``
(Kingma & Welling 2014, Appendix B), and the activity ``Var_x[E_q(z|x)[z_d]]`` with the
"active unit" threshold 0.01 of Burda et al. (2016, "Importance Weighted Autoencoders",
Sec. 5.2). A collapsed dimension has KL and activity near zero: the decoder ignores it. The
mean KL and the active-unit count also go to ``latent_usage.json`` beside the figure.

Switch it on in a ``.gin`` file::

    import plugins.latent_usage
    train.visualisers = [@visualisers.loss(), @visualisers.latent_usage()]
"""

from __future__ import annotations

import json
import pathlib

import numpy as np

from acvae import fileio, registry
from acvae.visualise import base

ACTIVE_THRESHOLD = 0.01


def latent_usage(mean: np.ndarray, logvar: np.ndarray) -> dict[str, np.ndarray]:
    """Per-dimension usage statistics of posteriors.

    Args:
      mean: float [N, L] posterior means.
      logvar: float [N, L] posterior log-variances.

    Returns:
      {"kl": [L] mean KL(q(z_d|x) || N(0, 1)) in nats, "activity": [L] variance of the
      posterior means across the N examples}.
    """
    mean, logvar = np.asarray(mean, np.float64), np.asarray(logvar, np.float64)
    kl = 0.5 * (np.square(mean) + np.exp(logvar) - logvar - 1.0)
    return {"kl": kl.mean(axis=0), "activity": mean.var(axis=0)}


@registry.register("visualisers", "latent_usage")
class LatentUsage(base.Visualiser):
    """Per-dimension KL to N(0, 1) and activity of the posterior means (active units)."""

    filename = "latent_usage.png"

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
        means, logvars, count = [], [], 0
        for batch in getattr(run.data, self.split):
            mean, logvar = run.model.encode(batch["image"])
            means.append(np.asarray(mean))
            logvars.append(np.asarray(logvar))
            count += len(means[-1])
            if count >= self.limit:
                break
        if not means:
            raise ValueError(f"the {self.split} split is empty; nothing to visualise")
        stats = latent_usage(np.concatenate(means)[: self.limit],
                             np.concatenate(logvars)[: self.limit])
        dims = np.arange(1, len(stats["kl"]) + 1)
        active = stats["activity"] > ACTIVE_THRESHOLD
        fig = base.new_figure((max(4.0, 0.35 * len(dims) + 2.0) * 2, 3.0), self.dpi)
        kl_axes, activity_axes = fig.subplots(1, 2)
        kl_axes.bar(dims, stats["kl"], color="tab:blue")
        kl_axes.set(xlabel="latent dimension", ylabel="nats",
                    title=f"KL to N(0, 1): {stats['kl'].sum():.2f} nats in total")
        activity_axes.bar(dims, stats["activity"],
                          color=np.where(active, "tab:green", "tab:grey").tolist())
        activity_axes.axhline(ACTIVE_THRESHOLD, color="black", linewidth=0.8, linestyle="--")
        activity_axes.set(xlabel="latent dimension", ylabel="Var of posterior mean",
                          title=f"{int(active.sum())} of {len(dims)} units active")
        for axes in (kl_axes, activity_axes):
            axes.set_xticks(dims)
        fig.suptitle(f"latent usage on {self.split} (epoch {run.epoch})", fontsize=9)
        png = base.save_figure(fig, run.figures_dir / self.filename)
        summary = {"split": self.split, "epoch": run.epoch, "kl": stats["kl"].tolist(),
                   "activity": stats["activity"].tolist(), "active_units": int(active.sum())}
        json_path = run.figures_dir / "latent_usage.json"
        fileio.write_text(json_path, json.dumps(summary, indent=2) + "\n")
        return [png, json_path]
