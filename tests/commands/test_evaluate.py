"""Tests for acvae.commands.evaluate: the command on a tiny trained run (every key, its sample
metrics and samplers compared, TensorBoard and index.html), and its one-line mistakes."""

import json

import pytest

from acvae.commands import evaluate
from acvae.core import cli
from acvae.core.errors import UserError
from tests.analysis.evaluation_checks import QUALITY_KEYS, check_keys, train_tiny_run


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, villagers_tfrecord):
    """A tiny trained run (``train_tiny_run``) for this module's tests."""
    return train_tiny_run(tmp_path_factory.mktemp("run"), villagers_tfrecord)


def test_command_writes_every_key_tensorboard_and_index_html(tiny_run, capsys):
    result = cli.invoke(evaluate.main, [
        "--run_dir", str(tiny_run), "--k", "8", "--samples", "6", "--elbo_samples", "2",
        "--sample_quality", "fast",
        "--gin_param", "evaluate.compare_samplers = [@diag/samplers.gaussian_mixture(), "
                       "@samplers.gaussian_mixture(), @samplers.prior()]",
        "--gin_param", "diag/samplers.gaussian_mixture.covariance_type = 'diag'"])
    check_keys(result, latent_dim=2, quality=True)
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


