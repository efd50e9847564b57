"""The shared helpers: compositing, tiling, latent points, atomic writes, argument checks."""

import os

import numpy as np
import pytest

from acvae.core import fileio, registry
from acvae.visualise import files, images, latents


def test_rgba_is_composited_onto_the_background_and_grey_becomes_rgb():
    rgba = np.zeros((1, 2, 2, 4), np.float32)
    rgba[0, 0, 0] = (1.0, 0.0, 0.0, 1.0)  # opaque red
    rgba[0, 0, 1] = (1.0, 0.0, 0.0, 0.5)  # half-transparent red
    white = images.to_rgb(rgba)
    assert tuple(white[0, 0, 0]) == (255, 0, 0)
    assert tuple(white[0, 0, 1]) == (255, 128, 128)
    assert tuple(white[0, 1, 1]) == (255, 255, 255)  # transparent -> background
    assert tuple(images.to_rgb(rgba, background="black")[0, 1, 1]) == (0, 0, 0)
    grey = images.to_rgb(np.full((2, 2, 1), 0.5, np.float32))
    assert grey.shape == (2, 2, 3) and (grey == 128).all()
    with pytest.raises(ValueError, match="1, 3 or 4 channels"):
        images.to_rgb(np.zeros((1, 2, 2, 2)))
    with pytest.raises(ValueError, match="unknown colour"):
        images.parse_colour("not-a-colour")


def test_tile_lays_images_out_row_major_with_padding():
    cells = np.stack([np.full((3, 4, 3), i, np.uint8) for i in range(5)])
    grid = images.tile(cells, cols=2, pad=1, fill=(9, 9, 9))
    assert grid.shape == (3 * 4 - 1, 2 * 5 - 1, 3)
    assert grid[0, 0, 0] == 0 and grid[0, 5, 0] == 1 and grid[4, 0, 0] == 2
    assert grid[3, 0, 0] == 9 and grid[8, 5, 0] == 9  # a gap and the empty sixth cell


@pytest.mark.parametrize("latent_dim, shape", [(1, (1, 5)), (2, (5, 5)), (3, (3, 5))])
def test_latent_grid_layouts(latent_dim, shape):
    axis = latents.axis_values(5)
    center = np.full(latent_dim, 0.5) if latent_dim > 2 else None
    z, layout = latents.latent_grid(latent_dim, axis, center)
    assert layout == shape and z.shape == (shape[0] * shape[1], latent_dim)
    if latent_dim == 2:  # z1 left to right, z2 bottom to top
        assert z[0, 0] < z[1, 0] and z[0, 1] > z[5, 1]
    if latent_dim == 3:  # row d varies dimension d only, around the center
        assert np.allclose(z[5:10, [0, 2]], 0.5) and np.allclose(z[5:10, 1], axis + 0.5)


def test_axis_values_are_normal_quantiles_or_a_range():
    quantiles = latents.axis_values(3, quantiles=(0.05, 0.95))
    assert np.allclose(quantiles, [-1.6449, 0.0, 1.6449], atol=1e-3)
    assert np.allclose(latents.axis_values(3, value_range=(-3, 3)), [-3, 0, 3])
    assert latents.axis_values(1).tolist() == [0.0]


def test_atomic_writes_leave_only_the_readable_file(tmp_path):
    path = fileio.write_with(tmp_path / "a.png", files.png(np.zeros((4, 4, 3), np.uint8)))
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]
    assert os.stat(path).st_mode & 0o044  # readable by others, unlike mkstemp's 0600

    def fail(tmp):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        fileio.write_with(tmp_path / "a.png", fail)
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]


def test_gif_keeps_every_distinct_frame(tmp_path):
    from PIL import Image

    frames = [np.concatenate([images.caption_strip(f"{i}", 40, progress=(i + 1) / 5),
                              np.zeros((8, 40, 3), np.uint8)]) for i in range(5)]
    path = fileio.write_with(tmp_path / "a.gif", files.gif(frames, fps=10))
    with Image.open(path) as gif:
        assert gif.n_frames == 5 and gif.size == (40, 22) and gif.info["loop"] == 0


