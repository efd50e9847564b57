"""latent_grid.png and latent_traversals.png: above 2D, a map of the code's two leading
principal directions whose cells decode the sampler's draws projected nearest them, and the
per-dimension traversals beside it; 1D and 2D codes keep their grid of latent values."""

import gin
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image


from acvae import visualise
from acvae.core.errors import ConfigError
from acvae.visualise import latent_grid, latent_traversals, latents
from tests.conftest import REPO
from tests.visualise.tiny_runs import DPI, make_run


class RecordingSampler:
    """A sampler (``sample(n, seed)``) of Gaussian draws around the training codes that keeps
    every draw it gives and the seed of every call."""

    name = "recording"

    def __init__(self, codes: np.ndarray):
        self.mean, self.spread = codes.mean(axis=0), 1.5 * codes.std(axis=0) + 1e-3
        self.calls, self.draws = [], []

    def sample(self, n, seed=None):
        noise = np.random.default_rng(seed).standard_normal((n, len(self.mean)))
        draws = (self.mean + self.spread * noise).astype(np.float32)
        self.calls.append((n, seed))
        self.draws.append(draws)
        return tf.constant(draws)

    def pool(self) -> np.ndarray:
        return np.concatenate(self.draws)


@pytest.fixture
def decoded(monkeypatch):
    """Every batch of codes the figures decode, in call order."""
    calls = []
    original = latents.decode

    def recording(model, z, condition=None):
        calls.append(np.asarray(z))
        return original(model, z, condition)

    monkeypatch.setattr(latents, "decode", recording)
    return calls


def leading_directions(codes: np.ndarray) -> np.ndarray:
    """[2, L]: the two eigenvectors of the codes' covariance with the largest eigenvalues."""
    _, vectors = np.linalg.eigh(np.cov(codes.T))
    return vectors[:, ::-1][:, :2].T


def test_each_map_cell_decodes_the_sampler_draw_projected_nearest_its_centre(
        tmp_path, villagers_tfrecord, decoded):
    run = make_run(tmp_path, villagers_tfrecord, latent_dim=6, n_channels=4)
    sampler = RecordingSampler(run.training_codes())
    run.model.sampler = sampler
    (path,) = latent_grid.LatentGrid(n=5, pool=600, seed=7, dpi=DPI).on_train_end(run)
    assert path.name == "latent_grid.png"
    assert sampler.calls == [(256, 7), (256, 8), (88, 9)]  # seeded chunks of the pool
    pool = sampler.pool()
    (cells,) = decoded  # the map's 25 cells, in one call
    assert cells.shape == (25, 6)
    matches = [np.flatnonzero((pool == code).all(axis=1)) for code in cells]
    assert all(len(match) == 1 for match in matches)  # every cell is a draw of the pool
    chosen = np.concatenate(matches)

    # The chart, computed here without the package: the training codes' principal directions.
    codes = run.training_codes().astype(np.float64)
    directions = leading_directions(codes)
    chart = latents.run_chart(run)
    signs = np.sign((chart.directions * directions).sum(axis=1))[:, None]
    np.testing.assert_allclose(chart.directions, signs * directions, atol=1e-4)
    directions = signs * directions
    low, high = np.percentile((codes - codes.mean(axis=0)) @ directions.T, [1, 99], axis=0)
    centres = np.array([(x, y) for y in np.linspace(high[1], low[1], 5)  # PC2 up the rows
                        for x in np.linspace(low[0], high[0], 5)])  # PC1 across
    projected = (pool - codes.mean(axis=0)) @ directions.T
    distance = np.square((projected[None] - centres[:, None]) / (high - low)).sum(axis=-1)
    np.testing.assert_array_equal(chosen, distance.argmin(axis=1))
    assert len(set(chosen.tolist())) >= 10  # the map spans the draws, not one of them


def test_the_map_works_for_any_sampler_and_for_the_prior(tmp_path, villagers_tfrecord,
                                                          decoded):
    run = make_run(tmp_path, villagers_tfrecord, latent_dim=4, n_channels=3)
    assert run.model.sampler is run.model.prior  # no sampler set: the model's prior
    latent_grid.LatentGrid(n=3, pool=50, dpi=DPI).on_train_end(run)
    prior_pool = latents.sampler_pool(run.model.prior, 50, 0)
    (cells,) = decoded
    assert all((prior_pool == code).all(axis=1).any() for code in cells)


