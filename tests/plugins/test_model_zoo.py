"""Every registered model, from its shipped config, end to end as a user runs it: training with
every default figure, ``evaluate``, ``generate`` and ``export`` (commands run in-process)."""

import importlib
import math
import pkgutil
import re

import numpy as np
import pytest
import tensorflow as tf

from acvae.commands import evaluate, export, generate, train as train_command
from acvae.core import cli, registry
from acvae.runs.run_folder import RunFolder
from tests.conftest import REPO, quick_sampler_fits

for _module in pkgutil.iter_modules([str(REPO / "plugins")]):  # every plugin's models
    importlib.import_module(f"plugins.{_module.name}")

MODELS = registry.names("models")
PLAIN_CONFIG = "demo"  # the plain VAE: the config users start from
FAST = {  # small but real settings of the models' own parts
    "factor_vae": ["models.factor_vae.units = (16, 16)"],
}
SMALL_FIGURES = ["visualisers.samples.dpi = 30", "visualisers.loss.dpi = 30",
                 "visualisers.latent_grid.dpi = 30", "visualisers.embedding.dpi = 30",
                 "visualisers.reconstructions.dpi = 30", "visualisers.nearest_train.dpi = 30",
                 "visualisers.latent_walk.n_frames = 4", "visualisers.training_movie.n = 3"]


def config_of(model: str) -> str:
    """The shipped config that selects ``model`` (``build_vae.model = @models.<model>``)."""
    if model == "vae":
        return PLAIN_CONFIG
    pattern = re.compile(rf"^build_vae\.model = @models\.{model}\s*$", re.M)
    found = [p.stem for p in sorted((REPO / "configs").glob("*.gin"))
             if pattern.search(p.read_text())]
    assert found, f"no config in configs/ selects @models.{model}"
    return found[0]


def test_the_zoo_has_seven_models_beside_the_references():
    assert len(set(MODELS) - {"vae", "reference_vae"}) >= 7
    assert {"factor_vae", "dip_vae", "info_vae", "wae_mmd", "iwae", "vq_vae"} <= set(MODELS)


@pytest.mark.parametrize("model", MODELS)
def test_trains_evaluates_generates_and_exports(model, tmp_path, villagers_tfrecord):
    config_file = REPO / "configs" / f"{config_of(model)}.gin"
    params = ["N_EPOCHS = 1", f"TFRECORD = '{villagers_tfrecord}'", *SMALL_FIGURES,
              *FAST.get(model, []), *quick_sampler_fits(config_file)]
    run_dir = tmp_path / "run"
    cli.invoke(train_command.main, ["--gin_file", str(config_file),
                           "--gin_file", str(REPO / "configs/test.gin"), "--run_dir",
                           str(run_dir), *(f"--gin_param={p}" for p in params)])
    (row,) = RunFolder(run_dir).read_history()
    assert math.isfinite(row["train_loss"]) and math.isfinite(row["val_elbo"])
    figures = {p.name for p in (run_dir / "figures").iterdir()}
    assert {"samples.png", "reconstructions.png", "latent_grid.png", "index.html"} <= figures

    result = cli.invoke(evaluate.main, ["--run_dir", str(run_dir), "--k", "4", "--samples",
                                        "6", "--elbo_samples", "1", "--sample_quality", "off"])
    assert math.isfinite(result["validation"]["elbo"])
    gaussian = registry.get("models", model).gaussian_posterior  # a point (VQ-VAE): no IWAE
    assert ("iwae" in result["validation"]) == gaussian

    grid = cli.invoke(generate.main, ["--run_dir", str(run_dir), "sample", "--n", "4",
                                      "--out", str(tmp_path / "grid.png")])
    assert grid.is_file()
    out = cli.invoke(export.main, ["--run_dir", str(run_dir), "--out", str(tmp_path / "export")])
    exported = tf.saved_model.load(str(out))
    images = exported.sample(tf.constant(3))["images"].numpy()
    assert images.shape[0] == 3 and np.isfinite(images).all()
