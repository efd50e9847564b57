"""Tests for acvae.analysis: each sample-quality metric on cases with a known answer.

Image families are 16x16 RGBA: flat-coloured discs and squares on a transparent background
(the "art"), the same with speckle, and uniform noise. Identical families must be hard to tell
apart (AUC near 0.5, precision and recall near 1, KID near 0), different ones easy.
"""

import numpy as np
import pytest

from acvae.analysis import colour, feature_metrics, features, networks, sample_quality, two_sample

SIZE = 16


def family(kind: str, n: int, seed: int) -> np.ndarray:
    """n float32 [16, 16, 4] images: ``discs``, ``squares``, ``shapes`` (both, alternating),
    ``speckled`` (shapes with colour noise) or ``noise`` (uniform RGBA)."""
    rng = np.random.default_rng(seed)
    if kind == "noise":
        return rng.uniform(size=(n, SIZE, SIZE, 4)).astype(np.float32)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    images = np.zeros((n, SIZE, SIZE, 4), np.float32)
    for i in range(n):
        cx, cy = rng.uniform(6, 10, 2)
        radius = rng.uniform(3, 6)
        disc = kind == "discs" or (kind != "squares" and i % 2 == 0)
        mask = ((xx - cx) ** 2 + (yy - cy) ** 2 <= radius**2 if disc
                else (abs(xx - cx) <= radius * 0.8) & (abs(yy - cy) <= radius * 0.8))
        images[i][mask] = [*rng.uniform(0.2, 1.0, 3), 1.0]
    if kind == "speckled":
        images[..., :3] = np.clip(images[..., :3] + rng.normal(0, 0.15, images[..., :3].shape),
                                  0, 1) * (images[..., 3:] > 0)
    return images


def shape_labels(n: int) -> np.ndarray:
    """The ``shapes`` family's labels: 0 for a disc, 1 for a square."""
    return np.arange(n) % 2


# --- precision and recall (Kynkäänniemi et al. 2019) ---------------------------------------

def brute_force_precision_recall(real, generated, k):
    """The paper's Eq. 1-2 with plain loops."""
    def radius(point, points):
        return sorted(np.linalg.norm(point - other) for other in points)[k]  # [0] is itself

    def inside(query, points):
        return any(np.linalg.norm(query - p) <= radius(p, points) for p in points)

    return (np.mean([inside(g, real) for g in generated]),
            np.mean([inside(r, generated) for r in real]))


def test_precision_recall_match_a_brute_force_computation():
    rng = np.random.default_rng(0)
    real, generated = rng.normal(size=(12, 2)), rng.normal(0.7, 1.3, size=(9, 2))
    for k in (1, 2, 3):
        result = feature_metrics.precision_recall(real, generated, k)
        precision, recall = brute_force_precision_recall(real, generated, k)
        assert (result["precision"], result["recall"]) == (precision, recall)
    assert 0 < result["precision"] < 1 and 0 < result["recall"] < 1  # a case that tells


def test_precision_recall_by_hand():
    # real radii (k = 1) are 1 each: 0.5 is inside, 4 is on a ball's edge (inside: <=), 10 is
    # outside; generated radii are 3.5, 6 and 3.5, so every real point is inside
    real = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])
    generated = np.array([[0.5, 0.0], [10.0, 0.0], [4.0, 0.0]])
    assert feature_metrics.precision_recall(real, generated, k=1) == {"precision": 2 / 3,
                                                                      "recall": 1.0}
    assert feature_metrics.precision_recall(real, real, k=1) == {"precision": 1.0,
                                                                 "recall": 1.0}


# --- KID (Bińkowski et al. 2018) -------------------------------------------------------------

def test_kid_equals_a_hand_computation():
    # k(x, y) = (x.y / 2 + 1)^3: k(x1, x2) = k(y1, y2) = 1; cross terms 3.375, 1, 3.375, 1
    # MMD^2_u = 1 + 1 - 2 * 8.75 / 4 = -2.375
    x = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([[1.0, 1.0], [0.0, 0.0]])
    assert feature_metrics.mmd2_unbiased(x, y) == pytest.approx(-2.375)
    result = feature_metrics.kid(x, y, n_subsets=5)
    assert result["mean"] == pytest.approx(-2.375) and result["std"] == pytest.approx(0.0)


