"""Plugins from outside the package: a file given by path, a module on sys.path, broken ones."""

import importlib
import subprocess
import sys
import textwrap
import traceback

import gin
import pytest

from acvae.core import config, plugin_files, registry
from acvae.models import build_vae
from acvae.runs import experiment, run_folder
from acvae.runs.run_folder import RunFolder
from acvae.training.loop import train
from tests.conftest import REPO, without_tf_log


# The README's "Write a plugin" example, with the registered name as a parameter.
ENCODER_PLUGIN = '''
"""A small MLP encoder, as a plugin."""
import math
import keras
from acvae.core import registry


@registry.register("encoders", "{name}")
def {name}(input_shape, latent_dim, units=32):
    """Flatten, one hidden layer, dense to the posterior."""
    images = keras.Input(shape=input_shape)
    x = keras.layers.Reshape((math.prod(input_shape),))(images)
    x = keras.layers.Dense(units, activation="relu")(x)
    return keras.Model(images, keras.layers.Dense({width})(x))
'''


def write_plugin(folder, name, width="2 * latent_dim"):
    path = folder / f"{name}.py"
    path.write_text(ENCODER_PLUGIN.format(name=name, width=width))
    return path


def _main(*args, cwd):
    result = subprocess.run([sys.executable, "-m", "acvae.main", *args], cwd=cwd,
                            capture_output=True, text=True, timeout=600)
    result.stderr = without_tf_log(result.stderr)
    return result


def test_a_plugin_file_registers_once_and_builds(tmp_path):
    path = write_plugin(tmp_path, "file_mlp")
    (module,) = plugin_files.load([path])
    assert plugin_files.load([str(path)]) == [module]  # loading it again is a no-op
    assert "@encoders.file_mlp" in registry.listing()
    gin.parse_config("encoders.file_mlp.units = 8")
    model = build_vae((8, 8), 3, latent_dim=2, encoder=gin.get_configurable("encoders.file_mlp"))
    assert tuple(model.encoder.output.shape) == (None, 4)
    assert model.encoder.layers[2].units == 8
    assert path.resolve() in plugin_files.loaded()


def test_loading_a_package_plugin_by_path_and_by_name_registers_once():
    (by_path,) = plugin_files.load([REPO / "plugins" / "residual.py"])
    assert by_path is importlib.import_module("plugins.residual")


def test_a_module_on_sys_path_is_switched_on_by_a_gin_import_line(tmp_path, monkeypatch):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    write_plugin(folder, "syspath_mlp")
    monkeypatch.syspath_prepend(str(folder))
    extra = tmp_path / "use_plugin.gin"
    extra.write_text("import syspath_mlp\nbuild_vae.encoder = @encoders.syspath_mlp\n"
                     "encoders.syspath_mlp.units = 8\n")
    config.load([str(REPO / "configs/demo.gin"), str(REPO / "configs/test.gin"), str(extra)],
                ["MAP_CHANNELS = 0"], finalize=False)  # an encoder without a latent map
    _, model = experiment.experiment()
    assert model.encoder.layers[2].units == 8
    operative = gin.operative_config_str()
    assert "import syspath_mlp" in operative and "syspath_mlp.units = 8" in operative
    # A file path naming the same module is not imported a second time.
    assert plugin_files.load([folder / "syspath_mlp.py"]) == [sys.modules["syspath_mlp"]]


def test_a_plugin_breaking_the_interface_fails_at_build_time_naming_it(tmp_path):
    plugin_files.load([write_plugin(tmp_path, "wrong_mlp", width="2 * latent_dim + 1")])
    config.load([str(REPO / "configs/demo.gin"), str(REPO / "configs/test.gin")],
                ["build_vae.encoder = @encoders.wrong_mlp", "train.visualisers = []",
                 "LATENT_DIM = 2", "MAP_CHANNELS = 0"],
                finalize=False)
    with pytest.raises(ValueError) as info:
        train(tmp_path / "run")
    message = str(info.value).splitlines()[0]  # then gin's "In call to ..." lines
    assert message == ("encoders.wrong_mlp returned shape (2, 5); expected "
                       "(batch, 2 * latent_dim) = (2, 4)")
    frames = "".join(traceback.format_tb(info.tb))
    assert "build_vae" in frames and "train_steps" not in frames  # before any tf.function


def test_a_plugin_prior_without_a_method_is_named(tmp_path):
    path = tmp_path / "half_prior.py"
    path.write_text(textwrap.dedent('''
        import keras
        from acvae.core import registry

        @registry.register("priors", "half_prior")
        class HalfPrior(keras.layers.Layer):
            def __init__(self, latent_dim, encoder, input_shape):
                super().__init__()
            def kl(self, mean, logvar, z):
                return mean[:, 0]
    '''))
    plugin_files.load([path])
    with pytest.raises(ValueError, match=r"priors.half_prior returned HalfPrior without "
                                         r"log_prob, sample; expected a Prior"):
        build_vae((8, 8), 1, latent_dim=2, prior=registry.get("priors", "half_prior"))


