"""Animations of a run as a GIF and an MP4 side by side (``latent_walk``, ``training_movie``).

``write`` stores the GIF (always) and the H.264 MP4 (when ffmpeg works: ``files.mp4``). Without
a working ffmpeg the GIF still appears, and the reason is logged once per process (through
absl logging, so ``--log_dir`` keeps it) however many movies are skipped.
"""

from __future__ import annotations

import pathlib

import numpy as np
from absl import logging

from acvae.visualise import files


_warned = False  # whether this process has said why it writes no MP4


def _warn_once(reason: str) -> None:
    global _warned
    if not _warned:
        logging.warning("no MP4 videos: %s; the GIFs are written", reason)
        _warned = True


def write(run, gif_name: str, mp4_name: str, frames: list[np.ndarray], fps: float,
          fill=(255, 255, 255)) -> list[pathlib.Path]:
    """Writes uint8 ``[H, W, 3]`` ``frames`` as ``figures/<gif_name>`` and ``figures/<mp4_name>``.

    Args:
      run: the ``Run`` whose folder gets the files.
      gif_name, mp4_name: declared figure names.
      frames: the movie, at least one frame.
      fps: frames per second of both.
      fill: uint8 RGB colour that pads MP4 frames to even sizes.

    Returns:
      The paths written: the GIF, then the MP4 unless ffmpeg is unavailable.
    """
    paths = [run.folder.write_figure(gif_name, files.gif(frames, fps))]
    try:
        paths.append(run.folder.write_figure(mp4_name, files.mp4(frames, fps, fill=fill)))
    except files.VideoUnavailable as error:
        _warn_once(str(error))
    return paths