@pytest.mark.parametrize("name, kwargs, message", [
    ("samples", {"split": "test"}, "unknown split 'test'; valid: train_eval, validation"),
    ("latent_traversals", {"center": "origin"}, "valid: nearest, data, prior"),
    ("latent_traversals", {"max_rows": 0}, "max_rows must be a positive integer, got 0"),
    ("latent_walk", {"n_frames": 1}, "at least 2 frames"),
    ("training_movie", {"max_frames": 1}, "at least 2"),
])
def test_bad_arguments_are_one_line_value_errors(name, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        registry.get("visualisers", name)(**kwargs)


def test_data_range_is_the_percentile_box_and_never_empty():
    rng = np.random.default_rng(0)
    codes = np.stack([rng.uniform(-11, 6, 1000), rng.uniform(-7, 3.5, 1000),
                      np.full(1000, 2.0)], axis=1)
    low, high = latents.data_range(codes, (1, 99))
    np.testing.assert_allclose(low[:2], [-11 + 0.17, -7 + 0.105], atol=0.15)
    np.testing.assert_allclose(high[:2], [6 - 0.17, 3.5 - 0.105], atol=0.15)
    assert low[2] < 2.0 < high[2]  # a constant dimension still gets a range


def test_latent_grid_spans_where_the_training_codes_are():
    """The 2D grid's corners are the codes' percentile box, not the prior's quantiles."""

    class Model:
        latent_dim = 2

    class Run:
        model = Model()

        @staticmethod
        def training_codes():
            return np.stack([np.linspace(-11, 6, 101), np.linspace(-7, 3.5, 101)], axis=1)

    grid = registry.get("visualisers", "latent_grid")(n=5)
    axes, center, caption = grid.points(Run())
    assert center is None and "percentile" in caption
    np.testing.assert_allclose(axes[:, [0, -1]], [[-10.83, 5.83], [-6.895, 3.395]], atol=1e-3)
    z, (rows, cols) = latents.latent_grid(2, axes)
    assert z[:, 0].min() == pytest.approx(-10.83) and z[:, 1].max() == pytest.approx(3.395)
    prior = registry.get("visualisers", "latent_grid")(n=5, span="prior").points(Run())[0]
    np.testing.assert_allclose(prior[:, -1], 1.6449, atol=1e-3)


def test_latent_traversals_rows_are_the_dimensions_whose_traversal_changes_the_picture_most():
    """5D codes, max_rows=2: the codes spread widest along z2 and z4, but the decoder draws only
    z1 and z5 (z5 four times as strongly): the rows traverse z1 and z5, in index order, around
    the training code nearest the mean (a real item; center="data" gives the mean itself)."""
    codes = np.random.default_rng(0).normal(size=(200, 5)) * [0.5, 3.0, 0.2, 2.0, 0.5]
    decoded = []

    class Model:
        latent_dim = 5

        @staticmethod
        def decode_mean(z, condition=None):
            decoded.append(np.asarray(z))
            value = np.asarray(z) @ np.array([1.0, 0.0, 0.0, 0.0, 4.0], np.float32)
            return np.tile(value[:, None, None, None], (1, 4, 4, 4)).astype(np.float32)

    class Folder:
        @staticmethod
        def write_figure(name, data):
            return name

    class Run:
        model, folder, epoch = Model(), Folder(), 3

        @staticmethod
        def training_codes():
            return codes

        @staticmethod
        def per_weights(key, compute):
            return compute()

    grid = registry.get("visualisers", "latent_traversals")(n=3, max_rows=2, dpi=20)
    assert grid.on_train_end(Run()) == ["latent_traversals.png"]
    z = decoded[-1]  # the grid, after the decodes that ranked the dimensions
    nearest = codes[np.argmin(np.square(codes - codes.mean(axis=0)).sum(axis=1))]
    moved = np.abs(z - nearest) > 1e-6  # [rows * n, L]: around a real training code
    assert z.shape == (6, 5)
    assert moved[:3].any(axis=0).tolist() == [True, False, False, False, False]
    assert moved[3:].any(axis=0).tolist() == [False, False, False, False, True]
    assert np.allclose(grid.center_code(Run()), nearest)
    assert latents.visible_dimensions(Model(), codes, 1).tolist() == [4]
    assert latents.visible_dimensions(Model(), codes, 1, chunk=2).tolist() == [4]
    assert latents.visible_dimensions(Model(), codes, 5).tolist() == [0, 1, 2, 3, 4]
    mean_grid = registry.get("visualisers", "latent_traversals")(center="data")
    assert np.allclose(mean_grid.center_code(Run()), codes.mean(axis=0))
    assert not any(np.allclose(code, codes.mean(axis=0)) for code in codes)
    z_all, (rows, _) = latents.latent_grid(5, np.zeros((5, 3)), None, dims=[4, 0])
    assert rows == 2 and z_all.shape == (6, 5)


def test_the_grid_and_the_explorer_rank_dimensions_with_one_set_of_decodes(tmp_path):
    """latents.run_visible_dimensions decodes the traversals once per weights of a Run, for
    every figure that asks, and again after the weights change."""
    from acvae.runs.experiment import Run

    codes = np.random.default_rng(0).normal(size=(50, 6)).astype(np.float32)
    calls = []

    class Model:
        latent_dim = 6

        @staticmethod
        def decode_mean(z, condition=None):
            calls.append(len(z))
            value = np.asarray(z) @ np.array([0, 3, 0, 1, 0, 2], np.float32)
            return np.tile(value[:, None, None, None], (1, 2, 2, 1)).astype(np.float32)

    run = Run(tmp_path, Model(), None, [], 1, posteriors=(codes, np.zeros_like(codes)))
    first = latents.run_visible_dimensions(run, 2)
    assert first.tolist() == [1, 5]
    assert latents.run_visible_dimensions(run, 3).tolist() == [1, 3, 5]
    assert len(calls) == 1  # one chunk of 2 * 6 decodes, shared by both calls
    assert first.tolist() == latents.visible_dimensions(Model(), codes, 2).tolist()
    run.weights_changed(2)
    run.posteriors = (codes, np.zeros_like(codes))
    latents.run_visible_dimensions(run, 2)
    assert len(calls) == 3  # the other weights are ranked anew
