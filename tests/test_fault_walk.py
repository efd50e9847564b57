"""Fault injection across the whole tool chain, in one workspace: issue 14's list in order.

One test prepares a small labelled image set, trains on it, breaks things the way users and
machines do (an ``--out`` onto the input, a bad TFRecord record, config mistakes, a second
writer, a new learning rate and a changed latent size on resume, a garbled and a deleted
``history.csv``, ``$...$`` labels in every figure, read-only and full disks, plugin code from
someone else, SIGTERM) and checks after each fault that the tools answer in one line, lose
nothing, and carry on. The item-by-item tests live beside each module; this walk shows a
regression anywhere in the chain.
"""

import csv
import errno
import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import unicodedata

import gin
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from acvae.analysis import saved_model
from acvae.commands import evaluate, export, generate, train as train_command
from acvae.commands import prepare, show_sample
from acvae.commands import visualise as visualise_command
from acvae.core import cli, config, fileio, plugin_files
from acvae.core.errors import UserError
from acvae.data import tfrecord
from acvae.runs import run_folder
from acvae.runs.run_folder import RunFolder
from acvae.training import steps
from tests.conftest import REPO, without_tf_log

NAMES = ["$x^2$ costs $5", "$\\frac{x$", "Renée", *(f"villager {i}" for i in range(21))]
KINDS = ["Cat", "$Dog$", "Frog"]


def _one_line(error: BaseException) -> str:
    message = config.explain(error)
    assert "\n" not in message, message
    return message