def test_unbiased_mmd_matches_loops_for_unequal_sizes():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))

    def kernel(a, b):
        return (a @ b / 3 + 1) ** 3

    def within(s):
        pairs = [(i, j) for i in range(len(s)) for j in range(len(s)) if i != j]
        return sum(kernel(s[i], s[j]) for i, j in pairs) / len(pairs)

    cross = sum(kernel(a, b) for a in x for b in y) / (len(x) * len(y))
    assert feature_metrics.mmd2_unbiased(x, y) == pytest.approx(within(x) + within(y)
                                                                - 2 * cross)


def test_kid_is_near_zero_for_one_distribution_and_large_for_two():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(200, 8)), rng.normal(size=(200, 8))
    shifted = rng.normal(size=(200, 8)) + np.eye(8)[0]
    assert abs(feature_metrics.kid(a, b)["mean"]) < 0.05
    assert feature_metrics.kid(a, shifted)["mean"] > 0.3


# --- classifier two-sample tests ---------------------------------------------------------------

def test_cross_validated_auc_is_chance_for_one_distribution_and_one_for_two():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    fit_predict = two_sample._sklearn(LogisticRegression())
    same = two_sample.cross_validated_auc(rng.normal(size=(150, 4)), rng.normal(size=(200, 4)),
                                          fit_predict)
    apart = two_sample.cross_validated_auc(rng.normal(size=(60, 4)),
                                           rng.normal(size=(60, 4)) + 5, fit_predict)
    assert abs(same["auc"] - 0.5) < 0.1 and same["n_per_set"] == 150 and same["folds"] == 5
    assert apart["auc"] == 1.0


@pytest.mark.parametrize("test", ["linear", "texture", "cnn"])
def test_image_two_sample_tests(test):
    run = {"linear": lambda a, b: two_sample.linear_pixel_auc(a, b, side=SIZE, folds=3),
           "texture": lambda a, b: two_sample.texture_auc(a, b, folds=3),
           "cnn": lambda a, b: two_sample.cnn_auc(a, b, side=SIZE, steps=60, folds=3)}[test]
    same = run(family("shapes", 40, 0), family("shapes", 40, 1))["auc"]
    apart = run(family("shapes", 40, 0), family("noise", 40, 1))["auc"]
    assert abs(same - 0.5) < 0.2 and apart > 0.95


def test_texture_test_tells_speckle_from_flat_colour():
    flat, speckled = family("shapes", 40, 0), family("speckled", 40, 1)
    assert two_sample.texture_auc(flat, speckled, folds=3)["auc"] > 0.9


def test_texture_statistics_of_flat_and_checkered_art():
    flat = np.zeros((1, 8, 8, 4), np.float32)
    flat[0, 2:6, 2:6] = [1.0, 0.0, 0.0, 1.0]  # a red square, transparent around
    checkered = flat.copy()
    checkered[0, 2:6, 2:6][np.indices((4, 4)).sum(0) % 2 == 1] = [0.0, 0.0, 1.0, 1.0]
    stats = features.texture_statistics(np.concatenate([flat, checkered]))
    histogram, (mean, median, p90, flat_share), (laplacian, fine) = (
        stats[:, :64], stats[:, 64:68].T, stats[:, 68:70].T)
    assert histogram[0, 3 * 16] == 1.0 and histogram[1].max() == 0.5  # all red; half blue
    red_to_blue = np.linalg.norm(np.diff(colour.srgb_to_lab(
        np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])), axis=0))
    assert (mean[0], median[0], p90[0], flat_share[0], laplacian[0]) == (0.0, 0.0, 0.0, 1.0, 0.0)
    assert fine[0] == pytest.approx(0.0, abs=1e-9)
    assert p90[1] == pytest.approx(red_to_blue) and fine[1] > 0
    assert mean[1] == pytest.approx(red_to_blue) and flat_share[1] == 0.0 and laplacian[1] > 0
    assert stats[0, 70] == pytest.approx(16 / 64) and stats[0, 71] == 0.0  # area, soft edge


