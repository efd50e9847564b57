"""``evaluate`` and the dataset's known factors: the disentanglement scores of a run on the
synthetic villagers (printed, in metrics.json, the scores of every item's posterior mean), and
one line instead for a dataset of fewer than two factors."""

import json

import gin
import numpy as np
import pytest

from acvae.analysis import disentanglement, evaluation
from acvae.commands import evaluate
from acvae.core import cli, config
from acvae.data import batches, synthetic
from acvae.data.importers import kaggle
from acvae.data.pipeline import input_pipeline
from acvae.models import build_vae
from acvae.runs import experiment
from acvae.training.loop import train
from tests.conftest import REPO

SHOWN = ("disentanglement.mig", "disentanglement.dci.disentanglement",
         "disentanglement.dci.completeness", "disentanglement.dci.informativeness",
         "disentanglement.sap", "disentanglement.factor_vae ")


@pytest.fixture(scope="module")
def villager_run(tmp_path_factory, villagers_tfrecord):
    """A 16x16, 1-epoch, 3D-code run on the 24 synthetic villagers and their 16 factors."""
    run_dir = tmp_path_factory.mktemp("run")
    gin.clear_config(clear_constants=True)
    config.load([str(REPO / "configs/latent1d.gin"), str(REPO / "configs/test.gin")],
                [f"TFRECORD = '{villagers_tfrecord}'", "N_EPOCHS = 1", "LATENT_DIM = 3",
                 "train.visualisers = []"], finalize=False)
    train(run_dir)
    gin.clear_config(clear_constants=True)
    return run_dir


def test_evaluate_prints_and_stores_the_scores_of_every_items_code(villager_run, capsys):
    result = cli.invoke(evaluate.main, ["--run_dir", str(villager_run), "--k", "2",
                                        "--samples", "4", "--elbo_samples", "1",
                                        "--sample_quality", "off"])
    scores = result["disentanglement"]
    assert json.loads((villager_run / "metrics.json").read_text())["disentanglement"] == scores
    out = capsys.readouterr().out
    assert all(name in out for name in SHOWN) and "note: no disentanglement" not in out
    run = experiment.load_run(villager_run)
    assert scores["n_factors"] == len(run.data.schema.factors) == 16
    parts = [batches.collect(split, add=batches.posterior(run.model))
             for split in (run.data.train_eval, run.data.validation)]
    codes = np.concatenate([part["z"] for part in parts])
    expected = disentanglement.of_items(codes, parts, run.data.schema, seed=0).summary()
    assert scores == expected
    for value in (scores["mig"], scores["sap"], scores["factor_vae"], *scores["dci"].values()):
        assert 0.0 <= value <= 1.0
    assert all(0 <= entry["best_dimension"] < 3 for entry in scores["per_factor"].values())


def test_a_dataset_of_one_factor_omits_the_scores_in_one_line(tmp_path, capsys):
    json_path = synthetic.generate(tmp_path / "kaggle", n=16, seed=0)
    out = tmp_path / "species.tfrecord"
    kaggle.prepare(json_path, json_path.parent / "images", out, labels=["species"])
    gin.parse_config(["encoders.conv.filters = (4, 8)", "decoders.conv.filters = (4, 8)"])
    data = input_pipeline([str(out)], image_shape=(8, 8), batch_size=8)
    model = build_vae(image_shape=data.image_shape, n_channels=data.n_channels, latent_dim=2)
    run = experiment.Run(run_dir=tmp_path / "run", model=model, data=data, history=[], epoch=0)
    result = evaluation.evaluate(run, k=2, n_samples=2, elbo_samples=1, quality="off")
    assert "disentanglement" not in result and result["knn_accuracy"].keys() == {"species"}
    lines = [line for line in capsys.readouterr().out.splitlines() if "disentanglement" in line]
    assert lines == ["note: no disentanglement scores: the dataset has 1 factor(s) (categorical "
                     "or continuous labels that vary); 2 are needed"]
