"""Sample quality you can measure offline: every metric of every image set, side by side.

``sample_quality`` scores each sampler's images, the held-out reconstructions and the
held-out real images against the training images, with no download:

- classifier two-sample tests (``two_sample``): the cross-validated ROC AUC of a small CNN,
  of logistic regression on pixels and of gradient boosting on texture statistics that tell
  the set from training images (0.5: indistinguishable). Held-out real images give the floor:
  how close to 0.5 a perfect model can come with so few images.
- precision and recall (Kynkäänniemi et al. 2019) and KID (Bińkowski et al. 2018)
  (``feature_metrics``) in a feature space learned on the training images once per call
  (``features.learn_feature_space``; pass ``feature_space`` to reuse one across calls).
- sample chroma (``acvae.analysis.colour.sample_chroma_ratio`` against the held-out images) and, for
  samplers, memorisation (``acvae.analysis.metrics.memorisation``), as ``evaluate`` reports them.

Every set is scored on the same number n of its images (the smallest set's), so the columns
are comparable: a classifier given more images tells sets apart better, and recall grows with
the generated set. The two-sample tests compare them with n training images (the same seeded
subset for every column); precision, recall and KID with the features of all training images
(up to ``real_features_max``), whose k-NN balls then trace the data's manifold more finely
and whose KID terms are less noisy. ``format_table`` prints one column per set.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import time

import numpy as np

from acvae.analysis import colour, feature_metrics, features, metrics, two_sample

HELD_OUT = "held_out"
RECONSTRUCTIONS = "held_out_reconstructions"
TWO_SAMPLE_TESTS = ("c2st_cnn", "c2st_linear", "c2st_texture")


@contextlib.contextmanager
def _timed(seconds: dict, name: str):
    """Adds the seconds spent in the block to ``seconds[name]``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds[name] += time.perf_counter() - started


def _check(train_images, sets: dict, labels) -> None:
    """ValueError unless every set is [N >= 2, H, W, C] like the training images, C in 1, 3, 4."""
    shape = np.shape(train_images)[1:]
    if len(shape) != 3 or shape[-1] not in (1, 3, 4):
        raise ValueError(f"sample_quality needs images [N, H, W, C] with C = 1, 3 or 4, got "
                         f"{np.shape(train_images)}")
    for name, images in {"train": train_images, **sets}.items():
        if np.shape(images)[1:] != shape or len(images) < 2:
            raise ValueError(f"sample_quality: {name} images {np.shape(images)} are not at least "
                             f"2 images of the training images' shape {shape}")
    if labels is not None and len(labels) != len(train_images):
        raise ValueError(f"sample_quality: {len(labels)} labels for {len(train_images)} "
                         "training images")


def _check_names(samples: dict, two_sample_tests) -> None:
    """ValueError for a sampler named like a held-out set, or an unknown two-sample test."""
    reserved = {HELD_OUT, RECONSTRUCTIONS} & set(samples)
    if reserved:
        raise ValueError(f"sample_quality: sampler names {sorted(reserved)} are reserved")
    unknown = set(two_sample_tests) - set(TWO_SAMPLE_TESTS)
    if unknown:
        raise ValueError(f"sample_quality: unknown two-sample test(s) {sorted(unknown)}; "
                         f"valid: {', '.join(TWO_SAMPLE_TESTS)}")


def _bound_tests(names, side: int, cnn_steps: int, folds: int, seed: int) -> dict:
    """{test name: ``fn(reference, images) -> AUC dict``} for each of ``names`` (of
    ``TWO_SAMPLE_TESTS``), in that tuple's order, with the settings bound."""
    tests = {"c2st_cnn": functools.partial(two_sample.cnn_auc, side=side, steps=cnn_steps,
                                           folds=folds, seed=seed),
             "c2st_linear": functools.partial(two_sample.linear_pixel_auc, side=side,
                                              folds=folds, seed=seed),
             "c2st_texture": functools.partial(two_sample.texture_auc, folds=folds, seed=seed)}
    return {name: test for name, test in tests.items() if name in names}


