"""``training.gif``: the decoded latent grid at fixed latent points as training goes on.

The reference's training movie. Every ``EPOCH_STEP`` epochs ``on_epoch_end`` decodes the fixed
points (the ``latent_grid`` layout around zero) in one batched call, keeps the uint8 frame and
appends it to ``RUN/figures/training_frames/epoch_NNNNNN.png``, so a resumed run continues the
movie. ``on_train_end`` writes the GIF from every stored frame up to the run's epoch, ordered by
epoch without duplicates, thinned evenly to ``max_frames`` (first and last kept).
"""

from __future__ import annotations

import pathlib
import time

import numpy as np

from acvae import registry
from acvae.visualise import base

FRAMES_DIR = "training_frames"


@registry.register("visualisers", "training_movie")
class TrainingMovie(base.Visualiser):
    """The decoded latent grid every EPOCH_STEP epochs, as a GIF (training.gif)."""

    filename = "training.gif"

    def __init__(self, n: int = 10, value_range=None, quantiles=(0.05, 0.95), fps: float = 10,
                 max_frames: int = 100, pad: int = 1, background="white"):
        """
        Args:
          n: decodes per row (and rows in 2D); 3D+ has one row per dimension.
          value_range: ``(low, high)`` latent values; ``None`` uses standard Normal quantiles.
          quantiles: probability range of the Normal quantiles.
          fps: frames per second of the GIF.
          max_frames: longer movies are thinned evenly to this many frames.
          pad: pixels between decodes.
          background: colour RGBA images are composited onto.
        """
        if max_frames < 2:
            raise ValueError(f"max_frames must be at least 2, got {max_frames}")
        self.n, self.value_range, self.quantiles, self.fps = n, value_range, quantiles, fps
        self.max_frames, self.pad, self.background = max_frames, pad, background
        self.frames: dict[int, np.ndarray] = {}
        self.frame_seconds: list[float] = []

    def frame(self, model, epoch: int) -> np.ndarray:
        """The uint8 ``[14 + grid height, grid width, 3]`` frame of ``model`` at ``epoch``."""
        axis = base.axis_values(self.n, self.value_range, self.quantiles)
        z, (_, cols) = base.latent_grid(model.latent_dim, axis)
        images = base.to_rgb(base.decode(model, z), self.background)
        grid = base.tile(images, cols, self.pad, base.fill_colour(self.background))
        caption = base.caption_strip(f"epoch {epoch}", grid.shape[1], background=self.background)
        return np.concatenate([caption, grid])

    def on_epoch_end(self, run, epoch: int) -> None:
        start = time.perf_counter()
        frame = self.frame(run.model, epoch)
        self.frames[epoch] = frame
        base.save_png(frame, run.figures_dir / FRAMES_DIR / f"epoch_{epoch:06d}.png")
        self.frame_seconds.append(time.perf_counter() - start)

    def stored_frames(self, run) -> dict[int, np.ndarray]:
        """Frames on disk and in memory up to ``run.epoch``, by epoch (memory wins)."""
        from PIL import Image

        frames = {}
        for path in sorted((run.figures_dir / FRAMES_DIR).glob("epoch_*.png")):
            epoch = int(path.stem.split("_")[1])
            if epoch <= run.epoch and epoch not in self.frames:
                frames[epoch] = np.asarray(Image.open(path).convert("RGB"))
        frames.update({e: f for e, f in self.frames.items() if e <= run.epoch})
        return dict(sorted(frames.items()))

    def on_train_end(self, run) -> list[pathlib.Path]:
        if run.epoch not in self.frames and not (
            run.figures_dir / FRAMES_DIR / f"epoch_{run.epoch:06d}.png"
        ).exists():
            self.on_epoch_end(run, run.epoch)
        frames = self.stored_frames(run)
        last_shape = frames[max(frames)].shape
        epochs = [e for e, f in frames.items() if f.shape == last_shape]  # grid settings changed
        if len(epochs) > self.max_frames:
            keep = np.unique(np.round(np.linspace(0, len(epochs) - 1, self.max_frames)).astype(int))
            epochs = [epochs[i] for i in keep]
        path = run.figures_dir / self.filename
        return [base.save_gif([frames[e] for e in epochs], path, self.fps)]
