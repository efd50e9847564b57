"""Every module in plugins/ has a config that switches it on, and trains two steps with it."""

import importlib
import math
import pkgutil

import gin
import pytest

from acvae.core import config, registry
from acvae.runs import experiment, run_folder
from acvae.runs.run_folder import RunFolder
from acvae.training.loop import train
from tests.conftest import REPO, quick_sampler_fits

MODULES = sorted(m.name for m in pkgutil.iter_modules([str(REPO / "plugins")]))


def registered_by(module_name: str) -> dict[str, list[str]]:
    """The registered names of every component defined in ``module_name``, by kind."""
    found = {}
    for kind in registry.KINDS:
        for name in registry.names(kind):
            obj = registry.get(kind, name)
            if getattr(obj, "__module__", None) == module_name:
                found.setdefault(kind, []).append(name)
    return found


def test_the_shipped_plugins_are_there():
    assert {"residual", "conditional", "latent_usage", "beta_tcvae"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_plugin_has_a_config_that_imports_it(name):
    path = REPO / "configs" / f"{name}.gin"
    assert path.exists(), f"configs/{name}.gin should switch plugins/{name}.py on"
    lines = [line.strip() for line in path.read_text().splitlines()]
    code = [line for line in lines if line and not line.startswith("#")]
    assert code[0] == f"import plugins.{name}"
    assert "include 'configs/base.gin'" in code


@pytest.mark.parametrize("name", MODULES)
def test_plugin_trains_two_steps_and_reloads(name, tmp_path):
    module = importlib.import_module(f"plugins.{name}")
    assert (module.__doc__ or "").strip(), "every plugin module starts with a docstring"
    components_of = registered_by(module.__name__)
    assert components_of, f"plugins.{name} registers nothing"
    visualisers = ", ".join(f"@visualisers.{v}()" for v in components_of.get("visualisers", []))
    config_file = REPO / "configs" / f"{name}.gin"
    params = ["N_EPOCHS = 1", "BATCH_SIZE = 9", f"train.visualisers = [{visualisers}]",
              *quick_sampler_fits(config_file)]
    if "experiment.dataset" not in config_file.read_text():  # a config for the Kaggle TFRecord
        params.append("experiment.dataset = @datasets.synthetic()")
    config.load([str(config_file), str(REPO / "configs/test.gin")], params, finalize=False)
    run = train(tmp_path)
    assert math.ceil(run.data.n_train / run.data.batch_size) == 2  # two train steps
    (row,) = RunFolder(tmp_path).read_history()
    assert math.isfinite(row["train_loss"]) and math.isfinite(row["val_loss"])
    operative = (tmp_path / run_folder.CONFIG_FILE).read_text()
    assert f"import plugins.{name}" in operative
    for kind, names in components_of.items():
        assert any(f"{kind}.{n}" in operative for n in names), (kind, names)
    for visualiser in components_of.get("visualisers", []):
        assert list(run.figures_dir.iterdir()), visualiser

    gin.clear_config()
    loaded = experiment.load_run(tmp_path)
    assert type(loaded.model) is type(run.model)
    images = next(iter(loaded.data.validation))["image"][:2]
    assert tuple(loaded.model.reconstruct(images).shape) == tuple(images.shape)
