"""``training.gif`` and ``training.mp4``: what the model draws, frame by frame over training.

The reference's training movie. Every ``EPOCH_STEP`` epochs ``on_epoch_end`` decodes, in one
batched call, the same points or items in every frame: for a 1-2 dimensional code the
``latent_grid`` layout around zero (the reference's movie); for 3 or more dimensions, where a
grid around zero shows one blend (or, for a latent map, a blob), the first ``n`` validation
items' reconstructions under their originals. It keeps the uint8 frame and appends it to
``RUN/figures/training_frames/epoch_NNNNNN.png``, so a resumed run continues the movie.
``on_train_end`` writes the GIF and the MP4 (``movies.write``: H.264 with the first frame held
a second, when ffmpeg is installed) from every stored frame up to the last epoch trained, by
epoch without duplicates, thinned evenly to ``max_frames`` (first and last kept).
"""

from __future__ import annotations

import pathlib

import numpy as np

from acvae.core import registry
from acvae.core.errors import ConfigError
from acvae.data import batches
from acvae.visualise import base, files, images, latents, movies

FRAMES_DIR = "training_frames"


@registry.register("visualisers", "training_movie")
class TrainingMovie(base.Visualiser):
    """The decoded latent grid (1-2D) or validation reconstructions (3D+) every EPOCH_STEP
    epochs, as a GIF and an MP4 (training.gif, training.mp4)."""

    filename = "training.gif"
    outputs = ("training.mp4", f"{FRAMES_DIR}/epoch_*.png")

    def __init__(self, n: int = 10, value_range=None, quantiles=(0.05, 0.95), fps: float = 10,
                 max_frames: int = 100, pad: int = 1, background="white"):
        """
        Args:
          n: decodes per row (and rows in 2D); 3D+: validation items shown.
          value_range: ``(low, high)`` latent values; ``None`` uses standard Normal quantiles.
          quantiles: probability range of the Normal quantiles.
          fps: frames per second of the GIF and the MP4.
          max_frames: longer movies are thinned evenly to this many frames.
          pad: pixels between decodes.
          background: colour RGBA images are composited onto.
        """
        if max_frames < 2:
            raise ConfigError(f"max_frames must be at least 2, got {max_frames}")
        self.n, self.value_range, self.quantiles, self.fps = n, value_range, quantiles, fps
        self.max_frames, self.pad, self.background = max_frames, pad, background
        self.frames: dict[int, np.ndarray] = {}
        self.shown: dict | None = None  # 3D+: the validation items of every frame

    def frame(self, run, epoch: int) -> np.ndarray:
        """The uint8 ``[14 + grid height, grid width, 3]`` frame of ``run.model`` at ``epoch``."""
        model = run.model
        if model.latent_dim > 2:
            if self.shown is None:
                self.shown = batches.collect(run.data.validation, limit=self.n)
            originals = self.shown["image"]
            rebuilt = np.asarray(model.reconstruct(originals, model.condition_of(self.shown)))
            decoded, cols = np.concatenate([originals, rebuilt]), len(originals)
            text = f"epoch {epoch}: validation reconstructions under their originals"
        else:
            axis = latents.axis_values(self.n, self.value_range, self.quantiles)
            z, (_, cols) = latents.latent_grid(model.latent_dim, axis)
            decoded, text = latents.decode(model, z), f"epoch {epoch}"
        rgb = images.to_rgb(decoded, self.background)
        grid = images.tile(rgb, cols, self.pad, images.fill_colour(self.background))
        caption = images.caption_strip(text, grid.shape[1], background=self.background)
        return np.concatenate([caption, grid])

    def on_epoch_end(self, run, epoch: int) -> None:
        frame = self.frame(run, epoch)
        self.frames[epoch] = frame
        run.folder.write_figure(_frame_name(epoch), files.png(frame))

    def stored_frames(self, run) -> dict[int, np.ndarray]:
        """Frames on disk and in memory up to the last epoch trained (``run.epoch`` or the last
        history row, whichever is later: post hoc, ``run.epoch`` may be the best one), by
        epoch (memory wins)."""
        import imageio.v3 as iio

        last = max([run.epoch] + [row["epoch"] for row in run.history])
        frames = {}
        for path in sorted((run.figures_dir / FRAMES_DIR).glob("epoch_*.png")):
            epoch = int(path.stem.split("_")[1])
            if epoch <= last and epoch not in self.frames:
                frames[epoch] = iio.imread(path, extension=".png")[..., :3]
        frames.update({e: f for e, f in self.frames.items() if e <= last})
        return dict(sorted(frames.items()))

    def on_train_end(self, run) -> list[pathlib.Path]:
        if run.epoch not in self.frames and not run.folder.figure(_frame_name(run.epoch)).exists():
            self.on_epoch_end(run, run.epoch)
        frames = self.stored_frames(run)
        last_shape = frames[max(frames)].shape
        epochs = [e for e, f in frames.items() if f.shape == last_shape]  # grid settings changed
        if len(epochs) > self.max_frames:
            keep = np.unique(np.round(np.linspace(0, len(epochs) - 1, self.max_frames)).astype(int))
            epochs = [epochs[i] for i in keep]
        return movies.write(run, self.filename, self.outputs[0], [frames[e] for e in epochs],
                            self.fps, images.fill_colour(self.background))


def _frame_name(epoch: int) -> str:
    return f"{FRAMES_DIR}/epoch_{epoch:06d}.png"
