"""Latent points for figures: where the data lies, grid layouts, batched decoding.

A trained VAE's codes rarely fill its prior: on the villagers they spread over [-11, 6], far
beyond the prior's +-1.6. ``data_range`` is the box the training codes occupy (per-dimension
percentiles), which grids, walks and the embedding figure share; ``axis_values`` spaces values
across it (or across Normal quantiles, the prior's view). Figures decode many latent points at
once (``decode``: one compiled call of ``VAE.decode_mean``); ``latent_grid`` lays them out as
rows of images: one row in 1D, a grid in 2D, one traversal row per dimension above.

A code of more than two numbers is charted in 2D (``Chart``: the two leading principal
directions of the training codes, the aggregate posterior's means) and a point of that chart
is decoded from a full code the run's sampler gives there (``draws_nearest``: of a seeded
pool of the sampler's draws, ``sampler_pool``, the one whose projection is nearest the point),
so the map shows what the sampler generates across the region the training codes occupy.
"""

from __future__ import annotations

import dataclasses
import statistics

import numpy as np

from acvae.core.errors import ConfigError

POOL = 4096  # sampler draws a map chooses its cells' codes from
POOL_CHUNK = 256  # draws per sampler call (a full-covariance mixture gathers [n, L, L])


def axis_values(n: int, value_range=None, quantiles=(0.05, 0.95)) -> np.ndarray:
    """``n`` increasing latent values along one axis.

    Args:
      n: number of values (>= 1).
      value_range: ``(low, high)`` for evenly spaced values; ``None`` for standard Normal
        quantiles.
      quantiles: ``(low, high)`` probabilities spanned by the Normal quantiles.

    Returns:
      float32 ``[n]``.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"need at least one latent value per axis, got n={n!r}")
    if value_range is not None:
        low, high = value_range
        return np.linspace(low, high, n, dtype=np.float32)
    normal = statistics.NormalDist()
    probs = np.linspace(quantiles[0], quantiles[1], n) if n > 1 else [0.5]
    return np.asarray([normal.inv_cdf(float(p)) for p in probs], np.float32)


def nearest_to_mean(codes: np.ndarray) -> np.ndarray:
    """[L]: the code of ``codes`` ``[N, L]`` nearest their mean (a real item, not a blend)."""
    codes = np.asarray(codes)
    return codes[np.argmin(np.square(codes - codes.mean(axis=0)).sum(axis=1))]


def visible_dimensions(model, codes: np.ndarray, k: int, chunk: int = 256) -> np.ndarray:
    """The ``k`` dimensions whose traversal changes the decoded image most, in index order.

    Each dimension of the code nearest the mean of ``codes`` is set to the 1st and to the 99th
    percentile of the codes; dimensions are ranked by the mean absolute difference of the two
    decodes (``traversal_changes``). The spread of the codes alone would rank a latent map's
    cells, which redraw a few pixels each, beside the global dimensions that recolour the whole
    picture; this ranks what a traversal shows. It depends on the model and its codes only, so
    ``latent_grid.png`` and the explorer show the same dimensions (``run_visible_dimensions``
    decodes once for both).

    Args:
      model: decodes (``decode_mean``).
      codes: float ``[N, L]``, the training codes.
      k: dimensions kept (all of them when ``L <= k``).
      chunk: decodes per call.
    """
    codes = np.asarray(codes, np.float32)
    if codes.shape[1] <= k:
        return np.arange(codes.shape[1])
    return _largest(traversal_changes(model, codes, chunk), k)


def run_visible_dimensions(run, k: int) -> np.ndarray:
    """``visible_dimensions`` of a run's model and training codes, decoded once per weights
    (``Run.per_weights``) for every figure that asks."""
    latent_dim = run.training_codes().shape[1]
    if latent_dim <= k:
        return np.arange(latent_dim)
    changes = run.per_weights("traversal_changes",
                              lambda: traversal_changes(run.model, run.training_codes()))
    return _largest(changes, k)


def traversal_changes(model, codes: np.ndarray, chunk: int = 256) -> np.ndarray:
    """[L]: how much the decode changes (mean absolute difference) when each dimension of the
    code nearest the mean of ``codes`` goes from the codes' 1st to their 99th percentile."""
    codes = np.asarray(codes, np.float32)
    latent_dim = codes.shape[1]
    center = nearest_to_mean(codes)
    low, high = data_range(codes)
    change = np.empty(latent_dim)
    for start in range(0, latent_dim, chunk):
        dims = np.arange(start, min(start + chunk, latent_dim))
        ends = np.repeat(center[None], 2 * len(dims), axis=0)
        ends[np.arange(len(dims)), dims] = low[dims]
        ends[len(dims) + np.arange(len(dims)), dims] = high[dims]
        decoded = decode(model, ends)
        change[dims] = np.abs(decoded[:len(dims)] - decoded[len(dims):]).mean(
            axis=tuple(range(1, decoded.ndim)))
    return change