def _real_features(train_images, train_labels, space: features.FeatureSpace | None, seed: int,
                   side: int, epochs: int, most: int,
                   seconds: dict) -> tuple[features.FeatureSpace, np.ndarray]:
    """The feature space (``space``, or one learned on the training images) and the features
    in it of at most ``most`` training images (a seeded subset): the real set of precision,
    recall and KID."""
    with _timed(seconds, "feature_space"):
        space = space or features.learn_feature_space(train_images, train_labels, seed, side,
                                                      epochs)
    with _timed(seconds, "embedding"):
        return space, space.embed(two_sample.subset(train_images,
                                                    min(len(train_images), most), seed))


def _score_set(images, reference, real_features, space, tests: dict, k: int, seed: int,
               seconds: dict) -> dict:
    """Two-sample AUCs of one set against the equally large training subset ``reference``;
    precision, recall and KID against the training features ``real_features``."""
    scores = {}
    for name, test in tests.items():
        with _timed(seconds, name):
            scores[name] = test(reference, images)
    with _timed(seconds, "embedding"):
        embedded = space.embed(images)
    with _timed(seconds, "precision_recall"):
        scores.update(feature_metrics.precision_recall(real_features, embedded, k))
    with _timed(seconds, "kid"):
        scores["kid"] = feature_metrics.kid(real_features, embedded, seed=seed)
    return scores


def _colour_and_memorisation(sets: dict, sampler_names, train_images, held_out_images,
                             seconds: dict) -> dict:
    """Per set: sample chroma against the held-out images (colour images only); memorisation
    for samplers (all their images)."""
    out = collections.defaultdict(dict)
    originals = colour.as_rgba(held_out_images)
    for name, images in sets.items():
        if originals is not None:
            with _timed(seconds, "chroma"):
                out[name]["chroma_ratio"] = colour.sample_chroma_ratio(
                    originals, colour.as_rgba(images))
        if name in sampler_names:
            with _timed(seconds, "memorisation"):
                out[name]["memorisation"] = metrics.memorisation(
                    images, train_images, held_out_images)
    return out


def sample_quality(train_images: np.ndarray, held_out_images: np.ndarray,
                   held_out_reconstructions: np.ndarray, samples: dict[str, np.ndarray],
                   train_labels: np.ndarray | None = None, *, seed: int = 0, folds: int = 5,
                   side: int = 32, cnn_steps: int = 300, feature_epochs: int = 10, k: int = 3,
                   real_features_max: int = 2000,
                   feature_space: features.FeatureSpace | None = None,
                   two_sample_tests=TWO_SAMPLE_TESTS) -> dict:
    """Every sample-quality metric for each sampler, the held-out reconstructions and the
    held-out real images, each against the training images.

    Args:
      train_images: float [N, H, W, C] in [0, 1], C = 1, 3 or 4 (straight RGBA whose
        background is transparent).
      held_out_images: [M, H, W, C] real images the model did not train on.
      held_out_reconstructions: [M', H, W, C] the model's reconstructions of them.
      samples: {sampler name: [S, H, W, C] generated images}.
      train_labels: [N] integer ids of the dataset's first categorical label, or None: the
        feature network learns to name it (and each image's rotation; rotation alone without
        a label; ``features.learn_feature_space``).
      seed: subsets, folds, networks and KID subsets; the same seed gives the same numbers.
      folds: cross-validation folds of the two-sample tests.
      side: images are resized to ``side`` x ``side`` for the networks and the pixel model.
      cnn_steps: training steps (mini-batches) of the two-sample CNN per fold.
      feature_epochs: training epochs of the feature network.
      k: the neighbour of precision and recall.
      real_features_max: at most this many training images (a seeded subset) are the real
        set of precision, recall and KID (distance tables grow with its square).
      feature_space: a ``features.FeatureSpace`` learned on these training images before
        (e.g. by an earlier call), or None to learn one.
      two_sample_tests: which of ``TWO_SAMPLE_TESTS`` to run (the CNN's takes most of the
        time: leave out ``"c2st_cnn"`` for a quick look).

    Returns:
      ``n_per_set`` (images of each set, and training images in each two-sample test),
      ``n_train``, ``n_real_features`` (training images in precision, recall and KID),
      ``feature_space`` (``FeatureSpace.describe``), ``sets``: {set name: {``c2st_cnn``,
      ``c2st_linear``, ``c2st_texture`` (those of ``two_sample_tests``, each
      ``two_sample.cross_validated_auc``'s dict),
      ``precision``, ``recall``, ``kid`` (``feature_metrics.kid``),
      ``chroma_ratio`` (colour images), ``memorisation`` (samplers)}} in the order: samplers,
      ``held_out_reconstructions``, ``held_out``; and ``seconds`` spent per metric.
    """
    _check_names(samples, two_sample_tests)
    sets = {**samples, RECONSTRUCTIONS: held_out_reconstructions, HELD_OUT: held_out_images}
    _check(train_images, sets, train_labels)
    seconds = collections.defaultdict(float)
    n = min(len(train_images), *(len(images) for images in sets.values()))
    reference = two_sample.subset(train_images, n, seed)
    space, real_features = _real_features(train_images, train_labels, feature_space, seed,
                                          side, feature_epochs, real_features_max, seconds)
    tests = _bound_tests(two_sample_tests, side, cnn_steps, folds, seed)
    scores = {name: _score_set(two_sample.subset(images, n, seed), reference,
                               real_features, space, tests, k, seed, seconds)
              for name, images in sets.items()}
    extra = _colour_and_memorisation(sets, samples, train_images, held_out_images, seconds)
    return {"n_per_set": n, "n_train": len(train_images), "n_real_features": len(real_features),
            "feature_space": space.describe(),
            "sets": {name: {**scores[name], **extra[name]} for name in sets},
            "seconds": dict(seconds)}


