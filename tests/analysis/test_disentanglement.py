"""Tests for acvae.analysis.disentanglement: constructed codes with known answers (a copy of the
factors, a rotation of it, noise), hand-computed small cases, and the checks."""

import math

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score, mutual_info_score

from acvae.analysis import disentanglement
from acvae.data.schema import Label, Schema

SCORES = ("mig", "dci_disentanglement", "dci_completeness", "sap", "factor_vae")


def factors(n=900, seed=0):
    """Three categorical factors (3, 5 and 2 values) and three continuous ones."""
    rng = np.random.default_rng(seed)
    return {"shape": rng.integers(0, 3, n), "colour": rng.integers(0, 5, n),
            "flag": rng.integers(0, 2, n), "size": rng.uniform(0, 1, n),
            "hue": rng.uniform(0, 1, n), "angle": rng.normal(size=n)}


def copy_of(table):
    """A code that copies the factors, one standardised dimension each."""
    columns = np.stack([np.asarray(v, np.float64) for v in table.values()], axis=1)
    return (columns - columns.mean(0)) / columns.std(0)


@pytest.fixture(scope="module")
def constructed():
    """``scores`` of a copy of the factors, a random rotation of it, and noise."""
    table = factors()
    copy = copy_of(table)
    rng = np.random.default_rng(1)
    rotation, _ = np.linalg.qr(rng.normal(size=(copy.shape[1], copy.shape[1])))
    codes = {"copy": copy, "rotated": copy @ rotation, "noise": rng.normal(size=copy.shape)}
    return {name: disentanglement.scores(code, table) for name, code in codes.items()}


def test_a_copy_of_the_factors_scores_near_one(constructed):
    copy = constructed["copy"]
    assert copy.mig > 0.9 and copy.sap > 0.9 and copy.factor_vae == 1.0
    assert copy.dci_disentanglement > 0.85 and copy.dci_completeness > 0.85
    assert copy.dci_informativeness > 0.95
    assert list(copy.best_dimension) == list(range(6))  # each factor's own dimension
    assert list(np.argmax(copy.importance, axis=1)) == list(range(6))
    np.testing.assert_allclose(copy.importance.sum(axis=1), 1.0)


def test_a_rotation_scores_lower_but_keeps_the_information(constructed):
    copy, rotated = constructed["copy"], constructed["rotated"]
    for score in SCORES[:-1]:
        assert getattr(rotated, score) < getattr(copy, score) - 0.1, score
    # the dimension of least variance still tends to follow the factor it leans on most
    assert rotated.factor_vae < copy.factor_vae
    assert rotated.mig < 0.4 and rotated.dci_disentanglement < 0.5 and rotated.sap < 0.5
    assert rotated.dci_informativeness > 0.8  # the rotation is invertible: nothing is lost


def test_noise_scores_near_zero_and_chance(constructed):
    noise = constructed["noise"]
    for score in ("mig", "dci_disentanglement", "dci_completeness", "dci_informativeness",
                  "sap"):
        assert getattr(noise, score) < 0.05, score
    assert noise.factor_vae_chance == pytest.approx(1 / 6)
    assert noise.factor_vae < noise.factor_vae_chance + 0.1


def test_mig_of_two_binary_factors_by_hand():
    # every combination of a and b equally often: I(a; b) = 0 exactly
    a, b = np.repeat([0, 0, 1, 1], 25), np.repeat([0, 1, 0, 1], 25)
    table = {"a": a, "b": b}
    info, entropy = disentanglement.mutual_information(np.stack([a, b], 1), table)
    np.testing.assert_allclose(entropy, [math.log(2)] * 2)
    np.testing.assert_allclose(info, [[math.log(2), 0.0], [0.0, math.log(2)]], atol=1e-12)
    assert disentanglement.mig(np.stack([a, b], 1), table)[0] == pytest.approx(1.0)
    # a held by two dimensions alike: its gap is 0; b's is still 1; MIG = (0 + 1) / 2
    score, gaps = disentanglement.mig(np.stack([a, a, b], 1), table)
    np.testing.assert_allclose(gaps, [0.0, 1.0], atol=1e-12)
    assert score == pytest.approx(0.5)
    # one dimension: the gap is its information alone
    assert disentanglement.mig(a[:, None] * 1.0, table)[1] == pytest.approx([1.0, 0.0])


