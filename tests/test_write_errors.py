"""Writes that fail outside the training loop: figures on a full disk, evaluate and visualise
on a read-only run folder, export and generate into a place that cannot be written. Each is one
line, and nothing is left half-written.

As the tests run as any user (root ignores file modes), full disks and read-only file systems
are simulated where the write happens. ``prepare`` and the synthetic cache on a full disk are
tested beside their code (``tests/data/importers/test_importers.py``, ``tests/data/
test_synthetic.py``); a full disk inside the training loop in ``tests/training/test_faults.py``.
"""

import errno
import pathlib
import shutil

import pytest
import tensorflow as tf

from acvae.commands import evaluate, export, generate
from acvae.commands import visualise as visualise_command
from acvae.core import cli, config, fileio
from acvae.core.errors import UserError
from acvae.runs import run_folder
from acvae.runs.run_folder import RunFolderError
from tests.plugins.tiny_trained import trained_run


@pytest.fixture
def run_dir(tmp_path_factory, tmp_path):
    """A copy of a one-epoch run, free to be written."""
    shutil.copytree(trained_run(tmp_path_factory, "demo"), tmp_path / "run")
    return tmp_path / "run"


def _files(folder: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _one_line(error: BaseException) -> str:
    message = config.explain(error)
    assert "\n" not in message
    return message


def test_a_full_disk_while_writing_a_figure_is_one_line_and_leaves_the_old_figures(
    run_dir, monkeypatch
):
    cli.invoke(visualise_command.main, ["--run_dir", str(run_dir), "--only", "samples",
                                        "--gin_param", "visualisers.samples.dpi = 20"])
    before = _files(run_dir / "figures")
    real = fileio.write_with

    def half_then_full(path, write):
        def failing(tmp):
            pathlib.Path(tmp).write_bytes(b"half a png")
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp))

        return real(path, failing)

    monkeypatch.setattr(fileio, "write_with", half_then_full)
    with pytest.raises(RunFolderError) as raised:
        cli.invoke(visualise_command.main, ["--run_dir", str(run_dir), "--only", "samples"])
    message = _one_line(raised.value)
    assert message.startswith("disk full while writing ") and "(acvae.visualise)" in message
    assert message.endswith("free some space (or make it writable) and run the command again")
    assert _files(run_dir / "figures") == before  # the old figure, no temporary file


def _read_only(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(run_folder.tempfile, "TemporaryFile", refuse)


@pytest.mark.parametrize("command, argv", [
    (evaluate.main, ["--samples", "2", "--elbo_samples", "1", "--k", "1"]),
    (visualise_command.main, ["--only", "samples"]),
])
def test_evaluate_and_visualise_on_a_read_only_run_are_one_line(command, argv, run_dir,
                                                                monkeypatch):
    before = _files(run_dir)
    _read_only(monkeypatch)
    with pytest.raises(RunFolderError) as raised:
        cli.invoke(command, ["--run_dir", str(run_dir), *argv])
    assert _one_line(raised.value) == (
        f"cannot write the run folder {run_dir} (read-only file system); make it writable, or "
        "copy the run folder somewhere writable and give that as --run_dir")
    assert _files(run_dir) == before


@pytest.mark.parametrize("failure, reason", [
    (OSError(errno.EROFS, "Read-only file system"), "read-only file system"),
    (tf.errors.ResourceExhaustedError(None, None, "variables.data; No space left on device"),
     "disk full"),
])
def test_export_to_a_place_that_cannot_be_written_is_one_line(failure, reason, tmp_path_factory,
                                                              tmp_path, monkeypatch):
    run = trained_run(tmp_path_factory, "demo")
    real = tf.saved_model.save

    def save_then_fail(module, directory, signatures=None):
        real(module, directory, signatures=signatures)  # a whole SavedModel, then the failure
        raise failure

    monkeypatch.setattr(tf.saved_model, "save", save_then_fail)
    out = tmp_path / "exports" / "demo"
    with pytest.raises(UserError) as raised:
        cli.invoke(export.main, ["--run_dir", str(run), "--out", str(out)])
    assert _one_line(raised.value) == f"cannot write {out}: {reason}; nothing was written"
    assert list((tmp_path / "exports").iterdir()) == []  # no export, no temporary folder


def test_generate_into_a_read_only_place_is_one_line(tmp_path_factory, tmp_path, monkeypatch):
    run = trained_run(tmp_path_factory, "demo")

    def read_only(path, write):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(fileio, "write_with", read_only)
    out = tmp_path / "samples.png"
    with pytest.raises(UserError) as raised:
        cli.invoke(generate.main, ["--run_dir", str(run), "--n", "2", "--out", str(out),
                                   "sample"])
    assert _one_line(raised.value) == f"cannot write {out}: read-only file system"
    assert not out.exists()