def _cell(scores: dict, path: tuple[str, ...], spread: str | None, scale: float) -> str:
    """One table cell: the value at ``path`` in a set's scores (x ``scale``), then ``±`` the
    value of its sibling ``spread`` when given; ``-`` when the set has no such metric."""
    parent = scores
    for key in path[:-1]:
        parent = parent.get(key, {})
    if path[-1] not in parent:
        return "-"
    text = f"{parent[path[-1]] * scale:.3f}"
    return text + f" ±{parent[spread] * scale:.3f}" if spread else text


# (row label, path into a set's scores, key of its spread beside the last key, scale)
TABLE_ROWS = (
    ("two-sample AUC, CNN", ("c2st_cnn", "auc"), "auc_std", 1.0),
    ("two-sample AUC, pixels (linear)", ("c2st_linear", "auc"), "auc_std", 1.0),
    ("two-sample AUC, texture only", ("c2st_texture", "auc"), "auc_std", 1.0),
    ("precision", ("precision",), None, 1.0),
    ("recall", ("recall",), None, 1.0),
    ("KID x 1000", ("kid", "mean"), "std", 1000.0),
    ("sample chroma", ("chroma_ratio",), None, 1.0),
    ("memorisation ratio", ("memorisation", "ratio"), None, 1.0),
)


def format_table(result: dict, titles: dict[str, str] | None = None) -> str:
    """``sample_quality``'s result as a text table: one row per metric, one column per set
    (each sampler, held-out reconstructions, held-out real images; a set's column is titled
    by its name, or by ``titles[name]``), then a line saying how many images each comparison
    used and what the feature space is."""
    names = list(result["sets"])
    titles = {RECONSTRUCTIONS: "held-out recon.", HELD_OUT: "held-out real", **(titles or {})}
    header = ["metric", *[titles.get(name, name) for name in names]]
    rows = [[label, *[_cell(result["sets"][name], path, spread, scale) for name in names]]
            for label, path, spread, scale in TABLE_ROWS]
    rows = [header] + [row for row in rows if set(row[1:]) != {"-"}]  # a metric not measured
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths))) for row in rows]
    space = result["feature_space"]
    lines.append(f"({result['n_per_set']} images per set; two-sample tests against as many "
                 f"of {result['n_train']} training images (0.5 = indistinguishable, ± over "
                 f"folds), precision, recall and KID against {result['n_real_features']} in "
                 f"the features of a {space['kind']} ({space['dim']} dimensions))")
    return "\n".join(lines)