def _largest(changes: np.ndarray, k: int) -> np.ndarray:
    """The indices of the ``k`` largest ``changes``, in index order."""
    return np.sort(np.argsort(-np.asarray(changes), kind="stable")[:k])


def data_range(codes: np.ndarray, percentiles=(1.0, 99.0)) -> tuple[np.ndarray, np.ndarray]:
    """The box the codes occupy: per-dimension percentiles.

    Args:
      codes: float [N, L] posterior means (of the training items).
      percentiles: (low, high) in [0, 100].

    Returns:
      ``(low [L], high [L])`` float32, with high > low (widened when all codes agree).
    """
    codes = np.asarray(codes, np.float64)
    low, high = np.percentile(codes, percentiles, axis=0)
    flat = high - low < 1e-6
    low, high = np.where(flat, low - 0.5, low), np.where(flat, high + 0.5, high)
    return low.astype(np.float32), high.astype(np.float32)


def latent_grid(latent_dim: int, axis, center=None,
                dims=None) -> tuple[np.ndarray, tuple[int, int]]:
    """Latent points laid out as a grid of images.

    1D: one row along ``axis``. 2D: a square grid, z1 increasing left to right and z2 bottom to
    top. More: one row per dimension in ``dims``, varying that dimension by ``axis`` around
    ``center``.

    Args:
      latent_dim: L.
      axis: float ``[n]`` values for every dimension, or ``[L, n]``: one row of values per
        dimension (offsets from ``center`` for L > 2).
      center: float ``[L]``; zeros by default.
      dims: the dimensions traversed for L > 2, one row each, in order; all by default.

    Returns:
      ``(z, (rows, cols))`` with z float32 ``[rows * cols, L]`` in row-major order.
    """
    axis = np.asarray(axis, np.float32)
    axes = np.broadcast_to(axis, (latent_dim, axis.shape[-1]))
    n = axes.shape[1]
    center = np.zeros(latent_dim, np.float32) if center is None else np.asarray(center, np.float32)
    if latent_dim == 1:
        return axes[0][:, None] + center, (1, n)
    if latent_dim == 2:
        z1, z2 = np.meshgrid(axes[0], axes[1][::-1])
        return np.stack([z1.ravel(), z2.ravel()], axis=1) + center, (n, n)
    dims = range(latent_dim) if dims is None else dims
    z = np.tile(center, (len(dims), n, 1))
    for row, d in enumerate(dims):
        z[row, :, d] += axes[d]
    return z.reshape(len(dims) * n, latent_dim), (len(dims), n)


def decode(model, z: np.ndarray, condition=None) -> np.ndarray:
    """Decodes latent points ``[N, L]`` to mean images float32 ``[N, H, W, C]`` in one call."""
    return np.asarray(model.decode_mean(np.asarray(z, np.float32), condition), np.float32)


