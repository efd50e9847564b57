"""Distances between two sets of image features: k-NN precision and recall, and KID.

Both compare a real set and a generated set of feature vectors (``features.FeatureSpace``):

- ``precision_recall`` (Kynkäänniemi, Karras, Laine, Lehtinen & Aila 2019, "Improved
  Precision and Recall Metric for Assessing Generative Models", NeurIPS): each set's manifold
  is the union of balls around its points, each as wide as the distance to the point's k-th
  nearest neighbour in its own set. Precision is the share of generated points inside the real
  manifold (are samples realistic?), recall the share of real points inside the generated
  manifold (do samples cover the data?).
- ``kid``: the Kernel Inception Distance (Bińkowski, Sutherland, Arbel & Gretton 2018,
  "Demystifying MMD GANs", ICLR), the unbiased estimate of the squared maximum mean
  discrepancy with the cubic polynomial kernel, averaged over random subsets. Unbiased, so it
  is about 0 (and can be slightly negative) for two sets from the same distribution,
  whatever their size.
"""

from __future__ import annotations

import numpy as np


def _distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """[N, M] Euclidean distances between the rows of x [N, D] and y [M, D] (float64)."""
    from sklearn.metrics import pairwise_distances

    return pairwise_distances(np.asarray(x, np.float64), np.asarray(y, np.float64))


def knn_radii(points: np.ndarray, k: int = 3) -> np.ndarray:
    """[N] distance from each point to its k-th nearest *other* point of the same set
    (the (k+1)-th smallest distance, the first being the point itself; k is capped at N - 1)."""
    kth = min(k, len(points) - 1)
    return np.partition(_distances(points, points), kth, axis=1)[:, kth]


def in_manifold(queries: np.ndarray, reference: np.ndarray, k: int = 3) -> np.ndarray:
    """[Q] bool: f(phi, Phi) of Kynkäänniemi et al. (2019), Eq. 1, for each query phi.

    ``f(phi, Phi) = 1`` if ``||phi - phi'|| <= ||phi' - NN_k(phi', Phi)||`` for at least one
    ``phi'`` in ``Phi`` (``reference``), where ``NN_k(phi', Phi)`` is the k-th nearest
    neighbour of phi' in Phi.
    """
    return np.any(_distances(queries, reference) <= knn_radii(reference, k)[None, :], axis=1)


def precision_recall(real: np.ndarray, generated: np.ndarray, k: int = 3) -> dict[str, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019, Eq. 2).

    ``precision = 1/|Phi_g| sum_{phi_g} f(phi_g, Phi_r)`` and
    ``recall = 1/|Phi_r| sum_{phi_r} f(phi_r, Phi_g)``. Both depend on the set sizes (the
    paper uses 50,000 of each): compare numbers measured with the same sizes.

    Args:
      real: [N, D] features of real images (Phi_r).
      generated: [M, D] features of generated images (Phi_g).
      k: the neighbour that sets each ball's radius (the paper's default, 3).

    Returns:
      ``{"precision": float, "recall": float}``, each in [0, 1]; identical sets give 1 and 1.
    """
    return {"precision": float(np.mean(in_manifold(generated, real, k))),
            "recall": float(np.mean(in_manifold(real, generated, k)))}


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """KID's kernel ``k(x, y) = (x . y / d + 1)^3`` for rows of x [N, d] and y [M, d]: [N, M]."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """The unbiased estimate of the squared MMD with KID's kernel (Gretton et al. 2012, "A
    Kernel Two-Sample Test", JMLR, Lemma 6; as used for KID by Bińkowski et al. 2018):

    ``MMD^2_u = 1/(m(m-1)) sum_{i != j} k(x_i, x_j) + 1/(n(n-1)) sum_{i != j} k(y_i, y_j)
    - 2/(mn) sum_{i, j} k(x_i, y_j)``

    Args:
      x: [m, d], y: [n, d] features, m, n >= 2.
    """
    m, n = len(x), len(y)
    if min(m, n) < 2:
        raise ValueError(f"the unbiased MMD needs at least 2 points per set, got {m} and {n}")
    kxx, kyy = polynomial_kernel(x, x), polynomial_kernel(y, y)
    within_x = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    within_y = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(within_x + within_y - 2.0 * polynomial_kernel(x, y).mean())


def kid(real: np.ndarray, generated: np.ndarray, subset_size: int = 100, n_subsets: int = 100,
        seed: int = 0) -> dict:
    """Kernel Inception Distance in a given feature space: ``mmd2_unbiased`` over random
    subsets, as Bińkowski et al. (2018) report it (mean and standard deviation over subsets).

    Args:
      real: [N, D] and generated: [M, D] features.
      subset_size: items drawn (without replacement) from each set per subset; at most half
        the smaller set (and at least 2), so subsets differ and ``std`` says how much the
        estimate moves. The estimator is unbiased at any subset size, so the mean does not
        depend on it.
      n_subsets: subsets averaged.
      seed: the subsets.

    Returns:
      ``mean``, ``std`` (over subsets) and the ``subset_size`` used.
    """
    rng = np.random.default_rng(seed)
    sizes = [max(2, min(subset_size, len(x) // 2)) for x in (real, generated)]
    values = [mmd2_unbiased(*(x[rng.choice(len(x), size, replace=False)]
                              for x, size in zip((real, generated), sizes)))
              for _ in range(n_subsets)]
    return {"mean": float(np.mean(values)), "std": float(np.std(values)),
            "subset_sizes": sizes}
