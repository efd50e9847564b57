"""The run folder's owner: every file declared, history, best and latest checkpoints, the lock,
a killed run's temporaries, and no folder for a config that does not build."""

import os
import signal
import subprocess
import sys
import textwrap

import gin
import pytest
from absl import flags

from acvae.commands import evaluate
from acvae.core import cli, config
from acvae.core.errors import UserError
from acvae.models import build_vae
from acvae.runs import experiment, run_folder
from acvae.runs.run_folder import RunFolder
from acvae.training.loop import train
from tests.conftest import REPO


def _configure(villagers_tfrecord, *params):
    config.load([str(REPO / "configs/latent1d.gin"), str(REPO / "configs/test.gin")],
                [f"TFRECORD = '{villagers_tfrecord}'", "train.visualisers = []", *params],
                finalize=False)


class _SpoilDecoderAfter:
    """A visualiser that multiplies the decoder's weights by 30 after ``epoch``, so the
    next epoch's validation ELBO is far worse (and the best checkpoint stays behind)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, run, epoch):
        if epoch == self.epoch:
            for weight in run.model.decoder.weights:
                weight.assign(weight * 30.0)

    def on_train_end(self, run):
        return []


def test_history_round_trips_with_a_models_extra_terms(tmp_path):
    folder = RunFolder(tmp_path)
    rows = [{**{key: float(i) for key in run_folder.HISTORY_FIELDS}, "epoch": i,
             "train_tc": 0.5 * i, "val_tc": 0.25 * i} for i in (1, 2)]
    for row in rows:
        folder.append_history(row)
    assert folder.read_history() == rows
    folder.append_history({**rows[0], "train_loss": 9.0})  # epoch 1 again: 2 is dropped
    assert [row["train_loss"] for row in folder.read_history()] == [9.0]


def _history_with_events(folder, epochs):
    """Rows of ``epochs`` written as training writes them: history.csv and TensorBoard."""
    board = folder.tensorboard()
    rows = []
    for epoch in epochs:
        values = {metric: 100.0 + epoch + i / 8 for i, metric in enumerate(run_folder.METRICS)}
        extra = {"tc": 0.5 * epoch}
        row = {"epoch": epoch, "beta": 1.0, "seconds": 2.5,
               **{f"train_{k}": v for k, v in {**values, **extra}.items()},
               **{f"val_{k}": v + 1 for k, v in {**values, **extra}.items()}}
        rows.append(row)
        folder.append_history(row)
        board.scalars("train", {**values, **extra, "beta": 1.0}, epoch)
        board.scalars("validation", {k: v + 1 for k, v in {**values, **extra}.items()}, epoch)
    board.close()
    return rows


def _without_seconds(rows):
    return [{k: v for k, v in row.items() if not k.endswith("seconds")} for row in rows]


@pytest.mark.parametrize("damage, note", [
    ("delete", "was missing; repaired it: 0 readable row(s) kept, 3 rebuilt"),
    ("truncate", "had 1 unreadable line(s); repaired it: 1 readable row(s) kept, 2 rebuilt"),
    ("garble", "had 1 unreadable line(s); repaired it: 2 readable row(s) kept, 1 rebuilt"),
    ("binary", "had 1 unreadable line(s); repaired it: 0 readable row(s) kept, 3 rebuilt"),
])
def test_a_damaged_or_deleted_history_is_repaired_from_tensorboard(damage, note, tmp_path,
                                                                   capsys):
    folder = RunFolder(tmp_path)
    rows = _history_with_events(folder, (1, 2, 3))
    path = tmp_path / run_folder.HISTORY_FILE
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    if damage == "delete":
        path.unlink()
    elif damage == "truncate":  # cut inside the row of epoch 2
        path.write_text("".join(lines[:2]) + lines[2][:20])
    elif damage == "garble":
        path.write_text(lines[0] + lines[1] + lines[2].replace("102", "1x2") + lines[3])
    else:
        path.write_bytes(bytes(b ^ 0x5A for b in text.encode()))
    capsys.readouterr()
    repaired = folder.repair_history(3)
    assert note in capsys.readouterr().out
    assert _without_seconds(repaired) == _without_seconds(rows)
    assert _without_seconds(folder.read_history()) == _without_seconds(rows)  # rewritten
    capsys.readouterr()
    assert _without_seconds(folder.repair_history(3)) == _without_seconds(rows)
    assert capsys.readouterr().out == ""  # nothing more to repair: nothing said


def test_epochs_neither_the_history_nor_the_events_hold_are_named(tmp_path, capsys):
    folder = RunFolder(tmp_path)
    _history_with_events(folder, (1, 2))
    (tmp_path / run_folder.HISTORY_FILE).unlink()
    assert [row["epoch"] for row in folder.repair_history(4)] == [1, 2]
    assert "epoch(s) 3-4 could not be recovered" in capsys.readouterr().out


def test_training_resumes_past_a_garbled_then_a_deleted_history(tmp_path, villagers_tfrecord,
                                                                capsys):
    _configure(villagers_tfrecord, "N_EPOCHS = 2")
    train(tmp_path)
    before = RunFolder(tmp_path).read_history()
    path = tmp_path / run_folder.HISTORY_FILE
    path.write_bytes(path.read_bytes()[:-30] + b"\xff\xfe,,garbage\n")
    for n_epochs in (3, 4):
        gin.clear_config()
        _configure(villagers_tfrecord, f"N_EPOCHS = {n_epochs}")
        capsys.readouterr()
        train(tmp_path)
        assert f"note: {path} " in capsys.readouterr().out
        history = RunFolder(tmp_path).read_history()
        assert [row["epoch"] for row in history] == list(range(1, n_epochs + 1))
        for epoch in (0, 1):  # events hold float32s
            assert _without_seconds(history)[epoch] == pytest.approx(
                _without_seconds(before)[epoch], rel=1e-6)
        path.unlink()


def test_every_file_of_a_trained_and_evaluated_run_is_declared(tmp_path, villagers_tfrecord):
    _configure(villagers_tfrecord, "N_EPOCHS = 2", "LATENT_DIM = 2", "BATCH_SIZE = 9",
               "train.visualisers = [@visualisers.training_movie(), @visualisers.embedding(), "
               "@visualisers.index_html()]", "visualisers.embedding.dpi = 30",
               "visualisers.training_movie.n = 2")
    train(tmp_path)
    gin.clear_config()
    cli.invoke(evaluate.main, ["--run_dir", str(tmp_path), "--k", "2", "--samples", "2",
                               "--elbo_samples", "1"])
    folder = RunFolder(tmp_path)
    files = [p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) > 20
    undeclared = [str(p) for p in files if not folder.declares(p)]
    assert not undeclared, undeclared
    for expected in ("history.csv", "operative_config.gin", "metrics.json", "run.lock",
                     "checkpoints/best/checkpoint", "figures/embedding_species.png",
                     "figures/training_frames/epoch_000002.png"):
        assert (tmp_path / expected).exists(), expected
    assert not folder.declares("figures/notes.txt") and not folder.declares("stray.csv")
    with pytest.raises(ValueError, match="figures/notes.txt is not declared"):
        folder.write_figure("notes.txt", lambda tmp: tmp.write_text("x"))


def test_best_checkpoint_beside_the_latest_and_post_hoc_tools_choose(
        tmp_path, villagers_tfrecord, capsys):
    _configure(villagers_tfrecord, "N_EPOCHS = 3")
    train(tmp_path, visualisers=[_SpoilDecoderAfter(epoch=2)])
    history = RunFolder(tmp_path).read_history()
    best = max(history, key=lambda row: row["val_elbo"])["epoch"]
    assert best < 3 and history[2]["val_elbo"] < history[best - 1]["val_elbo"]
    assert RunFolder(tmp_path).best_epoch() == best
    gin.clear_config()
    assert experiment.load_run(tmp_path).epoch == best  # the default
    gin.clear_config()
    assert experiment.load_run(tmp_path, "latest").epoch == 3
    result = cli.invoke(evaluate.main, ["--run_dir", str(tmp_path), "--k", "2", "--samples",
                                        "2", "--elbo_samples", "1", "--checkpoint", "latest"])
    assert result["epoch"] == 3
    with pytest.raises(flags.IllegalFlagValueError, match="checkpoint"):
        cli.invoke(evaluate.main, ["--run_dir", str(tmp_path), "--checkpoint", "newest"])
    gin.clear_config()
    _configure(villagers_tfrecord, "N_EPOCHS = 4")
    capsys.readouterr()
    train(tmp_path)  # training resumes from the latest, never from the best
    assert "resuming after epoch 3" in capsys.readouterr().out


def test_a_run_without_a_best_checkpoint_loads_its_latest(tmp_path, villagers_tfrecord):
    _configure(villagers_tfrecord, "N_EPOCHS = 1")
    train(tmp_path)
    for path in RunFolder(tmp_path).best_dir.iterdir():  # as a run from before best existed
        path.unlink()
    gin.clear_config()
    assert experiment.load_run(tmp_path).epoch == 1


def test_a_second_writer_is_refused_naming_the_holders_pid(tmp_path, villagers_tfrecord):
    _configure(villagers_tfrecord, "N_EPOCHS = 1")
    with RunFolder(tmp_path).open("a test"):
        with pytest.raises(run_folder.RunFolderBusy) as raised:
            train(tmp_path)
    message = config.explain(raised.value)  # without gin's "In call to configurable" lines
    assert f"pid {os.getpid()}" in message and "a test" in message and "\n" not in message
    assert isinstance(raised.value, UserError)
    assert train(tmp_path).epoch == 1  # released


HOLD_THE_LOCK = textwrap.dedent("""
    import sys, time
    from acvae.runs.run_folder import RunFolder
    with RunFolder(sys.argv[1]).open("the holder"):
        print("locked", flush=True)
        time.sleep(600)