@dataclasses.dataclass(frozen=True)
class Chart:
    """A 2D chart of codes: their two leading principal directions (PCA, scikit-learn).

    Attributes:
      mean: float32 ``[L]``, the mean of the codes the chart was fitted to.
      directions: float32 ``[2, L]``, orthonormal rows: PC1 and PC2.
      share: ``[2]``, the share of the codes' variance along each direction.
    """

    mean: np.ndarray
    directions: np.ndarray
    share: np.ndarray

    @classmethod
    def fit(cls, codes: np.ndarray) -> "Chart":
        """The chart of ``codes`` ``[N, L]`` (N, L >= 2)."""
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, svd_solver="full").fit(np.asarray(codes, np.float64))
        return cls(pca.mean_.astype(np.float32), pca.components_.astype(np.float32),
                   pca.explained_variance_ratio_)

    def project(self, z) -> np.ndarray:
        """float32 ``[N, 2]``: where codes ``[N, L]`` lie on the chart."""
        return ((np.asarray(z, np.float32) - self.mean) @ self.directions.T).astype(np.float32)

    def axis_names(self) -> tuple[str, str]:
        """``("PC1 (41% of variance)", "PC2 (...)")``."""
        return tuple(f"PC{i + 1} ({100 * self.share[i]:.0f}% of variance)" for i in range(2))


def run_chart(run) -> Chart:
    """The chart of a run's training codes, fitted once per weights (``Run.per_weights``)."""
    return run.per_weights("principal_chart", lambda: Chart.fit(run.training_codes()))


def sampler_pool(sampler, n: int, seed: int, chunk: int = POOL_CHUNK) -> np.ndarray:
    """float32 ``[n, L]``: ``n`` draws of any sampler (``sample(n, seed)``), reproducibly.

    Drawn ``chunk`` at a time, chunk ``i`` with seed ``seed + i``, so memory stays bounded for
    samplers whose cost grows with the batch (a full-covariance mixture gathers one ``[L, L]``
    Cholesky factor per draw).
    """
    check_draws(n)
    sizes = [min(chunk, n - start) for start in range(0, n, chunk)]
    return np.concatenate([np.asarray(sampler.sample(size, seed=seed + i), np.float32)
                           for i, size in enumerate(sizes)])


def check_draws(n) -> None:
    """Raises a one-line ``ConfigError`` unless ``n`` (sampler draws) is a positive integer."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"need at least one sampler draw, got {n!r}")


def run_sampler_pool(run, n: int, seed: int) -> np.ndarray:
    """``sampler_pool`` of the run's model's sampler, drawn once per weights and sampler for
    every figure that asks (the map of ``latent_grid.png`` and the explorer's)."""
    sampler = run.model.sampler
    return run.per_weights(f"sampler_pool {id(sampler)} {n} {seed}",
                           lambda: sampler_pool(sampler, n, seed))


def draws_nearest(projected: np.ndarray, points: np.ndarray,
                  scale=(1.0, 1.0)) -> np.ndarray:
    """For each chart point, the index of the draw whose projection is nearest it.

    Args:
      projected: float ``[P, 2]``, the draws on the chart (``Chart.project``).
      points: float ``[M, 2]``, the points (cell centres) to condition on.
      scale: ``[2]`` units of each axis for the distance (the span a figure shows of each, so
        nearest means nearest on the picture).

    Returns:
      int ``[M]`` indices into the draws.
    """
    scale = np.asarray(scale, np.float32)
    gap = (np.asarray(points, np.float32)[:, None] - np.asarray(projected, np.float32)[None])
    return np.argmin(np.square(gap / scale).sum(axis=-1), axis=1)


def map_codes(run, points: np.ndarray, pool: int = POOL, seed: int = 0,
              scale=(1.0, 1.0)) -> tuple[np.ndarray, np.ndarray]:
    """Full codes the run's sampler gives at points of its chart (``run_chart``).

    Each point gets the draw of a seeded pool of ``pool`` sampler draws whose projection is
    nearest it (``draws_nearest``): a sample conditional on the 2D position, for any sampler.

    Returns:
      ``(codes [M, L], pool draws on the chart [pool, 2])``.
    """
    draws = run_sampler_pool(run, pool, seed)
    projected = run_chart(run).project(draws)
    return draws[draws_nearest(projected, points, scale)], projected