def test_dci_of_importance_matrices_by_hand():
    assert disentanglement.dci(np.eye(3)) == pytest.approx((1.0, 1.0))
    assert disentanglement.dci(np.ones((3, 3))) == pytest.approx((0.0, 0.0), abs=1e-12)
    # one factor spread over two dimensions: each dimension serves one factor (D = 1), the
    # factor is in two dimensions (C = 0); the transpose the other way round
    assert disentanglement.dci([[0.5, 0.5], [0.0, 0.0]]) == pytest.approx((1.0, 0.0))
    assert disentanglement.dci([[1.0, 0.0], [1.0, 0.0]]) == pytest.approx((0.0, 1.0))
    # [[0.75, 0.25], [0, 1]]: dimension 1 splits 0.25 : 1 between the factors
    h = -(0.2 * math.log2(0.2) + 0.8 * math.log2(0.8))
    c0 = 1 + 0.75 * math.log2(0.75) + 0.25 * math.log2(0.25)
    assert disentanglement.dci([[0.75, 0.25], [0.0, 1.0]]) == pytest.approx(
        (0.75 / 2 + (1 - h) * 1.25 / 2, c0 / 2 + 1 / 2))
    assert disentanglement.dci(np.zeros((2, 3))) == (0.0, 0.0)


def test_gaps_and_prediction_scores_by_hand_and_as_scikit_learn():
    gaps = disentanglement.top_gaps([[0.9, 0.2, 0.1], [0.5, 0.5, 0.0]])
    np.testing.assert_allclose(gaps, [0.7, 0.0])
    np.testing.assert_allclose(disentanglement.top_gaps([[0.4], [0.0]]), [0.4, 0.0])
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 4, 60)
    guesses = np.where(rng.random((60, 5)) < np.linspace(0, 1, 5), truth[:, None],
                       rng.integers(0, 4, (60, 5)))
    expected = [max(0.0, balanced_accuracy_score(truth, g, adjusted=True)) for g in guesses.T]
    np.testing.assert_allclose(disentanglement.prediction_scores(truth, guesses, True), expected)
    assert disentanglement.prediction_scores(truth, truth, True) == pytest.approx([1.0])
    values = rng.normal(size=40)
    np.testing.assert_allclose(
        disentanglement.prediction_scores(values, np.stack([values, -values, 0 * values], 1),
                                          False), [1.0, 0.0, 0.0])


def test_mutual_information_is_scikit_learns_for_every_dimension():
    rng = np.random.default_rng(0)
    codes = np.column_stack([rng.normal(size=200), rng.integers(0, 3, 200) + 0.0,
                             np.zeros(200)])
    table = {"kind": codes[:, 1].astype(int), "size": rng.uniform(size=200)}
    info, entropy = disentanglement.mutual_information(codes, table, n_bins=5)
    for k, values in enumerate(table.values()):
        labels = disentanglement.discretise(values, 5) if values.dtype.kind == "f" else values
        expected = [mutual_info_score(labels, disentanglement.discretise(column, 5))
                    for column in codes.T]
        np.testing.assert_allclose(info[k], expected, atol=1e-12)
        assert entropy[k] == pytest.approx(mutual_info_score(labels, labels))
    assert info[0, 1] == pytest.approx(entropy[0]) and info[:, 2].max() == 0.0