""")


def test_the_lock_of_a_killed_process_is_taken_over(tmp_path, villagers_tfrecord, capsys):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_THE_LOCK, str(tmp_path)], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        _configure(villagers_tfrecord, "N_EPOCHS = 1")
        with pytest.raises(run_folder.RunFolderBusy, match=f"pid {holder.pid} .*the holder"):
            train(tmp_path)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    capsys.readouterr()
    assert train(tmp_path).epoch == 1
    out = capsys.readouterr().out
    assert f"taking over the lock of {tmp_path}" in out and f"pid {holder.pid}" in out


def test_temporaries_of_a_killed_run_are_removed(tmp_path, villagers_tfrecord, capsys):
    """What acvae owns is removed (its scratch folder, TensorFlow's exact temporaries in the
    checkpoint folders); nothing else is matched by name."""
    _configure(villagers_tfrecord, "N_EPOCHS = 1")
    train(tmp_path)
    assert not (tmp_path / run_folder.SCRATCH_DIR).exists()  # emptied and removed on exit
    leftovers = [tmp_path / "checkpoints" / "ckpt-2_temp" / "part-00000-of-00001.index",
                 tmp_path / run_folder.SCRATCH_DIR / "history.csv.k3j9x.tmp.csv",
                 tmp_path / "checkpoints" / f"checkpoint.tmp{'4f2a9c' * 5}ab",
                 tmp_path / run_folder.SCRATCH_DIR / "loss.png.a8b2.tmp.png"]
    users = [tmp_path / ".history.csv.k3j9x.tmp.csv", tmp_path / "figures" / "my_template.png",
             tmp_path / "checkpoints" / "checkpoint.tmp_notes", tmp_path / "ckpt-2_temp" / "a"]
    for path in leftovers + users:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    gin.clear_config()
    _configure(villagers_tfrecord, "N_EPOCHS = 2")
    capsys.readouterr()
    train(tmp_path)
    assert not any(path.exists() for path in leftovers)
    assert not (tmp_path / "checkpoints" / "ckpt-2_temp").exists()
    assert all(path.read_bytes() == b"half" for path in users)
    assert "removed 4 temporary file(s) or folder(s)" in capsys.readouterr().out


def test_the_sampler_folder_is_the_run_folders_own(tmp_path):
    """``sampler/``: its files declared, TensorFlow's temporaries there removed by their exact
    names, ``remove_sampler`` removes only its files, and a file in its place is refused."""
    from acvae.runs.run_folder import RunFolderError

    folder = RunFolder(tmp_path)
    saved = ["sampler/sampler.json", "sampler/weights.index",
             "sampler/weights.data-00000-of-00001", "sampler/fit/fingerprint",
             "sampler/fit/checkpoint", "sampler/fit/ckpt-20.index",
             "sampler/fit/ckpt-20.data-00000-of-00001"]
    assert folder.sampler_dir == tmp_path / "sampler"
    assert all(folder.declares(name) for name in saved)
    assert not folder.declares("sampler/notes.txt")
    temporaries = [tmp_path / "sampler" / "weights_temp" / "part-00000-of-00001.index",
                   tmp_path / "sampler" / "fit" / "ckpt-7_temp" / "part-00000-of-00001.index"]
    users = [tmp_path / "sampler" / "notes.txt", tmp_path / "sampler" / "fit" / "mine_temp" / "a"]
    for path in [*(tmp_path / name for name in saved), *temporaries, *users]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    assert sorted(folder.leftovers()) == sorted(path.parent for path in temporaries)
    folder.remove_sampler()
    assert not any((tmp_path / name).exists() for name in saved)
    assert all(path.exists() for path in users)
    other = tmp_path / "other"
    (other / "sampler").parent.mkdir()
    (other / "sampler").write_text("not a folder")
    with pytest.raises(RunFolderError, match="is a file, not the run's sampler folder"):
        RunFolder(other).check()


@pytest.mark.parametrize("params", [["N_CHANNELS = 2"],
                                    ["encoders.conv.filters = (4, 8, 8, 8, 8)"],
                                    ["TFRECORD = '/nonexistent/villagers.tfrecord'"]])
def test_a_config_that_does_not_build_leaves_no_run_folder(tmp_path, villagers_tfrecord, params):
    with pytest.raises(UserError):  # when the config loads (a value out of range) or builds
        config.load([str(REPO / "configs/latent1d.gin"), str(REPO / "configs/test.gin")],
                    [f"TFRECORD = '{villagers_tfrecord}'", "train.visualisers = []", *params],
                    finalize=False)
        train(tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_restore_checks_the_model_and_falls_back_past_damage(tmp_path):
    folder = RunFolder(tmp_path)
    model = build_vae((8, 8), 1, latent_dim=2)
    state = run_folder.checkpoint_state(model)
    folder.track(state, keep=3)
    for epoch in (1, 2):
        state.epoch.assign(epoch)
        folder.save(epoch)
    (data,) = folder.checkpoints_dir.glob("ckpt-2.data-*")
    data.write_bytes(data.read_bytes()[:10])
    fresh = run_folder.checkpoint_state(build_vae((8, 8), 1, latent_dim=2))
    assert folder.restore(fresh).endswith("ckpt-1") and int(fresh.epoch.numpy()) == 1
    other = run_folder.checkpoint_state(build_vae((8, 8), 1, latent_dim=3))
    with pytest.raises(UserError, match="does not fit this model"):
        folder.restore(other, "latest")
    assert folder.restore(fresh, "best") is None  # no best checkpoint was saved
