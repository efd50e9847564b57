"""Disentanglement scores: how the dimensions of a code line up with a dataset's known factors.

``scores(codes, factors)`` takes codes ``[N, L]`` (posterior means) and a factors table
(name -> ``[N]``: integer arrays are categorical factors, floating ones continuous) and returns
four scores of the literature, each computed with scikit-learn on these items alone:

- **MIG**, the mutual information gap (Chen et al. 2018, "Isolating Sources of Disentanglement
  in VAEs", Eq. 5), with the discretised estimator of disentanglement_lib (Locatello et al.
  2019): codes and continuous factors binned into ``n_bins`` equal-width bins.
- **DCI** disentanglement, completeness and informativeness (Eastwood & Williams 2018, "A
  Framework for the Quantitative Evaluation of Disentangled Representations"): from the
  importance of each dimension to a predictor of each factor (gradient-boosted trees, as
  disentanglement_lib, or the lasso, as the paper).
- **SAP**, the separated attribute predictability (Kumar et al. 2018, "Variational Inference
  of Disentangled Latent Concepts from Unlabeled Observations", Sec. 3).
- the **FactorVAE score** (Kim & Mnih 2018, "Disentangling by Factorising", Sec. 4).

Where a metric needs held-out predictions (DCI's informativeness, SAP) the items are split once,
by ``seed``, into a part to fit on and ``test_fraction`` to score on. Predictions are scored
so that 0 is chance and 1 perfect for both kinds of factor: R² for a continuous factor, and
for a categorical one scikit-learn's chance-adjusted balanced accuracy; Eastwood & Williams
report an error and Kumar et al. a plain accuracy, whose chance level depends on the number of
values, so the scores of factors with 2 and with 18 values could not be averaged. Such a score
below chance counts as 0. The FactorVAE score keeps the paper's accuracy (chance is one over
the number of factors, ``Scores.factor_vae_chance``).

The FactorVAE score fixes one factor, encodes a fresh batch and asks which dimension varies
least. Only a dataset's codes are at hand here, so a batch is items that share the factor's
value (a continuous factor's quantile bin); the other factors vary as they happen to among
those items, not as fresh draws would. This deviation from the paper is disentanglement_lib's
too for datasets it cannot sample.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Mapping

import numpy as np

from acvae.data import batches

MIN_FACTORS = 2  # fewer and there is nothing to separate
MIN_ITEMS = 10
ACTIVE_VARIANCE = 0.01  # the FactorVAE score ignores dimensions whose codes vary less
DCI_MODELS = ("trees", "lasso")
TREE_DIMENSIONS = 16  # a tree split weighs every dimension of a code up to this size


@dataclasses.dataclass(frozen=True)
class Scores:
    """Every score of one code against one factors table.

    Attributes:
      factors: the factor names, in table order (K of them).
      mig, dci_disentanglement, dci_completeness, dci_informativeness, sap, factor_vae: the
        scores, each in [0, 1], higher is better.
      factor_vae_chance: the FactorVAE score of a code unrelated to the factors, 1 / K.
      mig_per_factor: [K] each factor's normalised gap (``mig`` is their mean).
      informativeness: [K] each factor's held-out prediction score from the whole code.
      importance: [K, L] how much each dimension serves DCI's predictor of each factor (each
        row sums to 1, or is 0 when nothing predicts the factor).
      predictiveness: [K, L] how well each dimension alone predicts each factor (SAP's score
        matrix; 0 chance, 1 perfect).
      best_dimension: [K] the dimension that predicts each factor best (``predictiveness``).
      seconds: the time each score took, by name.
    """

    factors: tuple[str, ...]
    mig: float
    dci_disentanglement: float
    dci_completeness: float
    dci_informativeness: float
    sap: float
    factor_vae: float
    factor_vae_chance: float
    mig_per_factor: np.ndarray
    informativeness: np.ndarray
    importance: np.ndarray
    predictiveness: np.ndarray
    best_dimension: np.ndarray
    seconds: dict[str, float]

    def summary(self) -> dict:
        """The scores, JSON-ready: the six numbers, chance for the FactorVAE score, and per
        factor its best dimension, its MIG and its informativeness."""
        return {
            "mig": self.mig,
            "dci": {"disentanglement": self.dci_disentanglement,
                    "completeness": self.dci_completeness,
                    "informativeness": self.dci_informativeness},
            "sap": self.sap,
            "factor_vae": self.factor_vae,
            "factor_vae_chance": self.factor_vae_chance,
            "n_factors": len(self.factors),
            "per_factor": {
                name: {"best_dimension": int(self.best_dimension[k]),
                       "mig": float(self.mig_per_factor[k]),
                       "informativeness": float(self.informativeness[k])}
                for k, name in enumerate(self.factors)},
        }


def is_categorical(values: np.ndarray) -> bool:
    """Whether a factor's values are categorical (integer or boolean dtype), not continuous."""
    return np.issubdtype(np.asarray(values).dtype, np.integer) or np.asarray(values).dtype == bool