def test_network_input_premultiplies_and_resizes():
    images = np.zeros((2, 8, 8, 4), np.float32)
    images[..., :3] = 0.7  # colour under alpha 0: undefined, must not show
    images[1, :4, :, 3] = 1.0
    out = networks.network_input(images, 4)
    assert out.shape == (2, 4, 4, 4)
    assert out[0].max() == 0.0
    np.testing.assert_allclose(out[1, :2, :, :3], 0.7, rtol=1e-6)
    np.testing.assert_allclose(out[1, 2:], 0.0)


# --- the learned feature space -----------------------------------------------------------------

def test_feature_space_is_deterministic_for_a_seed():
    images, labels = family("shapes", 24, 0), shape_labels(24)
    first = features.learn_feature_space(images, labels, seed=0, side=SIZE, epochs=2)
    again = features.learn_feature_space(images, labels, seed=0, side=SIZE, epochs=2)
    other = features.learn_feature_space(images, labels, seed=1, side=SIZE, epochs=2)
    probe = family("shapes", 6, 5)
    np.testing.assert_array_equal(first.embed(probe), again.embed(probe))
    assert not np.allclose(first.embed(probe), other.embed(probe))
    assert first.embed(probe).shape == (6, networks.FILTERS[-1])
    assert first.kind == "label and rotation classifier"


def test_feature_space_without_labels_learns_rotation():
    space = features.learn_feature_space(family("shapes", 24, 0), None, side=SIZE, epochs=1)
    assert space.kind == "rotation classifier" and np.isfinite(space.training_loss)
    np.testing.assert_allclose(space.embed(family("shapes", 24, 0)).mean(0), 0.0, atol=1e-6)


# --- the whole report ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def report():
    """sample_quality on shapes, with a copy of the training set and noise as samplers."""
    train, held_out = family("shapes", 60, 0), family("shapes", 30, 1)
    samples = {"fresh": family("shapes", 40, 2), "copy": train.copy(),
               "noise": family("noise", 30, 3)}
    return sample_quality.sample_quality(
        train, held_out, family("speckled", 30, 4), samples, shape_labels(60), folds=3,
        side=SIZE, cnn_steps=40, feature_epochs=3)


def test_report_scores_known_cases(report):
    sets = report["sets"]
    assert list(sets) == ["fresh", "copy", "noise", "held_out_reconstructions", "held_out"]
    assert report["n_per_set"] == 30 and report["n_real_features"] == 60
    copy, noise, fresh = sets["copy"], sets["noise"], sets["fresh"]
    # a copy is inside the training manifold and closer to training images than to held-out
    assert copy["precision"] == 1.0 and copy["memorisation"]["ratio"] < 0.5
    assert fresh["memorisation"]["ratio"] > 0.8
    assert noise["precision"] < 0.1 and noise["recall"] == 0.0
    for test in sample_quality.TWO_SAMPLE_TESTS:  # 30 a side: chance spreads about ±0.1
        assert noise[test]["auc"] > 0.95 and sets["held_out"][test]["auc"] < 0.75
    assert sets["held_out_reconstructions"]["c2st_texture"]["auc"] > 0.9  # speckle
    assert noise["kid"]["mean"] > 20 * abs(sets["held_out"]["kid"]["mean"])
    assert fresh["precision"] > 0.8 and sets["held_out"]["chroma_ratio"] == 1.0
    assert "memorisation" not in sets["held_out"]


def test_table_has_a_column_per_set(report):
    lines = sample_quality.format_table(report).splitlines()
    assert lines[0].split() == ["metric", "fresh", "copy", "noise", "held-out", "recon.",
                                "held-out", "real"]
    memorisation = next(line for line in lines if line.startswith("memorisation"))
    assert memorisation.split()[-2:] == ["-", "-"]
    assert float(memorisation.split()[3]) < 0.5  # the copy
    assert len(lines) == len(sample_quality.TABLE_ROWS) + 2


def test_bad_inputs_are_refused():
    images = family("shapes", 4, 0)
    with pytest.raises(ValueError, match="reserved"):
        sample_quality.sample_quality(images, images, images, {"held_out": images})
    with pytest.raises(ValueError, match="shape"):
        sample_quality.sample_quality(images, images, images[:, :8], {})
    with pytest.raises(ValueError, match="labels"):
        sample_quality.sample_quality(images, images, images, {}, np.zeros(3))