def test_one_dimension_predicts_values_that_own_intervals():
    rng = np.random.default_rng(0)
    labels = np.repeat([7, 3, 5], [50, 20, 5])  # unequal counts: equal priors all the same
    inside = rng.uniform(0.2, 0.8, len(labels))
    codes = np.column_stack([np.select([labels == 7, labels == 3], [0, 2], 4) + inside,
                             rng.normal(size=len(labels)), np.ones(len(labels))])
    new = np.array([[0.5, 0.0, 1.0], [2.5, 0.0, 1.0], [4.5, 0.0, 1.0]])
    predicted = disentanglement._interval_predictions(codes, labels, new)
    assert list(predicted[:, 0]) == [7, 3, 5]  # the middle value owns the middle interval
    assert set(predicted[:, 2]) == {3}  # a constant dimension: one value for everything
    fit, test = np.arange(0, 75, 2), np.arange(1, 75, 2)
    scores = disentanglement.predictiveness(codes, {"kind": labels}, fit, test)
    assert scores[0, 0] == 1.0 and scores[0, 1] < 0.5 and scores[0, 2] == 0.0


def test_the_lasso_finds_the_same_dimensions():
    table = factors(n=600)
    copy = copy_of(table)
    fit, test = disentanglement.split(len(copy), seed=0)
    weights, informed = disentanglement.importance(copy, table, fit, test, model="lasso")
    assert list(np.argmax(weights, axis=1)) == list(range(6))
    assert disentanglement.dci(weights)[0] > 0.8 and informed.mean() > 0.9
    with pytest.raises(ValueError, match="unknown DCI model 'forest'; valid: trees, lasso"):
        disentanglement.importance(copy, table, fit, test, model="forest")


def test_scores_are_reproducible_and_summarised():
    table = factors(n=300)
    codes = copy_of(table) + np.random.default_rng(2).normal(size=(300, 6))
    first, again = (disentanglement.scores(codes, table, seed=3) for _ in range(2))
    assert {s: getattr(first, s) for s in SCORES} == {s: getattr(again, s) for s in SCORES}
    summary = first.summary()
    assert set(summary) == {"mig", "dci", "sap", "factor_vae", "factor_vae_chance",
                            "n_factors", "per_factor"}
    assert set(summary["dci"]) == {"disentanglement", "completeness", "informativeness"}
    assert list(summary["per_factor"]) == list(table)
    assert set(first.seconds) == {"mig", "dci", "sap", "factor_vae"}


@pytest.mark.parametrize("codes, table, message", [
    (np.zeros((5, 2)), {"a": np.arange(5), "b": np.arange(5)}, "finite \\[N >= 10, L\\]"),
    (np.full((20, 2), np.nan), {"a": np.arange(20), "b": np.arange(20)}, "finite"),
    (np.zeros((20, 2)), {"a": np.arange(20)}, "at least 2 factors, got 1"),
    (np.zeros((20, 2)), {"a": np.arange(20), "b": np.zeros(20, int)}, "'b' has one value"),
    (np.zeros((20, 2)), {"a": np.arange(20), "b": np.arange(19)}, "'b' has shape \\(19,\\)"),
    (np.zeros((20, 2)), {"a": np.arange(20), "b": np.full(20, np.inf)}, "'b' has values"),
])
def test_bad_input_is_refused(codes, table, message):
    with pytest.raises(ValueError, match=message):
        disentanglement.scores(codes, table)


def test_of_items_uses_the_factors_that_vary_and_says_when_too_few(capsys):
    labels = (Label("kind", ("a", "b"), True), Label("mood", ("x",), False),
              Label("hue", (), False, continuous=True), Label("size", (), False, continuous=True))
    rng = np.random.default_rng(0)
    items = {"kind_id": rng.integers(0, 2, 40).astype(np.int32),
             "hue": rng.random(40).astype(np.float32), "size": np.ones(40, np.float32)}
    codes = np.stack([items["kind_id"], items["hue"]], 1) + 0.01 * rng.normal(size=(40, 2))
    parts = [{key: value[:30] for key, value in items.items()},
             {key: value[30:] for key, value in items.items()}]
    found = disentanglement.of_items(codes, parts, Schema("name", labels))
    assert found.factors == ("kind", "hue")  # the text label is no factor; size does not vary
    assert found.dci_informativeness > 0.9 and capsys.readouterr().out == ""
    assert disentanglement.of_items(codes, parts, Schema("name", labels[:2] + labels[3:])) is None
    assert capsys.readouterr().out == (
        "note: no disentanglement scores: the dataset has 1 factor(s) (categorical or "
        "continuous labels that vary); 2 are needed\n")
