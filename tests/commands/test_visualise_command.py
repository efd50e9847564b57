"""The post-hoc command on a finished run, and the visualisers inside a real (tiny) training run.

Trains the test config for one epoch and resumes it for a second with the training movie and
the loss figure switched on in gin, then runs ``python -m acvae visualise`` (in process) on the
run folder.
"""

import gin
import pytest
from PIL import Image

from acvae import visualise
from acvae.commands import visualise as command
from acvae.core import cli, config, registry
from acvae.core.errors import UserError
from acvae.training.loop import train
from acvae.visualise import base, files
from tests.conftest import REPO


def visualise_main(*argv):
    return cli.invoke(command.main, list(argv))


VISUALISERS = """train.visualisers = [@visualisers.training_movie(), @visualisers.loss(),
                                      @visualisers.index_html()]"""
SMALL = ["visualisers.training_movie.n = 3", "visualisers.loss.dpi = 30"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, villagers_tfrecord):
    """A run trained for one epoch, then resumed for a second, with three visualisers on."""
    run_dir = tmp_path_factory.mktemp("finished_run")
    for n_epochs in (1, 2):
        gin.clear_config()
        gin.add_config_file_search_path(str(REPO))
        gin.parse_config_files_and_bindings(
            [str(REPO / "configs/latent1d.gin"), str(REPO / "configs/test.gin")],
            [f"TFRECORD = '{villagers_tfrecord}'", f"N_EPOCHS = {n_epochs}", VISUALISERS, *SMALL],
        )
        train(run_dir)
    gin.clear_config()
    return run_dir


def test_training_writes_the_movie_across_a_resume(finished_run):
    figures = finished_run / "figures"
    assert {"training.gif", "loss.png", "index.html"} <= {p.name for p in figures.iterdir()}
    with Image.open(figures / "training.gif") as gif:
        assert gif.n_frames == 2  # epochs 1 and 2, the second from the resumed process
        assert gif.size == (3 * 17 - 1, 14 + 16)


def test_post_hoc_command_runs_selected_visualisers(finished_run, capsys):
    paths = visualise_main("--run_dir", str(finished_run), "--only", "latent_grid,training_movie",
                           "--gin_param", "visualisers.latent_grid.dpi = 30")
    assert [p.name for p in paths] == ["latent_grid.png", "training.gif", "training.mp4"]
    assert "wrote" in capsys.readouterr().out
    with Image.open(finished_run / "figures" / "latent_grid.png") as image:
        assert image.size == (round((10 * 0.9 + 1.0) * 30), round((0.9 + 1.0) * 30))
    with Image.open(finished_run / "figures" / "training.gif") as gif:
        assert gif.n_frames == 2  # the stored frames; nothing duplicated post hoc


def test_post_hoc_command_runs_everything_by_default(finished_run):
    params = ["--gin_param", "visualisers.latent_walk.n_frames = 4"]
    for name in ("samples", "latent_grid", "embedding", "reconstructions", "nearest_train"):
        params += ["--gin_param", f"visualisers.{name}.dpi = 30"]
    paths = visualise_main("--run_dir", str(finished_run), *params)
    names = [p.name for p in paths]
    assert names[-1] == "index.html"
    for expected in ("samples.png", "loss.png", "latent_grid.png", "embedding.png",
                     "latent_walk.gif", "training.gif", "reconstructions.png", "nearest_train.png"):
        assert expected in names


@pytest.mark.parametrize("argv, message", [
    (["--run_dir", "RUN", "--only", "loss,nope"],
     "unknown visualiser(s) nope; valid names: samples, loss"),
    (["--run_dir", "/nonexistent/run"], "no run folder /nonexistent/run"),
    ([], "--run_dir is required"),
])
def test_post_hoc_command_mistakes_are_one_line(argv, message, finished_run):
    argv = [str(finished_run) if a == "RUN" else a for a in argv]
    with pytest.raises(UserError) as raised:
        visualise_main(*argv)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


def test_post_hoc_command_explains_a_bad_gin_param(finished_run):
    with pytest.raises(UserError) as raised:
        visualise_main("--run_dir", str(finished_run), "--gin_param", "visualisers.nope.n = 1")
    message = str(raised.value)
    assert message.startswith("no visualisers component named nope")
    assert "valid visualisers: embedding, factors, index_html" in message


@pytest.mark.parametrize("binding, message", [
    ("visualisers.latent_grid.n = 0",
     "visualisers.latent_grid.n must be an integer in [1, 100], got 0"),
    ("visualisers.latent_grid.n = '9'",
     "visualisers.latent_grid.n must be an integer in [1, 100], got '9' (a string: write the "
     "number"),
    ("visualisers.latent_grid.n = %NOPE", "the macro %NOPE is used but never defined"),
    ("visualisers.latent_grid.n = (", "gin syntax error"),
])
def test_post_hoc_command_a_bad_gin_param_value_is_one_line_before_any_figure(
    binding, message, finished_run
):
    before = {p.name: p.stat().st_mtime_ns for p in (finished_run / "figures").iterdir()}
    with pytest.raises(UserError) as raised:
        visualise_main("--run_dir", str(finished_run), "--gin_param", binding)
    assert config.explain(raised.value).startswith(message)
    assert "\n" not in config.explain(raised.value)
    assert {p.name: p.stat().st_mtime_ns for p in (finished_run / "figures").iterdir()} == before


def test_post_hoc_command_on_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(UserError, match="not a run folder"):
        visualise_main("--run_dir", str(tmp_path))


def test_list_shows_every_visualiser(capsys):
    visualise_main("--list")
    out = capsys.readouterr().out
    assert all(name in out for name in visualise.ALL)


def test_create_applies_gin_bindings_and_rejects_unknown_names():
    gin.parse_config("visualisers.latent_grid.n = 3")
    (grid,) = visualise.create(["latent_grid"])
    assert grid.n == 3
    with pytest.raises(ValueError, match="valid names: samples, loss"):
        visualise.create(["loss", "nope"])


class PluginNote(base.Visualiser):
    """A plugin-shaped visualiser, as a module in plugins/ would define it."""

    filename = "note.txt"

    def __init__(self, text: str = "default"):
        self.text = text

    def on_train_end(self, run):
        return [run.folder.write_figure(self.filename, files.text(f"{self.text} {run.epoch}"))]


def test_a_plugin_visualiser_is_switched_on_and_configured_by_gin(finished_run):
    registry.register("visualisers", "test_plugin_note")(PluginNote)
    assert "test_plugin_note" in visualise.available()
    paths = visualise_main("--run_dir", str(finished_run), "--only", "test_plugin_note",
                           "--gin_param", "visualisers.test_plugin_note.text = 'from gin'")
    assert paths == [finished_run / "figures" / "note.txt"]
    assert paths[0].read_text() == "from gin 2"
