"""Both animations as GIF and H.264 MP4 through imageio, frame counts read back by imageio; a
missing or broken ffmpeg leaves the GIFs and one logged line."""

import logging
import sys

import imageio.v3 as iio
import numpy as np
import pytest

from acvae.visualise import files, latent_walk, movies, training_movie
from tests.visualise.tiny_runs import IMAGE, make_run

FPS = 4


@pytest.fixture(scope="module")
def run(tmp_path_factory, villagers_tfrecord):
    return make_run(tmp_path_factory.mktemp("movies"), villagers_tfrecord, latent_dim=2,
                    n_channels=4)


@pytest.fixture
def fresh_ffmpeg(monkeypatch):
    """Each test may log its missing-ffmpeg line again (imageio-ffmpeg reads
    ``IMAGEIO_FFMPEG_EXE`` on every call)."""
    monkeypatch.setattr(movies, "_warned", False)
    return monkeypatch


def write_both(run, n_walk=6, n_epochs=3):
    walk = latent_walk.LatentWalk(n_frames=n_walk, fps=FPS, min_size=2 * IMAGE)
    movie = training_movie.TrainingMovie(n=3, fps=FPS)
    for epoch in range(1, n_epochs + 1):
        movie.on_epoch_end(run, epoch)
    return walk.on_train_end(run) + movie.on_train_end(run)


def test_gifs_and_mp4s_hold_every_frame_and_the_mp4s_open_on_a_still_first_frame(run,
                                                                               fresh_ffmpeg):
    paths = write_both(run)
    assert [p.name for p in paths] == ["latent_walk.gif", "latent_walk.mp4", "training.gif",
                                       "training.mp4"]
    for gif, mp4, n_frames in ((paths[0], paths[1], 6), (paths[2], paths[3], 3)):
        gif_frames = iio.imread(gif, index=None)
        assert gif_frames.shape[0] == n_frames
        video = iio.imread(mp4, plugin="FFMPEG", index=None)
        assert video.shape[0] == n_frames + FPS  # the first frame is held one second
        assert video.shape[1] % 2 == 0 and video.shape[2] % 2 == 0
        assert abs(video.shape[1] - gif_frames.shape[1]) <= 1
        assert abs(video.shape[2] - gif_frames.shape[2]) <= 1
        assert iio.immeta(mp4, plugin="FFMPEG")["codec"] == "h264"
        assert iio.immeta(mp4, plugin="FFMPEG")["fps"] == FPS
        held = video[: FPS + 1].astype(int)
        assert np.abs(held - held[0]).max() <= 8  # H.264 noise only
        assert np.abs(video[-1].astype(int) - video[0]).mean() > 1  # the movie moves


def test_even_frames_pad_odd_sizes_with_the_fill_colour():
    frames = np.zeros((2, 5, 7, 3), np.uint8)
    padded = files.even_frames(frames, fill=(255, 0, 0))
    assert padded.shape == (2, 6, 8, 3)
    assert (padded[:, 5, :, 0] == 255).all() and (padded[:, :5, :7] == 0).all()


@pytest.mark.parametrize("ffmpeg", ["missing-wheel", "missing-binary", "failing-binary",
                                    "silent-binary"])
def test_without_a_working_ffmpeg_the_gifs_appear_and_one_line_says_why(
        run, fresh_ffmpeg, tmp_path, caplog, ffmpeg):
    for path in run.figures_dir.glob("*.mp4"):
        path.unlink()
    if ffmpeg == "missing-wheel":
        fresh_ffmpeg.setitem(sys.modules, "imageio_ffmpeg", None)
    elif ffmpeg == "missing-binary":
        fresh_ffmpeg.setenv("IMAGEIO_FFMPEG_EXE", str(tmp_path / "no-such-ffmpeg"))
    else:  # exits 1 at once, or reads every frame and writes nothing
        script = tmp_path / "ffmpeg"
        body = "exit 1" if ffmpeg == "failing-binary" else "cat > /dev/null"
        script.write_text(f"#!/bin/sh\n{body}\n")
        script.chmod(0o755)
        fresh_ffmpeg.setenv("IMAGEIO_FFMPEG_EXE", str(script))
    with caplog.at_level(logging.WARNING):
        paths = write_both(run, n_walk=3, n_epochs=2)
    assert [p.name for p in paths] == ["latent_walk.gif", "training.gif"]
    assert iio.imread(paths[0], index=None).shape[0] == 3
    assert not list(run.figures_dir.glob("*.mp4"))
    lines = [r.getMessage() for r in caplog.records if "MP4" in r.getMessage()]
    assert len(lines) == 1 and "\n" not in lines[0], lines
    if ffmpeg == "missing-wheel":
        assert "pip install 'acvae[video]'" in lines[0]
