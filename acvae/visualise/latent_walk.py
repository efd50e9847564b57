"""``latent_walk.gif`` and ``latent_walk.mp4``: a smooth walk across the latent space, as in the
reference README.

1D: end to end along the latent axis, from the lowest to the highest mean of a label's values
(or over ``value_range``). 2D and more: through the mean embedding of every value of the label
(the dataset's first categorical label unless ``label`` names another), visiting them in
nearest-neighbour order from the one lowest on z1. A dataset without a categorical label (or
whose label has one value) is walked along the prior's diagonal (the axis in 1D) instead,
unless ``label`` names a label it does not have. The walk goes at constant speed. All frames
are decoded in one batched call; each carries a caption (the latent value, or the nearest
label value) and a progress bar. The MP4 (H.264, ``movies.write``) holds the first frame a
second and needs ffmpeg (``pip install 'acvae[video]'``); without it only the GIF is written.
"""

from __future__ import annotations

import pathlib

import numpy as np

from acvae.core import registry
from acvae.core.errors import ConfigError
from acvae.data import batches
from acvae.visualise import base, images, latents, movies


def tour(points: np.ndarray) -> np.ndarray:
    """Greedy nearest-neighbour order of ``[K, L]`` points from the lowest first coordinate."""
    remaining = list(range(len(points)))
    order = [remaining.pop(int(np.argmin(points[:, 0])))]
    while remaining:
        distances = np.linalg.norm(points[remaining] - points[order[-1]], axis=1)
        order.append(remaining.pop(int(np.argmin(distances))))
    return np.asarray(order)


def along_path(waypoints: np.ndarray, n: int) -> np.ndarray:
    """``n`` points ``[n, L]`` at equal arc length along the polyline through ``[K, L]`` points."""
    segments = np.linalg.norm(np.diff(waypoints, axis=0), axis=1)
    cumulative = np.concatenate([[0.0], np.cumsum(segments)])
    if cumulative[-1] <= 0:
        return np.repeat(waypoints[:1], n, axis=0)
    positions = np.linspace(0.0, cumulative[-1], n)
    return np.stack(
        [np.interp(positions, cumulative, waypoints[:, d]) for d in range(waypoints.shape[1])],
        axis=1,
    ).astype(np.float32)


@registry.register("visualisers", "latent_walk")
class LatentWalk(base.Visualiser):
    """A GIF and an MP4 walking the latent axis (1D) or through a label's means (2D+), at
    constant speed."""

    filename = "latent_walk.gif"
    outputs = ("latent_walk.mp4",)

    def __init__(self, n_frames: int = 120, fps: float = 20, value_range=None,
                 quantiles=(0.01, 0.99), label: str | None = None, split: str = "validation",
                 min_size: int = 128, background="white"):
        """
        Args:
          n_frames: frames of the walk (the MP4 adds a second of the first one).
          fps: frames per second.
          value_range: ``(low, high)`` ends of a 1D walk; ``None`` spans the label's means.
          quantiles: Normal probabilities of the ends of the walk when the data has a single
            category (a 1D walk, or the diagonal in 2D+) and ``value_range`` is ``None``.
          label: a categorical label; the walk visits the mean embedding of each of its values.
            None: the dataset's first categorical label.
          split: the embeddings whose means are visited.
          min_size: frames are upscaled (nearest neighbour) to at least this many pixels.
          background: colour RGBA images are composited onto.
        """
        if n_frames < 2:
            raise ConfigError(f"a walk needs at least 2 frames, got n_frames={n_frames}")
        base.check_choice("split", split, base.SPLITS)
        self.n_frames, self.fps = n_frames, fps
        self.value_range, self.quantiles = value_range, quantiles
        self.label, self.split, self.min_size, self.background = label, split, min_size, background

    def path(self, run) -> tuple[np.ndarray, list[str]]:
        """The walk's latent points ``[n_frames, L]`` and a caption per frame."""
        latent_dim = run.model.latent_dim
        if self.value_range is not None and latent_dim == 1:
            z = np.linspace(*self.value_range, self.n_frames, dtype=np.float32)[:, None]
            return z, [f"z = {v:+.2f}" for v in z[:, 0]]
        categories = []
        if self.label is not None or run.data.schema.categorical:
            try:
                label = run.data.schema.categorical_label(self.label).name
            except ValueError as error:  # the schema's SchemaError
                raise ConfigError(f"visualisers.latent_walk: {error}") from None
            data = batches.collect(getattr(run.data, self.split),
                                   add=batches.posterior(run.model))
            categories = sorted(set(data[label]))
        if len(categories) < 2:  # nothing to walk through: along the diagonal of the prior
            low, high = latents.axis_values(2, self.value_range, self.quantiles)
            ends = np.stack([np.full(latent_dim, low), np.full(latent_dim, high)])
            z = along_path(ends, self.n_frames)
            return z, [f"z = ({', '.join(f'{v:+.1f}' for v in point)})" for point in z]
        means = np.stack([data["z"][data[label] == c].mean(axis=0) for c in categories])
        order = np.argsort(means[:, 0]) if latent_dim == 1 else tour(means)
        z = along_path(means[order], self.n_frames)
        nearest = np.argmin(np.linalg.norm(z[:, None, :] - means[None], axis=2), axis=1)
        if latent_dim == 1:
            return z, [f"z = {v:+.2f} {categories[i]}" for v, i in zip(z[:, 0], nearest)]
        return z, [f"near {categories[i]}" for i in nearest]

    def on_train_end(self, run) -> list[pathlib.Path]:
        z, captions = self.path(run)
        decoded = images.to_rgb(latents.decode(run.model, z), self.background)
        decoded = images.upscale(decoded, self.min_size)
        width = decoded.shape[2]
        frames = [
            np.concatenate([images.caption_strip(text, width, background=self.background,
                                                 progress=(i + 1) / len(decoded)), image])
            for i, (text, image) in enumerate(zip(captions, decoded))
        ]
        return movies.write(run, self.filename, self.outputs[0], frames, self.fps,
                            images.fill_colour(self.background))
