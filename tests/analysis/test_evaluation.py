"""Tests for acvae.analysis.evaluation: every metric of a tiny trained run, the same numbers for
the same seed, sample metrics left out of sets too small, and every prior and likelihood."""

import gin
import pytest

from acvae.analysis import evaluation, sample_quality
from acvae.core import registry
from acvae.data.pipeline import input_pipeline
from acvae.models import build_vae
from acvae.runs import experiment
from tests.analysis.evaluation_checks import check_keys, train_tiny_run


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, villagers_tfrecord):
    """A tiny trained run (``train_tiny_run``) for this module's tests."""
    return train_tiny_run(tmp_path_factory.mktemp("run"), villagers_tfrecord)


def test_the_same_seed_gives_the_same_numbers(tiny_run):
    run = experiment.load_run(tiny_run)
    first, second = (evaluation.evaluate(run, k=4, n_samples=3, elbo_samples=2, quality="fast")
                     for _ in range(2))
    first["sample_quality"].pop("seconds"), second["sample_quality"].pop("seconds")
    assert first == second
    assert "sample_quality" not in evaluation.evaluate(run, k=4, n_samples=3, elbo_samples=2,
                                                       quality="off")


def test_sets_too_small_leave_out_the_cnn_test_or_every_sample_metric_saying_so(tiny_run,
                                                                                 capsys):
    run = experiment.load_run(tiny_run)
    capsys.readouterr()
    quality = evaluation.evaluate(run, k=2, n_samples=5, elbo_samples=1)["sample_quality"]
    assert quality["mode"] == "full"
    assert quality["two_sample_tests"] == ["c2st_linear", "c2st_texture"]
    assert all("c2st_cnn" not in scores for scores in quality["sets"].values())
    assert ("note: the CNN two-sample test is left out: 5 images per set are fewer than the 20 "
            "it needs to tell anything") in capsys.readouterr().out
    assert "sample_quality" not in evaluation.evaluate(run, k=2, n_samples=1, elbo_samples=1)
    every = list(sample_quality.TWO_SAMPLE_TESTS)  # from 20 images per set, the CNN's too
    assert evaluation._two_sample_tests("full", evaluation.MIN_CNN_IMAGES) == every
    assert evaluation._two_sample_tests("fast", 100) == every[1:]
    assert ("note: sample quality skipped: it needs at least 2 images in every set (training, "
            "validation, samples), and the smallest has 1") in capsys.readouterr().out


@pytest.mark.parametrize("likelihood", registry.names("likelihoods"))
@pytest.mark.parametrize("prior", registry.names("priors"))
def test_every_prior_and_likelihood_evaluates(villagers_tfrecord, tmp_path, prior, likelihood):
    gin.parse_config([f"build_vae.prior = @priors.{prior}",
                      f"build_vae.likelihood = @likelihoods.{likelihood}",
                      "encoders.conv.filters = (4, 8)", "decoders.conv.filters = (4, 8)"])
    data = input_pipeline([str(villagers_tfrecord)], image_shape=(8, 8), batch_size=8)
    model = build_vae(image_shape=data.image_shape, n_channels=data.n_channels, latent_dim=2)
    run = experiment.Run(run_dir=tmp_path, model=model, data=data, history=[], epoch=0)
    check_keys(evaluation.evaluate(run, k=3, n_samples=2, elbo_samples=1, quality="off"),
               latent_dim=2)
