"""What every evaluation of a tiny synthetic-villager run must hold (shared by the tests of
``acvae.analysis.evaluation`` and of the ``evaluate`` command), and the run they evaluate."""

import math

import gin
import pytest

from acvae.analysis import evaluation
from acvae.core import config
from acvae.training.loop import train
from tests.conftest import REPO

SPLIT_KEYS = {"elbo", "reconstruction", "kl", "mse", "chroma_ratio", "delta_e"}
TOP_KEYS = {
    "epoch", "k", "elbo_samples", "n_train", "n_validation", "latent_dim", "validation", "train",
    "elbo_gap", "kl_per_dimension", "activity", "active_units", "knn_accuracy",
    "linear_probe_accuracy", "majority_accuracy", "memorisation", "likelihood", "alpha_weighting",
    "samples", "disentanglement",  # the synthetic villagers have their generative factors
}
MEMORISATION_KEYS = {"samples_to_train", "validation_to_train", "ratio", "n_samples", "n_train",
                     "n_validation"}
QUALITY_KEYS = {"mode", "sampler", "two_sample_tests", "n_per_set", "n_train", "n_real_features",
                "feature_space", "sets", "seconds"}
LABELS = {"species", "personality", "gender"}


def train_tiny_run(run_dir, villagers_tfrecord):
    """A 16x16, 1-epoch run of the latent1d config with an index.html to re-render, in
    ``run_dir``."""
    gin.clear_config(clear_constants=True)
    config.load(
        [str(REPO / "configs/latent1d.gin"), str(REPO / "configs/test.gin")],
        [f"TFRECORD = '{villagers_tfrecord}'", "N_EPOCHS = 1", "LATENT_DIM = 2",
         "train.visualisers = [@visualisers.index_html()]"],
        finalize=False,
    )
    train(run_dir)
    gin.clear_config(clear_constants=True)
    return run_dir


def check_keys(result, latent_dim, quality=False):
    """Asserts ``result`` (``evaluation.evaluate``'s) has every key, each a sane value."""
    assert set(result) == TOP_KEYS | ({"sample_quality"} if quality else set())
    assert set(result["train"]) == SPLIT_KEYS
    assert set(result["validation"]) == SPLIT_KEYS | {"iwae", "elbo_from_iwae_samples"}
    assert set(result["memorisation"]) == MEMORISATION_KEYS
    assert set(result["samples"]) == {"prior", "sampler"}
    for source in result["samples"].values():
        assert set(source) == {"memorisation", "chroma_ratio"}
        assert set(source["memorisation"]) == MEMORISATION_KEYS
        assert source["chroma_ratio"] >= 0.0
    assert result["memorisation"] == result["samples"]["sampler"]["memorisation"]
    assert 0.0 <= result["validation"]["chroma_ratio"] and result["validation"]["delta_e"] >= 0.0
    for probe in ("knn_accuracy", "linear_probe_accuracy", "majority_accuracy"):
        assert LABELS <= set(result[probe])  # the synthetic villagers' labels, and any more
        assert all(0.0 <= v <= 1.0 for v in result[probe].values())
    assert len(result["kl_per_dimension"]) == len(result["activity"]) == latent_dim
    assert 0 <= result["active_units"] <= latent_dim
    numbers = [v for v in evaluation.scalars(result).values()]
    assert numbers and all(math.isfinite(v) for v in numbers)
    validation = result["validation"]
    assert validation["elbo"] == pytest.approx(-(validation["reconstruction"] + validation["kl"]))
    assert validation["iwae"] >= validation["elbo_from_iwae_samples"]  # Jensen, same samples
    assert 0.0 <= validation["mse"] <= 1.0
    assert result["elbo_gap"] == pytest.approx(result["train"]["elbo"] - validation["elbo"])
