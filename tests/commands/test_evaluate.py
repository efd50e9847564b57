"""Tests for acvae.commands.evaluate: the command on a tiny trained run (its sample metrics, samplers
compared), and every prior and likelihood."""

import json
import math

import gin
import pytest

from acvae.analysis import sample_quality
from acvae.commands import evaluate
from acvae.core import cli, config, registry
from acvae.core.errors import UserError
from acvae.data.pipeline import input_pipeline
from acvae.models import build_vae
from acvae.runs import experiment
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


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, villagers_tfrecord):
    """A 16x16, 1-epoch run of the latent1d config with an index.html to re-render."""
    run_dir = tmp_path_factory.mktemp("run")
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


def _check_keys(result, latent_dim, quality=False):
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
    numbers = [v for v in evaluate.scalars(result).values()]
    assert numbers and all(math.isfinite(v) for v in numbers)
    validation = result["validation"]
    assert validation["elbo"] == pytest.approx(-(validation["reconstruction"] + validation["kl"]))
    assert validation["iwae"] >= validation["elbo_from_iwae_samples"]  # Jensen, same samples
    assert 0.0 <= validation["mse"] <= 1.0
    assert result["elbo_gap"] == pytest.approx(result["train"]["elbo"] - validation["elbo"])


def test_command_writes_every_key_tensorboard_and_index_html(tiny_run, capsys):
    result = cli.invoke(evaluate.main, [
        "--run_dir", str(tiny_run), "--k", "8", "--samples", "6", "--elbo_samples", "2",
        "--sample_quality", "fast",
        "--gin_param", "evaluate.compare_samplers = [@diag/samplers.gaussian_mixture(), "
                       "@samplers.gaussian_mixture(), @samplers.prior()]",
        "--gin_param", "diag/samplers.gaussian_mixture.covariance_type = 'diag'"])
    _check_keys(result, latent_dim=2, quality=True)
    assert result["epoch"] == 1 and result["k"] == 8
    assert result["memorisation"]["n_samples"] == 6
    assert json.loads((tiny_run / "metrics.json").read_text()) == result
    quality = result["sample_quality"]
    assert set(quality) == QUALITY_KEYS
    assert quality["mode"] == "fast" and quality["sampler"] == "gaussian_mixture"
    # the run's own sampler (and a copy of it) once, the diagonal mixture beside it; the prior
    # compared is a second prior column
    assert list(quality["sets"]) == ["prior", "sampler", "gaussian_mixture", "prior_2",
                                     "held_out_reconstructions", "held_out"]
    for name, scores in quality["sets"].items():
        assert "c2st_cnn" not in scores and 0.0 <= scores["c2st_linear"]["auc"] <= 1.0
        assert 0.0 <= scores["precision"] <= 1.0 and 0.0 <= scores["recall"] <= 1.0
        assert ("memorisation" in scores) == (name not in ("held_out_reconstructions",
                                                           "held_out"))
    assert quality["sets"]["prior_2"]["c2st_linear"] == quality["sets"]["prior"]["c2st_linear"]
    assert quality["sets"]["sampler"]["memorisation"] == result["memorisation"]
    out = capsys.readouterr().out
    for name in ("validation.iwae", "elbo_gap", "knn_accuracy.species", "memorisation.ratio",
                 "samples (fast):", "gaussian_mixture (the run's)", "held-out recon."):
        assert name in out
    assert "sample_quality.sets" not in out and "two-sample AUC, CNN" not in out
    assert list((tiny_run / "logs" / "evaluation").glob("events.out.tfevents.*"))
    assert "validation.iwae" in (tiny_run / "figures" / "index.html").read_text()


def test_the_same_seed_gives_the_same_numbers(tiny_run):
    run = experiment.load_run(tiny_run)
    first, second = (evaluate.evaluate(run, k=4, n_samples=3, elbo_samples=2, quality="fast")
                     for _ in range(2))
    first["sample_quality"].pop("seconds"), second["sample_quality"].pop("seconds")
    assert first == second
    assert "sample_quality" not in evaluate.evaluate(run, k=4, n_samples=3, elbo_samples=2,
                                                     quality="off")


def test_sets_too_small_leave_out_the_cnn_test_or_every_sample_metric_saying_so(tiny_run,
                                                                                 capsys):
    run = experiment.load_run(tiny_run)
    capsys.readouterr()
    quality = evaluate.evaluate(run, k=2, n_samples=5, elbo_samples=1)["sample_quality"]
    assert quality["mode"] == "full"
    assert quality["two_sample_tests"] == ["c2st_linear", "c2st_texture"]
    assert all("c2st_cnn" not in scores for scores in quality["sets"].values())
    assert ("note: the CNN two-sample test is left out: 5 images per set are fewer than the 20 "
            "it needs to tell anything") in capsys.readouterr().out
    assert "sample_quality" not in evaluate.evaluate(run, k=2, n_samples=1, elbo_samples=1)
    every = list(sample_quality.TWO_SAMPLE_TESTS)  # from 20 images per set, the CNN's too
    assert evaluate._two_sample_tests("full", evaluate.MIN_CNN_IMAGES) == every
    assert evaluate._two_sample_tests("fast", 100) == every[1:]
    assert ("note: sample quality skipped: it needs at least 2 images in every set (training, "
            "validation, samples), and the smallest has 1") in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--run_dir", "{tmp}/missing"], "no run folder"),
    (["--run_dir", "{tmp}"], "is not a run folder"),
    (["--run_dir", "{tmp}", "--k", "0"], "k, samples and elbo_samples must be >= 1"),
])
def test_mistakes_are_one_line_errors(tmp_path, argv, message):
    with pytest.raises(UserError) as raised:
        cli.invoke(evaluate.main, [a.format(tmp=tmp_path) for a in argv])
    text = str(raised.value)
    assert message in text and "\n" not in text


@pytest.mark.parametrize("likelihood", registry.names("likelihoods"))
@pytest.mark.parametrize("prior", registry.names("priors"))
def test_every_prior_and_likelihood_evaluates(villagers_tfrecord, tmp_path, prior, likelihood):
    gin.parse_config([f"build_vae.prior = @priors.{prior}",
                      f"build_vae.likelihood = @likelihoods.{likelihood}",
                      "encoders.conv.filters = (4, 8)", "decoders.conv.filters = (4, 8)"])
    data = input_pipeline([str(villagers_tfrecord)], image_shape=(8, 8), batch_size=8)
    model = build_vae(image_shape=data.image_shape, n_channels=data.n_channels, latent_dim=2)
    run = experiment.Run(run_dir=tmp_path, model=model, data=data, history=[], epoch=0)
    _check_keys(evaluate.evaluate(run, k=3, n_samples=2, elbo_samples=1, quality="off"),
                latent_dim=2)
