"""Classifier two-sample tests: can a classifier tell image set A from image set B?

Lopez-Paz & Oquab (2017), "Revisiting Classifier Two-Sample Tests", ICLR: label A's images 0
and B's 1, train a classifier on part of them and score it on the rest; if A and B come from
the same distribution no classifier does better than chance on held-out items. Their
statistic is the held-out accuracy (their Eq. 2); here it is the ROC AUC of the held-out
scores (the probability that a random B item scores above a random A item), averaged over the
folds of a stratified k-fold cross-validation, so every image is held out once. 0.5: the
classifier cannot tell the sets apart; 1: it always can. The larger set is first subsampled
to the size of the smaller (``balanced``), so chance is 0.5 whatever the sizes.

Three classifiers, from blind to sharp: ``texture_auc`` (gradient boosting on
``features.texture_statistics``: colour histograms and edge energy only), ``linear_pixel_auc``
(logistic regression on standardised downsampled pixels) and ``cnn_auc`` (a small
convolutional network trained for a few epochs per fold).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from acvae.analysis import features, networks

# (x_train, y_train, x_test) -> scores of x_test (higher: more like class 1)
FitPredict = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
C2ST_FILTERS = (16, 32, 64)


def subset(x: np.ndarray, size: int, seed: int = 0) -> np.ndarray:
    """``size`` items of ``x`` chosen at random without replacement (seeded; order kept);
    ``x`` itself when it has exactly ``size`` items."""
    x = np.asarray(x)
    if len(x) == size:
        return x
    return x[np.sort(np.random.default_rng(seed).choice(len(x), size, replace=False))]


def balanced(a: np.ndarray, b: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``a`` and ``b`` cut to the size of the smaller (``subset``)."""
    size = min(len(a), len(b))
    return subset(a, size, seed), subset(b, size, seed)


def cross_validated_auc(a: np.ndarray, b: np.ndarray, fit_predict: FitPredict, folds: int = 5,
                        seed: int = 0) -> dict:
    """The classifier two-sample statistic: mean held-out ROC AUC of ``fit_predict``.

    Args:
      a, b: [N, ...] and [M, ...] inputs of the two sets (features or images); the larger is
        subsampled to the size of the smaller.
      fit_predict: trains a fresh classifier on (inputs, 0/1 labels) and scores test inputs.
      folds: stratified folds (at most the per-set size).
      seed: the subsample and the fold assignment.

    Returns:
      ``auc`` (mean over folds), ``auc_std`` (standard deviation over folds), ``folds`` and
      ``n_per_set``; ``auc`` is NaN when a set has fewer than 2 items.
    """
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    a, b = balanced(a, b, seed)
    n = len(a)
    if n < 2:
        return {"auc": float("nan"), "auc_std": float("nan"), "folds": 0, "n_per_set": n}
    x = np.concatenate([a, b])
    y = np.repeat([0, 1], n)
    splits = StratifiedKFold(min(folds, n), shuffle=True, random_state=seed).split(x, y)
    aucs = [roc_auc_score(y[test], fit_predict(x[train], y[train], x[test]))
            for train, test in splits]
    return {"auc": float(np.mean(aucs)), "auc_std": float(np.std(aucs)), "folds": len(aucs),
            "n_per_set": n}


def _sklearn(estimator) -> FitPredict:
    """A FitPredict that fits a clone of a scikit-learn classifier and returns P(class 1)."""
    from sklearn.base import clone

    def fit_predict(x_train, y_train, x_test):
        return clone(estimator).fit(x_train, y_train).predict_proba(x_test)[:, 1]

    return fit_predict


def linear_pixel_auc(a: np.ndarray, b: np.ndarray, side: int = 32, c: float = 0.01,
                     folds: int = 5, seed: int = 0) -> dict:
    """C2ST with L2-regularised logistic regression (liblinear) on standardised pixels.

    Args:
      a, b: float [N, H, W, C] images in [0, 1] (RGBA premultiplied and resized to ``side``
        x ``side`` by ``networks.network_input``).
      side: pixel grid the classifier sees.
      c: scikit-learn's inverse regularisation strength (small: thousands of pixels, a few
        hundred images).
      folds, seed: as ``cross_validated_auc``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    flat = [networks.network_input(x, side).reshape(len(x), -1) for x in balanced(a, b, seed)]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=c, solver="liblinear"))
    return cross_validated_auc(*flat, _sklearn(model), folds, seed)


def texture_auc(a: np.ndarray, b: np.ndarray, folds: int = 5, seed: int = 0) -> dict:
    """C2ST with gradient boosting (scikit-learn, 100 depth-3 trees) on texture statistics
    only (``features.texture_statistics``): flat colour, grain and edges, not content."""
    from sklearn.ensemble import GradientBoostingClassifier

    stats = [features.texture_statistics(x) for x in balanced(a, b, seed)]
    return cross_validated_auc(*stats, _sklearn(GradientBoostingClassifier(random_state=seed)),
                               folds, seed)


def cnn_auc(a: np.ndarray, b: np.ndarray, side: int = 32, steps: int = 300, folds: int = 5,
            seed: int = 0) -> dict:
    """C2ST with a small CNN (``networks.classifier``, filters 16-32-64) trained from scratch
    on each fold's training part for at least ``steps`` mini-batches of 32 (whole epochs;
    Adam, seeded), so a few dozen images get as much training as a few hundred.

    Args:
      a, b: float [N, H, W, C] images in [0, 1], resized to ``side`` x ``side``.
      side, steps: input size and training steps per fold.
      folds, seed: as ``cross_validated_auc``; ``seed`` also seeds every fold's network.
    """
    def fit_predict(x_train, y_train, x_test):
        model = networks.classifier(x_train.shape[1:], 2, C2ST_FILTERS, seed)
        epochs = math.ceil(steps / math.ceil(len(x_train) / networks.BATCH_SIZE))
        networks.fit(model, x_train, y_train, epochs, seed)
        logits = networks.outputs(model, x_test)
        return logits[:, 1] - logits[:, 0]

    inputs = [networks.network_input(x, side) for x in balanced(a, b, seed)]
    return cross_validated_auc(*inputs, fit_predict, folds, seed)
