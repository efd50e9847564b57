"""Latent points for figures: evenly spaced or quantile axes, grid layouts, batched decoding.

Figures decode many latent points at once (``decode``: one compiled call of
``VAE.decode_mean``); ``latent_grid`` lays them out as rows of images: one row in 1D, a square
grid in 2D, one traversal row per dimension above.
"""

from __future__ import annotations

import statistics

import numpy as np

from acvae.errors import ConfigError


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
    if n < 1:
        raise ConfigError(f"need at least one latent value per axis, got n={n}")
    if value_range is not None:
        low, high = value_range
        return np.linspace(low, high, n, dtype=np.float32)
    normal = statistics.NormalDist()
    probs = np.linspace(quantiles[0], quantiles[1], n) if n > 1 else [0.5]
    return np.asarray([normal.inv_cdf(float(p)) for p in probs], np.float32)


def latent_grid(latent_dim: int, axis: np.ndarray,
                center=None) -> tuple[np.ndarray, tuple[int, int]]:
    """Latent points laid out as a grid of images.

    1D: one row along ``axis``. 2D: a square grid, z1 increasing left to right and z2 bottom to
    top. More: one row per dimension, varying that dimension by ``axis`` around ``center``.

    Args:
      latent_dim: L.
      axis: float ``[n]`` values (offsets from ``center`` for L > 2).
      center: float ``[L]``; zeros by default.

    Returns:
      ``(z, (rows, cols))`` with z float32 ``[rows * cols, L]`` in row-major order.
    """
    axis = np.asarray(axis, np.float32)
    n = len(axis)
    center = np.zeros(latent_dim, np.float32) if center is None else np.asarray(center, np.float32)
    if latent_dim == 1:
        return axis[:, None] + center, (1, n)
    if latent_dim == 2:
        z1, z2 = np.meshgrid(axis, axis[::-1])
        return np.stack([z1.ravel(), z2.ravel()], axis=1) + center, (n, n)
    z = np.tile(center, (latent_dim, n, 1))
    for d in range(latent_dim):
        z[d, :, d] += axis
    return z.reshape(latent_dim * n, latent_dim), (latent_dim, n)


def decode(model, z: np.ndarray, condition=None) -> np.ndarray:
    """Decodes latent points ``[N, L]`` to mean images float32 ``[N, H, W, C]`` in one call."""
    return np.asarray(model.decode_mean(np.asarray(z, np.float32), condition), np.float32)