def _files(folder: pathlib.Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _image_set(folder: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """A label table (name, kind) and 24 small RGBA images."""
    images = folder / "images"
    images.mkdir(parents=True)
    rng = np.random.default_rng(0)
    with (folder / "labels.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "name", "kind"])
        for i, name in enumerate(NAMES):
            pixels = np.zeros((12, 10, 4), np.uint8)
            pixels[2:-2, 1:-1] = (*rng.integers(0, 255, 3), 255)
            Image.fromarray(pixels).save(images / f"{i:02d}.png")
            writer.writerow([f"{i:02d}.png", name, KINDS[i % 3]])
    return folder / "labels.csv", images


def _main(run_dir, data, *params, allow=False):
    gin.clear_config(clear_constants=True)
    argv = ["--gin_file", str(REPO / "configs/latent1d.gin"),
            "--gin_file", str(REPO / "configs/test.gin"), "--run_dir", str(run_dir),
            "--gin_param", f"TFRECORD = '{data}'", "--gin_param", "train.visualisers = []",
            *(arg for param in params for arg in ("--gin_param", param))]
    return cli.invoke(train_command.main, argv + (["--allow_config_change"] if allow else []))


def test_every_fault_of_issue_14_in_one_workspace(tmp_path, monkeypatch, capsys):
    table, images = _image_set(tmp_path / "download")
    data = tmp_path / "data" / "set.tfrecord"
    run = tmp_path / "runs" / "walk"

    # 2. an --out onto the input, or into the images folder, is refused before any write
    before = _files(tmp_path / "download")
    for out in (table, images / "00.png", images / "set.tfrecord"):
        with pytest.raises(UserError) as raised:
            cli.invoke(prepare.main, [str(table), str(images), "--out", str(out)])
        assert "--out" in _one_line(raised.value)
    assert _files(tmp_path / "download") == before

    # 4. a complete villager record wins over an earlier incomplete one of the same villager
    kaggle = tmp_path / "kaggle"
    (kaggle / "images").mkdir(parents=True)
    Image.fromarray(np.full((8, 6, 4), 200, np.uint8)).save(kaggle / "images" / "Bob.png")
    fields = {"personality": "Lazy", "gender": "Male"}
    (kaggle / "v.json").write_text(json.dumps([{"name": "Bob", "species": "", **fields},
                                               {"name": "Bob", "species": "Cat", **fields}]))
    cli.invoke(prepare.main, [str(kaggle / "v.json"), str(kaggle / "images"),
                              "--out", str(kaggle / "v.tfrecord")])
    assert "lacks species; kept record #1" in capsys.readouterr().out
    (serialized,) = list(tf.data.TFRecordDataset(str(kaggle / "v.tfrecord")))
    assert tfrecord.parse_example(serialized, ["species"])["species"].numpy() == b"Cat"

    # 10. deeply nested JSON is one line
    (kaggle / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(UserError, match="too deeply"):
        cli.invoke(prepare.main, [str(kaggle / "deep.json"), str(kaggle / "images"),
                                  "--out", str(kaggle / "deep.tfrecord")])

    # tidiness: prepare is byte-identical for identical input
    for out in (data, tmp_path / "again" / "set.tfrecord"):
        cli.invoke(prepare.main, [str(table), str(images), "--out", str(out)])
    assert data.read_bytes() == (tmp_path / "again" / "set.tfrecord").read_bytes()

    # 7. a record whose image is not a PNG is refused before training, by number
    bad = tmp_path / "data" / "bad.tfrecord"
    records = [r.numpy() for r in tf.data.TFRecordDataset(str(data))]
    example = tf.train.Example.FromString(records[5])
    example.features.feature["image"].bytes_list.value[0] = b"GIF89a, not a PNG"
    with tf.io.TFRecordWriter(str(bad)) as writer:
        for record in records[:5] + [example.SerializeToString()] + records[6:]:
            writer.write(record)
    with pytest.raises(UserError) as raised:
        _main(tmp_path / "runs" / "bad", bad)
    assert f"record 6 of {bad}" in _one_line(raised.value)
    assert not (tmp_path / "runs" / "bad").exists()

    # 8. config mistakes are one line each and leave no run folder
    for param, message in (("N_EPOCHS = '2'", "train.n_epochs (N_EPOCHS) must be an integer >= 1"),
                           ("IMAGE_SHAPE = 16", "input_pipeline.image_shape (IMAGE_SHAPE) must be "
                                                "a tuple of 2 integers >= 1"),
                           ("LATENT_DIM = %NOPE", "the macro %NOPE is used but never defined"),
                           ("visualisers.latent_grid.n = 0",
                            "visualisers.latent_grid.n must be an integer in [1, 100]")):
        with pytest.raises(UserError) as raised:
            _main(run, data, param, "train.visualisers = [@visualisers.latent_grid()]")
        assert _one_line(raised.value).startswith(message)
    assert not run.exists()

    # 6. text between dollar signs is drawn literally by every figure that shows labels
    figures = ("samples", "embedding", "reconstructions", "nearest_train", "latent_grid")
    _main(run, data, "N_EPOCHS = 1", "optimizers.adam.learning_rate = 1e-3",
          "train.visualisers = [" + ", ".join(f"@visualisers.{f}()" for f in figures) + "]",
          *(f"visualisers.{f}.dpi = 20" for f in figures))
    assert {f"{f}.png" for f in figures} <= {p.name for p in (run / "figures").iterdir()}
    cli.invoke(show_sample.main, [str(data), "--out", str(tmp_path / "sample.png"), "--n", "4"])

    # 3. a second writer is refused with the holder's pid
    with RunFolder(run).open("the walk"):
        with pytest.raises(run_folder.RunFolderBusy) as raised:
            _main(run, data, "N_EPOCHS = 2")
    assert f"pid {os.getpid()}" in _one_line(raised.value)

    # 1. the learning rate given on resume is the one used, and recorded
    used, original = [], steps.Steps.train_steps

    def recording(self, iterator, n_steps, beta):
        used.append(float(self.optimizer.learning_rate))
        return original(self, iterator, n_steps, beta)

    monkeypatch.setattr(steps.Steps, "train_steps", recording)
    _main(run, data, "N_EPOCHS = 2", "optimizers.adam.learning_rate = 1e-4")
    monkeypatch.setattr(steps.Steps, "train_steps", original)
    assert used and all(rate == pytest.approx(1e-4) for rate in used)
    assert "adam.learning_rate = 0.0001" in (run / run_folder.CONFIG_FILE).read_text()
    # ... and a changed latent size is refused, flag or not
    for allow in (False, True):
        with pytest.raises(UserError, match=r"latent_dim 1 -> 2\); .* give a new --run_dir"):
            _main(run, data, "N_EPOCHS = 3", "LATENT_DIM = 2", allow=allow)

    # 5. a garbled, then a deleted history.csv is repaired, with a line saying so
    history = run / run_folder.HISTORY_FILE
    history.write_bytes(history.read_bytes()[:-25] + b"\xff\x00garbage\n")
    (run / run_folder.SCRATCH_DIR).mkdir()  # tidiness: what a killed writer left in its scratch
    (run / run_folder.SCRATCH_DIR / "history.csv.x1y2.tmp.csv").write_bytes(b"left by a kill")
    capsys.readouterr()
    _main(run, data, "N_EPOCHS = 3")
    out = capsys.readouterr().out
    assert f"note: {history} had 1 unreadable line(s); repaired it" in out
    assert "removed 1 temporary file(s)" in out
    history.unlink()
    _main(run, data, "N_EPOCHS = 4")
    assert f"note: {history} was missing; repaired it" in capsys.readouterr().out
    assert [row["epoch"] for row in RunFolder(run).read_history()] == [1, 2, 3, 4]

    # 9. writes that fail outside the training loop are one line, nothing half-written
    before = _files(run)
    real_probe = run_folder.tempfile.TemporaryFile

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(run_folder.tempfile, "TemporaryFile", read_only)
    for command, argv in ((evaluate.main, ["--samples", "2", "--elbo_samples", "1", "--k", "1"]),
                          (visualise_command.main, ["--only", "samples"])):
        with pytest.raises(UserError, match="read-only file system"):
            cli.invoke(command, ["--run_dir", str(run), *argv])
    monkeypatch.setattr(run_folder.tempfile, "TemporaryFile", real_probe)
    real_write = fileio.write_with

    def full_disk(path, write):
        def failing(tmp):
            pathlib.Path(tmp).write_bytes(b"half")
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp))
        return real_write(path, failing)

    monkeypatch.setattr(fileio, "write_with", full_disk)
    with pytest.raises(UserError, match="^disk full while writing .*samples.png"):
        cli.invoke(visualise_command.main, ["--run_dir", str(run), "--only", "samples"])
    with pytest.raises(UserError, match="cannot write .*: disk full"):
        cli.invoke(generate.main, ["--run_dir", str(run), "--n", "2", "--out",
                                   str(tmp_path / "s.png"), "sample"])
    monkeypatch.setattr(fileio, "write_with", real_write)
    assert _files(run) == before
    with pytest.raises(UserError, match="is a folder; name a file"):
        cli.invoke(generate.main, ["--run_dir", str(run), "--out", str(tmp_path), "sample"])
    monkeypatch.setattr(saved_model.tempfile, "mkdtemp", read_only)
    with pytest.raises(UserError, match="^cannot write .*: read-only file system; nothing"):
        cli.invoke(export.main, ["--run_dir", str(run), "--out", str(tmp_path / "export")])
    monkeypatch.undo()

    # 10. a capped generate and a name typed in another Unicode form
    with pytest.raises(UserError, match="--n must be between 1 and"):
        cli.invoke(generate.main, ["--run_dir", str(run), "--n", "100000", "sample"])
    cli.invoke(generate.main, ["--run_dir", str(run), "--steps", "2", "--out",
                               str(tmp_path / "walk.gif"), "interpolate",
                               unicodedata.normalize("NFD", "Renée"), "villager 3"])
    assert (tmp_path / "walk.gif").exists()

    # security: plugin code listed by a run is imported only if chosen, or trusted explicitly
    stranger = tmp_path / "elsewhere" / "stranger.py"
    stranger.parent.mkdir()
    stranger.write_text(f"import pathlib\npathlib.Path({str(tmp_path / 'ran')!r}).touch()\n")
    (run / run_folder.PLUGINS_FILE).write_text(f"{stranger}\n")
    argv = ["--run_dir", str(run), "--only", "samples"]
    with pytest.raises(plugin_files.UntrustedPlugin, match="--trust_plugins"):
        cli.invoke(visualise_command.main, argv)
    assert not (tmp_path / "ran").exists()
    gin.clear_config(clear_constants=True)
    cli.invoke(visualise_command.main, [*argv, "--trust_plugins"])
    assert (tmp_path / "ran").exists()
    (run / run_folder.PLUGINS_FILE).unlink()

    # tidiness: SIGTERM saves and exits 143 with one line; no "unrestored" warnings on resume
    command = [sys.executable, "-m", "acvae.main", "--gin_file=configs/latent1d.gin",
               "--gin_file=configs/test.gin", f"--run_dir={run}", f"--gin_param=TFRECORD = "
               f"'{data}'", "--gin_param=train.visualisers = []", "--gin_param=N_EPOCHS = 50"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while len(RunFolder(run).read_history()) < 5 and process.poll() is None:
            assert time.monotonic() < deadline, "no epoch finished in time"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signal.SIGTERM, stderr[-2000:]
    stderr = without_tf_log(stderr).strip()
    assert stderr.startswith("interrupted: SIGTERM: stopped ") and "\n" not in stderr
    assert "resuming after epoch 4" in stdout and "unrestored" not in stderr
