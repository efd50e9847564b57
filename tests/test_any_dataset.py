"""Everything downstream follows the dataset's schema: a non-villager dataset (coloured shapes;
identifier ``emoji``, labels ``category``, ``subcategory``, ``serial``) trains a conditional
model on a label named in gin, draws a figure per categorical label, is probed per categorical
label, and generates and exports by that label's values."""

import json

import gin
import numpy as np
import pytest
from PIL import Image

from acvae.analysis import saved_model
from acvae.commands import evaluate, export, generate
from acvae.core import cli, config
from acvae.core.errors import UserError
from acvae.runs import experiment
from acvae.training.loop import train
from tests.conftest import REPO
from tests.shapes_dataset import register

SMALL = ["visualisers.samples.dpi = 30", "visualisers.loss.dpi = 30",
         "visualisers.latent_grid.dpi = 30", "visualisers.embedding.dpi = 30",
         "visualisers.reconstructions.dpi = 30", "visualisers.nearest_train.dpi = 30",
         "visualisers.latent_walk.n_frames = 4", "visualisers.training_movie.n = 3"]


@pytest.fixture(scope="module")
def shapes_run(tmp_path_factory):
    """Two epochs of the conditional config on shapes, conditioned on ``category``."""
    register()
    run_dir = tmp_path_factory.mktemp("shapes")
    gin.clear_config(clear_constants=True)
    config.load([str(REPO / "configs/conditional.gin"), str(REPO / "configs/test.gin")],
                ["experiment.dataset = @datasets.test_shapes()", "LATENT_DIM = 2",
                 "models.conditional_vae.label = 'category'", *SMALL], finalize=False)
    train(run_dir)
    gin.clear_config(clear_constants=True)
    return run_dir


def test_figures_follow_the_schema(shapes_run):
    figures = {p.name for p in (shapes_run / "figures").iterdir()}
    assert {"embedding.png", "embedding_category.png", "embedding_subcategory.png"} <= figures
    assert not any("serial" in name for name in figures)  # identifier-like: never coloured
    assert (shapes_run / "figures" / "embedding.png").read_bytes() == (
        shapes_run / "figures" / "embedding_category.png").read_bytes()
    with Image.open(shapes_run / "figures" / "embedding_subcategory.png") as image:
        assert np.asarray(image.convert("RGB")).std() > 0  # 45 values: 39 colours and "other"


def test_the_model_conditions_on_the_label_named_in_gin(shapes_run):
    run = experiment.load_run(shapes_run)
    assert run.model.conditions.name == "category"
    assert run.model.conditions.values == ("disc", "square", "stripe")


def test_evaluate_probes_every_categorical_label(shapes_run):
    result = cli.invoke(evaluate.main, ["--run_dir", str(shapes_run), "--k", "4",
                                        "--samples", "4", "--elbo_samples", "1"])
    for probe in ("knn_accuracy", "linear_probe_accuracy", "majority_accuracy"):
        assert set(result[probe]) == {"category", "subcategory"}


def test_generate_and_export_take_the_labels_values(shapes_run, tmp_path):
    out = tmp_path / "stripes.png"
    cli.invoke(generate.main, ["--run_dir", str(shapes_run), "sample", "--n", "4",
                               "--label_value", "Stripe", "--out", str(out)])
    assert out.exists()
    with pytest.raises(UserError, match="unknown category 'strpe'; closest: stripe"):
        cli.invoke(generate.main, ["--run_dir", str(shapes_run), "sample",
                                   "--label_value", "strpe", "--out", str(out)])
    with pytest.raises(UserError, match="conditions on 'category', not species"):
        cli.invoke(generate.main, ["--run_dir", str(shapes_run), "sample", "--species", "Frog",
                                   "--out", str(out)])
    names = ["shape 000 é $x$", "SHAPE 063 É $X$"]  # a train and a validation item, any case
    cli.invoke(generate.main, ["--run_dir", str(shapes_run), "interpolate", *names,
                               "--steps", "3", "--out", str(tmp_path / "walk.gif")])
    folder = cli.invoke(export.main, ["--run_dir", str(shapes_run), "--out",
                                      str(tmp_path / "export")])
    info = json.loads((folder / saved_model.SIGNATURE_FILE).read_text())
    assert info["condition"] == {"label": "category", "values": ["disc", "square", "stripe"]}
