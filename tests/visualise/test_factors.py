"""Tests for the factors.png visualiser beyond its size (test_visualisers): the dimensions its
importance matrix shows, its settings, and the one line instead of a figure for a dataset of
fewer than two factors."""

import numpy as np
import pytest

from acvae.analysis import disentanglement
from acvae.core.errors import ConfigError
from acvae.data import synthetic
from acvae.data.importers import kaggle
from acvae.visualise import factors
from tests.visualise.tiny_runs import make_run


def fake_scores(importance, best):
    importance = np.asarray(importance, np.float64)
    k, latent_dim = importance.shape
    zeros = np.zeros(k)
    return disentanglement.Scores(
        factors=tuple(f"f{i}" for i in range(k)), mig=0.0, dci_disentanglement=0.0,
        dci_completeness=0.0, dci_informativeness=0.0, sap=0.0, factor_vae=0.0,
        factor_vae_chance=1 / k, mig_per_factor=zeros, informativeness=zeros,
        importance=importance, predictiveness=np.zeros((k, latent_dim)),
        best_dimension=np.asarray(best), seconds={})


def test_the_matrix_shows_every_best_dimension_then_the_most_important():
    importance = [[0.1, 0.0, 0.6, 0.0, 0.3, 0.0], [0.0, 0.2, 0.3, 0.0, 0.0, 0.5]]
    found = fake_scores(importance, best=[2, 1])
    np.testing.assert_array_equal(factors.shown_dimensions(found, 3), [1, 2, 5])
    np.testing.assert_array_equal(factors.shown_dimensions(found, 1), [1, 2])  # best ones stay
    np.testing.assert_array_equal(factors.shown_dimensions(found, 10), range(6))


@pytest.mark.parametrize("max_columns", [0, 2.5, True])
def test_bad_settings_are_one_config_error(max_columns):
    with pytest.raises(ConfigError, match="visualisers.factors: max_columns must be a positive"):
        factors.Factors(max_columns=max_columns)


def test_a_dataset_of_one_factor_gets_one_line_and_no_figure(tmp_path, capsys):
    json_path = synthetic.generate(tmp_path / "kaggle", n=12, seed=0)
    out = tmp_path / "species.tfrecord"
    kaggle.prepare(json_path, json_path.parent / "images", out, labels=["species"])
    run = make_run(tmp_path / "run", out, latent_dim=3, n_channels=4)
    capsys.readouterr()
    assert factors.Factors().on_train_end(run) == []
    assert capsys.readouterr().out == (
        "note: no factors.png: the dataset has 1 factor(s) (categorical or continuous labels "
        "that vary); 2 are needed\n")
    assert not (run.figures_dir / "factors.png").exists()