def test_plugin_file_mistakes_are_one_line(tmp_path):
    with pytest.raises(FileNotFoundError, match="no plugin file at .*missing.py"):
        plugin_files.load([tmp_path / "missing.py"])
    raising = tmp_path / "raising.py"
    raising.write_text("raise RuntimeError('boom\\nsecond line')\n")
    with pytest.raises(ImportError) as info:
        plugin_files.load([raising])
    assert str(info.value) == f"plugin {raising} failed to import: RuntimeError: boom"
    assert raising.resolve() not in plugin_files.loaded()


def test_main_trains_with_a_plugin_file_and_records_it(tmp_path):
    (tmp_path / "outside").mkdir()
    path = write_plugin(tmp_path / "outside", "main_mlp")
    run_dir = tmp_path / "run"
    result = _main(f"--plugin={path}", "--gin_file=configs/demo.gin",
                   "--gin_file=configs/test.gin", f"--run_dir={run_dir}",
                   "--gin_param=build_vae.encoder = @encoders.main_mlp",
                   "--gin_param=MAP_CHANNELS = 0", "--gin_param=N_EPOCHS = 1", "--gin_param=train.visualisers = []", cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert RunFolder(run_dir).recorded_plugins() == [path.resolve()]
    assert f"plugin: importing {path.resolve()}" in result.stdout
    assert path.resolve() in plugin_files.trusted()  # chosen on the command line: trusted later
    gin.clear_config()
    loaded = experiment.load_run(run_dir)  # imports the recorded file again, trusted
    assert "encoders.main_mlp" in (run_dir / run_folder.CONFIG_FILE).read_text()
    assert loaded.epoch == 1


def test_main_reports_a_broken_plugin_file_in_one_line(tmp_path):
    raising = tmp_path / "broken_plugin.py"
    raising.write_text("import no_such_module_anywhere\n")
    result = _main(f"--plugin={raising}", "--list", cwd=tmp_path)
    assert result.returncode != 0
    assert result.stderr.strip() == (
        f"error: plugin {raising} failed to import: ModuleNotFoundError: "
        "No module named 'no_such_module_anywhere'")


# A plugin that leaves a mark when it is imported: code ran.
MARKING_PLUGIN = '''
import pathlib
pathlib.Path({marker!r}).write_text("imported")
'''


@pytest.fixture
def foreign_run(tmp_path_factory, tmp_path):
    """A copy of a trained run whose plugins.txt lists a file this user never chose."""
    import shutil

    from tests.plugins.tiny_trained import trained_run

    run_dir = tmp_path / "downloaded_run"
    shutil.copytree(trained_run(tmp_path_factory, "demo"), run_dir)
    plugin = tmp_path / "elsewhere" / "helper.py"
    plugin.parent.mkdir()
    plugin.write_text(MARKING_PLUGIN.format(marker=str(tmp_path / "marker")))
    (run_dir / run_folder.PLUGINS_FILE).write_text(f"# plugin files\n{plugin}\n")
    return run_dir, plugin, tmp_path / "marker"


def test_a_run_listing_plugin_code_the_user_never_chose_is_refused_unless_trusted(
    foreign_run, capsys
):
    from acvae.commands import visualise as visualise_command
    from acvae.core import cli

    run_dir, plugin, marker = foreign_run
    argv = ["--run_dir", str(run_dir), "--only", "loss", "--gin_param", "visualisers.loss.dpi = 20"]
    with pytest.raises(plugin_files.UntrustedPlugin) as raised:
        cli.invoke(visualise_command.main, argv)
    message = str(raised.value)
    assert "\n" not in message and str(plugin) in message and "--trust_plugins" in message
    assert not marker.exists()  # nothing was imported
    capsys.readouterr()
    gin.clear_config()
    cli.invoke(visualise_command.main, [*argv, "--trust_plugins"])
    assert marker.read_text() == "imported"
    assert f"plugin: importing {plugin}" in capsys.readouterr().out
    assert plugin not in plugin_files.trusted()  # trusted for that command only


def test_files_the_user_loaded_and_the_shipped_plugins_are_trusted(tmp_path):
    chosen = tmp_path / "mine.py"
    chosen.write_text(MARKING_PLUGIN.format(marker=str(tmp_path / "marker")))
    listed = tmp_path / "plugins.txt"
    with pytest.raises(plugin_files.UntrustedPlugin):
        plugin_files.load_recorded([chosen], listed)
    assert not (tmp_path / "marker").exists()
    plugin_files.remember([chosen])  # as plugin_files.load does (in another process, say)
    assert chosen.resolve() in plugin_files.trusted()
    plugin_files.load_recorded([chosen], listed)
    assert (tmp_path / "marker").exists()
    plugin_files.load_recorded([REPO / "plugins" / "residual.py"], listed)  # acvae's own