def test_the_pool_is_drawn_once_per_weights_and_sampler(tmp_path, villagers_tfrecord):
    run = make_run(tmp_path, villagers_tfrecord, latent_dim=3, n_channels=1)
    sampler = RecordingSampler(run.training_codes())
    run.model.sampler = sampler
    first = latents.run_sampler_pool(run, 300, 0)
    np.testing.assert_array_equal(latents.run_sampler_pool(run, 300, 0), first)
    assert len(sampler.calls) == 2  # 256 + 44, drawn once for both calls
    run.weights_changed(4)
    latents.run_sampler_pool(run, 300, 0)
    assert len(sampler.calls) == 4  # other weights: drawn again


def test_a_3d_run_writes_the_map_and_the_traversals_both_declared(tmp_path,
                                                                  villagers_tfrecord):
    run = make_run(tmp_path, villagers_tfrecord, latent_dim=3, n_channels=4)
    (grid,) = latent_grid.LatentGrid(n=4, pool=100, dpi=DPI).on_train_end(run)
    (traversals,) = latent_traversals.LatentTraversals(n=4, dpi=DPI).on_train_end(run)
    with Image.open(grid) as image:  # a 4 x 4 map and the 4-inch panel of training codes
        assert image.size == (round((4 * 0.9 + 1.0 + 4.0) * DPI), round((4 * 0.9 + 1.0) * DPI))
    with Image.open(traversals) as image:  # one row per dimension
        assert image.size == (round((4 * 0.9 + 1.0) * DPI), round((3 * 0.9 + 1.0) * DPI))
    assert run.folder.declares("figures/latent_traversals.png")
    gin.parse_config_file(str(REPO / "configs/base.gin"))
    listed = [ref.selector for ref in gin.query_parameter("train.visualisers")]
    assert listed.index("visualisers.latent_traversals") == (
        listed.index("visualisers.latent_grid") + 1)


@pytest.mark.parametrize("latent_dim", [1, 2])
def test_1d_and_2d_codes_keep_their_grid_of_latent_values_and_no_traversals(
        tmp_path, villagers_tfrecord, decoded, latent_dim):
    run = make_run(tmp_path, villagers_tfrecord, latent_dim=latent_dim, n_channels=4)
    sampler = RecordingSampler(run.training_codes())
    run.model.sampler = sampler
    latent_grid.LatentGrid(n=4, dpi=DPI).on_train_end(run)
    low, high = latents.data_range(run.training_codes())
    expected, _ = latents.latent_grid(latent_dim, np.linspace(low, high, 4, axis=1))
    (cells,) = decoded
    np.testing.assert_allclose(cells, expected, rtol=1e-6)
    assert sampler.calls == []  # the grid of latent values, not the sampler's draws
    assert latent_traversals.LatentTraversals(n=4, dpi=DPI).on_train_end(run) == []


def test_the_map_spans_the_prior_around_the_projection_of_the_origin(tmp_path,
                                                                       villagers_tfrecord):
    run = make_run(tmp_path, villagers_tfrecord, latent_dim=5, n_channels=4)
    axes, center, caption = latent_grid.LatentGrid(n=3, span="prior").points(run)
    origin = latents.run_chart(run).project(np.zeros((1, 5)))[0]
    assert center is None and caption.startswith("prior quantiles")
    np.testing.assert_allclose(axes, origin[:, None] + [-1.6449, 0.0, 1.6449], atol=1e-3)


def test_a_bad_pool_is_one_line_and_an_old_runs_traversal_bindings_still_load():
    with pytest.raises(ConfigError, match="^need at least one sampler draw, got 0$"):
        latent_grid.LatentGrid(pool=0)
    # an operative config written before latent_traversals binds these to latent_grid
    gin.parse_config("visualisers.latent_grid.center = 'nearest'\n"
                     "visualisers.latent_grid.max_rows = 16")
    (grid,) = visualise.create(["latent_grid"])
    assert isinstance(grid, latent_grid.LatentGrid)