def check(codes, factors: Mapping[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``(codes float64 [N, L], factors)`` after checking them.

    Raises:
      ValueError: codes that are not a finite [N, L] array of at least ``MIN_ITEMS`` rows,
        fewer than ``MIN_FACTORS`` factors, a factor that is not [N], not finite, or constant.
    """
    codes = np.asarray(codes, np.float64)
    if codes.ndim != 2 or len(codes) < MIN_ITEMS or not np.isfinite(codes).all():
        raise ValueError(f"codes must be a finite [N >= {MIN_ITEMS}, L] array, got shape "
                         f"{codes.shape}")
    if len(factors) < MIN_FACTORS:
        raise ValueError(f"need at least {MIN_FACTORS} factors, got {len(factors)}")
    checked = {}
    for name, values in factors.items():
        values = np.asarray(values)
        if values.shape != (len(codes),):
            raise ValueError(f"factor {name!r} has shape {values.shape}, not ({len(codes)},)")
        if not is_categorical(values) and not np.isfinite(values).all():
            raise ValueError(f"factor {name!r} has values that are not finite")
        if len(np.unique(values)) < 2:
            raise ValueError(f"factor {name!r} has one value: nothing to disentangle")
        checked[name] = values
    return codes, checked


def discretise(values: np.ndarray, n_bins: int, quantiles: bool = False) -> np.ndarray:
    """int [N]: ``values`` [N] in ``n_bins`` bins of equal width (disentanglement_lib's
    histogram bins), or of equal counts with ``quantiles``."""
    values = np.asarray(values, np.float64)
    if quantiles:
        edges = np.quantile(values, np.linspace(0.0, 1.0, n_bins + 1)[1:-1])
    else:
        edges = np.histogram_bin_edges(values, n_bins)[1:-1]
    return np.digitize(values, edges)


def _discrete(values: np.ndarray, n_bins: int, quantiles: bool = False) -> np.ndarray:
    """A factor as class labels: categorical ids as they are, continuous values binned."""
    return values if is_categorical(values) else discretise(values, n_bins, quantiles)


def top_gaps(matrix: np.ndarray) -> np.ndarray:
    """[K]: for each row of ``matrix`` [K, L], its largest entry minus its second largest (the
    largest alone when L = 1)."""
    ordered = -np.sort(-np.asarray(matrix, np.float64), axis=1)
    second = ordered[:, 1] if ordered.shape[1] > 1 else 0.0
    return ordered[:, 0] - second


def mutual_information(codes: np.ndarray, factors: Mapping[str, np.ndarray],
                       n_bins: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """``(I [K, L], H [K])``: the mutual information in nats between each factor and each
    binned dimension (from their contingency table, as scikit-learn's ``mutual_info_score``,
    for every dimension at once), and each factor's entropy."""
    from sklearn.metrics import mutual_info_score

    binned = np.stack([discretise(column, n_bins) for column in np.asarray(codes).T])
    info, entropy = [], []
    for values in factors.values():
        labels = np.unique(_discrete(values, n_bins), return_inverse=True)[1]
        n_values = labels.max() + 1
        # one contingency table [values, bins] per dimension, counted at once
        cells = labels[None] * (n_bins + 1) + binned + np.arange(len(binned))[:, None] * (
            n_values * (n_bins + 1))
        tables = np.bincount(cells.ravel(), minlength=len(binned) * n_values * (n_bins + 1))
        info.append(_table_information(tables.reshape(len(binned), n_values, n_bins + 1)))
        entropy.append(mutual_info_score(labels, labels))
    return np.asarray(info), np.asarray(entropy)


def _table_information(tables: np.ndarray) -> np.ndarray:
    """[T]: the mutual information in nats of each of T contingency tables [T, rows, columns]
    of counts, sum p(r, c) log(p(r, c) / (p(r) p(c))) over the non-empty cells (at least 0)."""
    joint = tables / tables.sum(axis=(1, 2), keepdims=True)
    independent = joint.sum(axis=2, keepdims=True) * joint.sum(axis=1, keepdims=True)
    ratio = np.divide(joint, independent, out=np.ones_like(joint), where=joint > 0)
    return np.maximum((joint * np.log(ratio)).sum(axis=(1, 2)), 0.0)


def mig(codes: np.ndarray, factors: Mapping[str, np.ndarray],
        n_bins: int = 20) -> tuple[float, np.ndarray]:
    """The mutual information gap (Chen et al. 2018, Eq. 5): for each factor v_k, the mutual
    information of its most informative dimension minus that of the runner-up, over H(v_k);
    averaged over the factors. A factor held by two dimensions alike scores 0.

    Returns:
      ``(MIG, [K] per-factor gaps)``, each in [0, 1].
    """
    info, entropy = mutual_information(codes, factors, n_bins)
    gaps = top_gaps(info) / entropy
    return float(gaps.mean()), gaps


def split(n: int, seed: int, test_fraction: float = 1 / 3) -> tuple[np.ndarray, np.ndarray]:
    """``(fit, test)`` item indices: a seeded random ``test_fraction`` of ``n`` is held out."""
    order = np.random.default_rng(seed).permutation(n)
    n_test = min(n - 2, max(2, round(test_fraction * n)))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def prediction_scores(truth: np.ndarray, predicted: np.ndarray,
                      categorical: bool) -> np.ndarray:
    """[P]: the score of each of P held-out predictions of one factor, 0 at chance and 1 when
    perfect (0 below chance). A continuous factor: R² (scikit-learn's ``r2_score``). A
    categorical one: the balanced accuracy (the mean recall of the values that occur)
    adjusted for chance, ``(b - 1/C) / (1 - 1/C)`` for C values, as scikit-learn's
    ``balanced_accuracy_score(adjusted=True)`` but for P predictions at once.

    Args:
      truth: [n] the factor's values.
      predicted: [n, P] (or [n]) predictions.
    """
    from sklearn.metrics import r2_score

    truth = np.asarray(truth)
    predicted = np.asarray(predicted).reshape(len(truth), -1)
    if categorical:
        classes = np.unique(truth)
        if len(classes) < 2:
            return np.zeros(predicted.shape[1])
        recall = np.mean([np.mean(predicted[truth == c] == c, axis=0) for c in classes], axis=0)
        score = (recall - 1 / len(classes)) / (1 - 1 / len(classes))
    else:
        score = r2_score(np.repeat(truth[:, None], predicted.shape[1], axis=1), predicted,
                         multioutput="raw_values")
    return np.clip(score, 0.0, 1.0)


def _predictor(categorical: bool, model: str, latent_dim: int, seed: int):
    """A scikit-learn estimator of one factor from the whole code (DCI's predictor)."""
    import sklearn
    from sklearn import ensemble, linear_model, pipeline, preprocessing
    from sklearn.utils.fixes import parse_version

    if model == "trees":
        kind = ensemble.GradientBoostingClassifier if categorical else (
            ensemble.GradientBoostingRegressor)
        candidates = max(round(latent_dim**0.5), min(latent_dim, TREE_DIMENSIONS))
        return kind(max_features=candidates, random_state=seed)
    if categorical:
        # scikit-learn 1.8 names the L1 penalty by l1_ratio alone and deprecates penalty=
        l1 = ({"l1_ratio": 1.0} if parse_version(sklearn.__version__) >= parse_version("1.8")
              else {"penalty": "l1"})
        lasso = linear_model.LogisticRegression(solver="saga", C=0.1, max_iter=2000,
                                                random_state=seed, **l1)
    else:
        lasso = linear_model.LassoCV(cv=3, random_state=seed)
    return pipeline.make_pipeline(preprocessing.StandardScaler(), lasso)


def _weights(predictor) -> np.ndarray:
    """[L] a fitted predictor's importance of each input: the trees' impurity decrease, or
    the lasso's absolute coefficients (summed over classes)."""
    if hasattr(predictor, "feature_importances_"):  # round-off can leave a hair below 0
        return np.clip(np.asarray(predictor.feature_importances_, np.float64), 0.0, None)
    return np.abs(np.atleast_2d(predictor[-1].coef_)).sum(axis=0)


def importance(codes: np.ndarray, factors: Mapping[str, np.ndarray], fit: np.ndarray,
               test: np.ndarray, model: str = "trees",
               seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """DCI's importance matrix and informativeness (Eastwood & Williams 2018, Sec. 3).

    One predictor per factor, fitted on the ``fit`` items from the whole code: gradient-boosted
    trees (``model="trees"``, as disentanglement_lib: scikit-learn's defaults but for the
    candidate dimensions of a split, all up to ``TREE_DIMENSIONS``, else ``sqrt(L)`` and at
    least that many, which keeps a 520-dimensional code to seconds instead of minutes) or the
    lasso (``"lasso"``, as the paper: L1 logistic regression or ``LassoCV`` on standardised
    codes).

    Returns:
      ``(importance [K, L], informativeness [K])``: each row of importances normalised to sum
      to 1 (so every factor weighs alike in D and C); each factor's ``prediction_scores`` on
      the ``test`` items.
    """
    if model not in DCI_MODELS:
        raise ValueError(f"unknown DCI model {model!r}; valid: {', '.join(DCI_MODELS)}")

    def one(values: np.ndarray) -> tuple[np.ndarray, float]:
        categorical = is_categorical(values)
        predictor = _predictor(categorical, model, codes.shape[1], seed)
        predictor.fit(codes[fit], values[fit])
        weights = _weights(predictor)
        score = prediction_scores(values[test], predictor.predict(codes[test]), categorical)[0]
        return (weights / weights.sum() if weights.sum() > 0 else weights), score

    rows, informativeness = zip(*per_factor(one, factors))
    return np.asarray(rows), np.asarray(informativeness)


def per_factor(compute, factors: Mapping[str, np.ndarray]) -> list:
    """``[compute(values) for values in factors.values()]``, the factors on every core:
    scikit-learn's tree building releases the GIL, so threads share the work (same results,
    each fit being seeded)."""
    import joblib

    return joblib.Parallel(n_jobs=-1, prefer="threads")(
        joblib.delayed(compute)(values) for values in factors.values())


def _one_minus_entropy(weights: np.ndarray, base: int) -> np.ndarray:
    """1 - the entropy in base ``base`` of each row of ``weights`` as shares (1 for a
    weightless row, and for every row when ``base`` is 1)."""
    from scipy.stats import entropy

    if base < 2:
        return np.ones(len(weights))
    return np.asarray([1.0 - entropy(row, base=base) if row.sum() > 0 else 1.0
                       for row in weights])


def dci(importance_matrix: np.ndarray) -> tuple[float, float]:
    """``(disentanglement, completeness)`` of an importance matrix R [K factors, L dimensions]
    (Eastwood & Williams 2018, Sec. 3.1-3.2).

    Disentanglement: each dimension's 1 - H_K(its importance over the factors), weighted by its
    share of all importance. Completeness: each factor's 1 - H_L(its importance over the
    dimensions), weighted by its share. Both in [0, 1]; 0 for an all-zero matrix.
    """
    matrix = np.asarray(importance_matrix, np.float64)
    total = matrix.sum()
    if total <= 0:
        return 0.0, 0.0
    n_factors, n_dims = matrix.shape
    disentanglement = _one_minus_entropy(matrix.T, n_factors) @ (matrix.sum(axis=0) / total)
    completeness = _one_minus_entropy(matrix, n_dims) @ (matrix.sum(axis=1) / total)
    return float(disentanglement), float(completeness)


def predictiveness(codes: np.ndarray, factors: Mapping[str, np.ndarray], fit: np.ndarray,
                   test: np.ndarray) -> np.ndarray:
    """[K, L]: how well each dimension alone predicts each factor on the ``test`` items (SAP's
    score matrix, Kumar et al. 2018, Sec. 3), scored by ``prediction_scores`` (0 chance, 1
    perfect): for a continuous factor the least-squares line on the dimension (R²); for a
    categorical one thresholds on the dimension, each value owning an interval (linear
    discriminant analysis on the one dimension), every dimension at once."""
    def one(values: np.ndarray) -> np.ndarray:
        if is_categorical(values):
            predicted = _interval_predictions(codes[fit], values[fit], codes[test])
        else:
            predicted = _line_predictions(codes[fit], values[fit], codes[test])
        return prediction_scores(values[test], predicted, is_categorical(values))

    return np.asarray([one(values) for values in factors.values()]).reshape(
        len(factors), codes.shape[1])


def _interval_predictions(codes: np.ndarray, labels: np.ndarray, new: np.ndarray) -> np.ndarray:
    """[M, L]: each dimension's linear discriminant analysis of ``labels`` [N] from
    ``codes[:, j]`` (one Gaussian per value with a variance shared by all, as scikit-learn's
    ``LinearDiscriminantAnalysis`` on that column alone, but with equal priors: the balanced
    accuracy that scores it weighs every value alike), applied to ``new`` [M, L]. On a line
    the discriminants are linear in the code, so each value predicts on one interval; a
    dimension that does not vary predicts the first value."""
    classes, ids = np.unique(labels, return_inverse=True)
    means = np.stack([codes[ids == c].mean(axis=0) for c in range(len(classes))])  # [C, L]
    variance = ((codes - means[ids]) ** 2).sum(axis=0) / max(len(codes) - len(classes), 1)
    variance = np.where(variance > 0, variance, np.inf)
    discriminant = (new[:, None] - means[None] / 2) * means[None] / variance  # [M, C, L]
    return classes[np.argmax(discriminant, axis=1)]


def _line_predictions(codes: np.ndarray, values: np.ndarray, new: np.ndarray) -> np.ndarray:
    """[M, L]: each dimension's least-squares line through ``(codes[:, j], values)``
    evaluated at ``new`` [M, L] (the mean where a dimension does not vary)."""
    centred = codes - codes.mean(axis=0)
    variance = (centred**2).sum(axis=0)
    slope = np.divide(centred.T @ (values - values.mean()), variance,
                      out=np.zeros(codes.shape[1]), where=variance > 0)
    return values.mean() + (new - codes.mean(axis=0)) * slope


def factor_vae_score(codes: np.ndarray, factors: Mapping[str, np.ndarray], seed: int = 0,
                     batch_size: int = 64, n_votes: int = 1000, n_bins: int = 10,
                     min_group: int = 8) -> float:
    """The FactorVAE score (Kim & Mnih 2018, Sec. 4): the accuracy of a majority-vote
    classifier that names the fixed factor from the dimension of least normalised variance.

    Each vote fixes a random factor at the value of a random item, takes up to ``batch_size``
    items sharing that value (a group of at least ``min_group``; a continuous factor's value
    is its quantile bin of ``n_bins``), divides their codes by the standard deviation of all
    codes and notes the active dimension (variance above ``ACTIVE_VARIANCE``) whose variance
    over the batch is least. Half the votes train the classifier (each dimension names the
    factor it voted for most), the other half score it. Chance is 1 / K.

    Returns:
      The accuracy in [0, 1]; 0 when no dimension is active or no group is large enough.
    """
    rng = np.random.default_rng(seed)
    active = np.flatnonzero(codes.var(axis=0) > ACTIVE_VARIANCE)
    groups = [_groups(_discrete(values, n_bins, quantiles=True), min_group)
              for values in factors.values()]
    usable = [k for k, found in enumerate(groups) if found]
    if len(active) == 0 or not usable:
        return 0.0
    normalised = codes[:, active] / codes[:, active].std(axis=0)
    votes = []
    for _ in range(n_votes):
        k = usable[rng.integers(len(usable))]
        sizes = np.asarray([len(group) for group in groups[k]], np.float64)
        members = groups[k][rng.choice(len(sizes), p=sizes / sizes.sum())]
        batch = rng.choice(members, min(batch_size, len(members)), replace=False)
        votes.append((int(np.argmin(normalised[batch].var(axis=0))), k))
    votes = np.asarray(votes)
    train, held_out = votes[: n_votes // 2], votes[n_votes // 2:]
    table = np.zeros((len(active), len(factors)), np.int64)
    np.add.at(table, (train[:, 0], train[:, 1]), 1)
    return float(np.mean(np.argmax(table, axis=1)[held_out[:, 0]] == held_out[:, 1]))


def _groups(labels: np.ndarray, min_size: int) -> list[np.ndarray]:
    """The item indices of each value of ``labels`` held by at least ``min_size`` items."""
    groups = [np.flatnonzero(labels == value) for value in np.unique(labels)]
    return [group for group in groups if len(group) >= min_size]


def scores(codes, factors: Mapping[str, np.ndarray], seed: int = 0, n_bins: int = 20,
           dci_model: str = "trees", test_fraction: float = 1 / 3) -> Scores:
    """Every disentanglement score of ``codes`` against ``factors``.

    Args:
      codes: [N, L] the items' codes (posterior means).
      factors: name -> [N] values: integer ids for a categorical factor, floats for a
        continuous one (``acvae.data.batches.factors`` of a collected split); at least two, none
        constant.
      seed: the fit/test split, the trees and the FactorVAE votes.
      n_bins: equal-width bins of a dimension or a continuous factor for MIG.
      dci_model: one of ``DCI_MODELS`` (``importance``).
      test_fraction: the share of items held out to score predictions (DCI, SAP).

    Returns:
      ``Scores``.

    Raises:
      ValueError: see ``check``.
    """
    codes, factors = check(codes, factors)
    fit, test = split(len(codes), seed, test_fraction)
    seconds: dict[str, float] = {}

    def timed(name: str, compute):
        started = time.perf_counter()
        with warnings.catch_warnings():  # many values among few items are expected here
            warnings.filterwarnings("ignore", "The number of unique classes", UserWarning)
            result = compute()
        seconds[name] = time.perf_counter() - started
        return result

    mig_score, gaps = timed("mig", lambda: mig(codes, factors, n_bins))
    weights, informed = timed("dci", lambda: importance(codes, factors, fit, test, dci_model,
                                                        seed))
    disentanglement, completeness = dci(weights)
    alone = timed("sap", lambda: predictiveness(codes, factors, fit, test))
    vote = timed("factor_vae", lambda: factor_vae_score(codes, factors, seed))
    return Scores(
        factors=tuple(factors), mig=mig_score, dci_disentanglement=disentanglement,
        dci_completeness=completeness, dci_informativeness=float(informed.mean()),
        sap=float(top_gaps(alone).mean()), factor_vae=vote, factor_vae_chance=1 / len(factors),
        mig_per_factor=gaps, informativeness=informed, importance=weights,
        predictiveness=alone, best_dimension=np.argmax(alone, axis=1), seconds=seconds)


def of_items(codes, parts: list[dict], schema, seed: int = 0,
             what: str = "disentanglement scores") -> Scores | None:
    """``scores`` of items' codes against the dataset's factors (``schema.factors``, those that
    vary over the items), or None after one printed line when fewer than ``MIN_FACTORS`` do or
    there are fewer than ``MIN_ITEMS`` items.

    Args:
      codes: [N, L] the codes of the items of ``parts``, in order.
      parts: ``batches.collect`` results with every factor's key (e.g. a run's training and
        validation splits).
      schema: the dataset's ``Schema``.
      seed: as ``scores``.
      what: what is not made without factors, for the line.
    """
    tables = [batches.factors(part, schema) for part in parts]
    table = {label.name: np.concatenate([found[label.name] for found in tables])
             for label in schema.factors}
    varying = {name: values for name, values in table.items() if len(np.unique(values)) > 1}
    if len(varying) < MIN_FACTORS:
        print(f"note: no {what}: the dataset has {len(varying)} factor(s) (categorical or "
              f"continuous labels that vary); {MIN_FACTORS} are needed", flush=True)
        return None
    if len(codes) < MIN_ITEMS:
        print(f"note: no {what}: {len(codes)} items are too few (at least {MIN_ITEMS})",
              flush=True)
        return None
    return scores(codes, varying, seed)


def evaluation(parts: list[dict], schema, seed: int = 0) -> dict:
    """The disentanglement entry of ``acvae.analysis.evaluation``'s metrics: ``of_items`` of
    the posterior means of the items of every split together (the scores' own fit/test split
    is by ``seed``).

    Args:
      parts: ``batches.collect`` results holding the posterior means as ``"mean"`` and every
        label (``evaluate``'s training and validation splits).
      schema: the dataset's ``Schema``.
      seed: as ``scores``.

    Returns:
      ``{"disentanglement": Scores.summary()}``; ``{}`` (after one line) for fewer than
      ``MIN_FACTORS`` factors.
    """
    found = of_items(np.concatenate([part["mean"] for part in parts]), parts, schema, seed)
    return {} if found is None else {"disentanglement": found.summary()}
