"""Issue 27, file ownership and outputs: a command deletes or replaces only what acvae wrote.

Each listed case (1, 2, 3, 4, 9, 10, 14, 15) and at least one unlisted variant of its class:
user files in a folder trained into or in a run (named like temporaries or not) survive every
command; every output that exists and was not written by acvae is refused with one line unless
``--overwrite`` (an earlier export too, which then keeps what the user added); the output
format follows the extension; flags are checked against their range before any work; an
unwritable ``--out`` and a run whose files became folders are one line.
"""

import errno
import os
import pathlib
import re
import shutil
import subprocess
import sys

import gin
import pytest
import tensorflow as tf
from absl import flags
from PIL import Image

from acvae.analysis import saved_model
from acvae.commands import evaluate, export, generate, prepare, train as train_command
from acvae.commands import show_sample
from acvae.commands import synthetic as synthetic_command
from acvae.commands import visualise as visualise_command
from acvae.core import cli, config
from acvae.core.errors import UserError
from acvae.data import synthetic, tfrecord
from acvae.runs import run_folder
from acvae.runs.run_folder import RunFolder, RunFolderError
from tests.conftest import REPO
from tests.plugins.tiny_trained import trained_run
from tests.commands.test_generate import names_in


SCRATCH = ".acvae-scratch"  # a run's own scratch folder (``RunFolder.scratch_dir``)


def _marked(path: pathlib.Path) -> bool:
    """Whether an image carries acvae's mark (``acvae.core.outputs.SOFTWARE``)."""
    with Image.open(path) as image:
        return image.info.get("Software") == "acvae"


def _tree(folder: pathlib.Path) -> dict[str, bytes | None]:
    """Every entry under ``folder``: a file's bytes, None for a folder."""
    return {p.relative_to(folder).as_posix(): None if p.is_dir() else p.read_bytes()
            for p in sorted(folder.rglob("*"))}


def _plant(folder: pathlib.Path, names) -> dict[str, bytes | None]:
    """Makes the files ``names`` (relative, ending in ``/`` for a folder) with distinct bytes."""
    for name in names:
        path = folder / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f"the user's {name}".encode())
    return {name.rstrip("/"): None if name.endswith("/") else f"the user's {name}".encode()
            for name in names}


def _kept(folder: pathlib.Path, planted: dict) -> bool:
    tree = _tree(folder)
    return all(name in tree and tree[name] == content for name, content in planted.items())


def _train(run_dir, data, *extra):
    gin.clear_config(clear_constants=True)
    return cli.invoke(train_command.main, [
        "--gin_file", str(REPO / "configs/latent1d.gin"),
        "--gin_file", str(REPO / "configs/test.gin"),
        "--run_dir", str(run_dir), "--gin_param", f"TFRECORD = '{data}'",
        "--gin_param", "train.visualisers = []", *extra])


@pytest.fixture
def run_dir(tmp_path_factory, tmp_path):
    """A copy of a one-epoch run of configs/demo.gin, free to be written."""
    shutil.copytree(trained_run(tmp_path_factory, "demo"), tmp_path / "run")
    return tmp_path / "run"


@pytest.fixture
def download(tmp_path):
    """Five synthetic villagers in the Kaggle layout: (JSON, images folder)."""
    json_path = synthetic.generate(tmp_path / "kaggle", n=5, seed=1)
    return json_path, json_path.parent / "images"


# ---------------------------------------------------------------- 1. temporaries by ownership

USERS_FILES = ["src/my_template.py", "important.tmpl", "notes_temp/a.txt",  # the listed case
               "x.tmp.bak", "checkpoints_temp/", ".notes.tmp", "figures/poster_template.png"]


def test_training_refuses_a_folder_of_the_users_and_keeps_every_file(tmp_path,
                                                                     villagers_tfrecord):
    proj = tmp_path / "proj"
    planted = _plant(proj, USERS_FILES)
    with pytest.raises(UserError) as refused:
        _train(proj, villagers_tfrecord)
    message = str(refused.value)
    assert message.startswith(f"{proj} is not an acvae run and holds .notes.tmp, "
                              "checkpoints_temp/, figures/ and 4 more; ")
    assert "--overwrite" in message
    assert _tree(proj) == {**planted, "src": None, "figures": None, "notes_temp": None}
    _train(proj, villagers_tfrecord, "--overwrite")  # trains beside the user's files
    assert RunFolder(proj).is_run() and _kept(proj, planted)
    assert not (proj / SCRATCH).exists()


def test_every_locking_command_keeps_the_users_files_in_a_run(run_dir, capsys):
    planted = _plant(run_dir, USERS_FILES + ["logs/.x.tmp1", "checkpoints/checkpoint.tmp_mine",
                                             "checkpoints/ckpt-3_temp_notes/a",
                                             "checkpoints/best/ckpt-1_temporary/b"])
    killed = [run_dir / SCRATCH / "history.csv.a1b2.tmp.csv",  # acvae's own
              run_dir / "checkpoints" / "ckpt-7_temp" / "part-00000-of-00001.index",
              run_dir / "checkpoints" / "best" / f"checkpoint.tmp{'0123456789abcdef' * 2}"]
    for path in killed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    cli.invoke(evaluate.main, ["--run_dir", str(run_dir), "--k", "2", "--samples", "2",
                               "--elbo_samples", "1"])
    assert "removed 3 temporary file(s) or folder(s)" in capsys.readouterr().out
    assert not any(path.exists() for path in killed) and _kept(run_dir, planted)
    cli.invoke(visualise_command.main, ["--run_dir", str(run_dir), "--only", "samples"])
    assert _kept(run_dir, planted) and not (run_dir / SCRATCH).exists()


def test_a_run_folder_writes_nothing_outside_it(run_dir):
    with pytest.raises(ValueError, match="leaves"):
        RunFolder(run_dir).figure("embedding_../../../notes.png")


# ---------------------------------------------------------------- 2. prepare --out


@pytest.mark.parametrize("existing", ["notes.txt", "table.csv", "run/history.csv",  # listed
                                      "poster.png", "d.tfrecord"])  # unlisted variants
def test_prepare_refuses_a_file_it_did_not_write(download, tmp_path, existing):
    out = tmp_path / existing
    planted = _plant(tmp_path, [existing])
    refusal = (f"^{out} already exists and acvae did not write it; choose another --out, or "
               "give" if out.suffix == ".tfrecord" else
               f"^--out {out} names a {out.suffix} file, but prepare writes a TFRecord")
    with pytest.raises(UserError, match=refusal):
        cli.invoke(prepare.main, [*map(str, download), "--out", str(out)])
    assert _kept(tmp_path, planted) and not out.with_suffix(".annotations.json").exists()
    if out.suffix != ".tfrecord":  # a TFRecord is never written under another format's name
        with pytest.raises(UserError, match=refusal):
            cli.invoke(prepare.main, [*map(str, download), "--out", str(out), "--overwrite"])
        assert _kept(tmp_path, planted)
        return
    cli.invoke(prepare.main, [*map(str, download), "--out", str(out), "--overwrite"])
    assert tfrecord.read_header([str(out)])


def test_prepare_refuses_files_its_shards_would_replace_or_remove(download, tmp_path):
    out = tmp_path / "d.tfrecord"
    planted = _plant(tmp_path, ["d.tfrecord"])  # a sharded import removes a single file there
    with pytest.raises(UserError, match="d.tfrecord already exists"):
        cli.invoke(prepare.main, [*map(str, download), "--out", str(out), "--shards", "2"])
    assert _kept(tmp_path, planted)
    (tmp_path / "d.tfrecord").unlink()
    planted = _plant(tmp_path, ["d.annotations.json"])
    with pytest.raises(UserError, match="without a TFRecord acvae wrote"):
        cli.invoke(prepare.main, [*map(str, download), "--out", str(out)])
    assert _kept(tmp_path, planted)
    (tmp_path / "d.annotations.json").unlink()
    for shards in ("1", "2", "1"):  # its own files, sharded or not, are replaced as before
        cli.invoke(prepare.main, [*map(str, download), "--out", str(out), "--shards", shards])
    assert out.is_file() and not tf.io.gfile.glob(str(out) + tfrecord.SHARD_GLOB)


# ---------------------------------------------------------------- 3. synthetic DIR


@pytest.mark.parametrize("folder", ["syn", "with images folder"])
def test_synthetic_refuses_a_villagers_json_it_did_not_write(tmp_path, folder):
    planted = _plant(tmp_path / folder, ["villagers.json"] + ["images/"] * (folder != "syn"))
    with pytest.raises(UserError, match="villagers.json already exists"):
        cli.invoke(synthetic_command.main, [str(tmp_path / folder), "--n", "3"])
    assert _tree(tmp_path / folder) == planted
    cli.invoke(synthetic_command.main, [str(tmp_path / folder), "--n", "3", "--overwrite"])
    assert len(list((tmp_path / folder / "images").iterdir())) == 3


# ---------------------------------------------------------------- 4. export --out


def test_an_earlier_export_needs_overwrite_and_keeps_what_the_user_added(
        tmp_path_factory, tmp_path, capsys):
    run = trained_run(tmp_path_factory, "demo")
    out = tmp_path / "exp1"
    cli.invoke(export.main, ["--run_dir", str(run), "--out", str(out)])
    planted = _plant(out, ["notes.txt", "mine/plot.png"])
    (out / saved_model.README_FILE).write_text("my own words")
    before = _tree(out)
    with pytest.raises(UserError, match="exp1 holds an earlier acvae export; "
                                                    "choose another --out, or give --overwrite"):
        cli.invoke(export.main, ["--run_dir", str(run), "--out", str(out)])
    assert _tree(out) == before
    capsys.readouterr()
    cli.invoke(export.main, ["--run_dir", str(run), "--out", str(out), "--overwrite"])
    assert _kept(out, planted)
    assert (out / "README.txt.kept").read_text() == "my own words"
    assert "my own words" not in (out / saved_model.README_FILE).read_text()
    note = capsys.readouterr().out.splitlines()[-1]
    assert note.startswith("note: kept what you had added") and "notes.txt" in note
    assert "README.txt.kept" in note
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".exp1")]


def test_export_onto_a_users_folder_or_file(tmp_path_factory, tmp_path):
    run = trained_run(tmp_path_factory, "demo")
    planted = _plant(tmp_path / "precious", ["thesis.txt", "saved_model.pb", "variables/x"])
    with pytest.raises(UserError, match="already exists and acvae did not write it"):
        cli.invoke(export.main, ["--run_dir", str(run), "--out", str(tmp_path / "precious")])
    assert _tree(tmp_path / "precious") == {**planted, "variables": None}
    cli.invoke(export.main, ["--run_dir", str(run), "--out", str(tmp_path / "precious"),
                             "--overwrite"])  # every file of the user's is kept inside
    assert (tmp_path / "precious" / "saved_model.pb.kept").read_bytes() == planted["saved_model.pb"]
    assert (tmp_path / "precious" / "thesis.txt").read_bytes() == planted["thesis.txt"]
    _plant(tmp_path, ["afile"])
    with pytest.raises(UserError, match="is a file; an export is a folder"):
        cli.invoke(export.main, ["--run_dir", str(run), "--out", str(tmp_path / "afile"),
                                 "--overwrite"])


# ---------------------------------------------------------------- 9. formats follow the extension


def test_generate_writes_the_format_its_extension_names(tmp_path_factory, tmp_path):
    run = trained_run(tmp_path_factory, "demo")
    first, second = names_in(run)
    with pytest.raises(UserError, match=r"--out .*g.gif asks for a .gif file, but sample writes "
                                        r".png; give a --out ending in .png"):
        cli.invoke(generate.main, ["--run_dir", str(run), "sample",
                                   "--out", str(tmp_path / "g.gif")])
    for name in ("walk.png", "walk.GIF"):
        out = tmp_path / name
        cli.invoke(generate.main, ["--run_dir", str(run), "interpolate", first, second,
                                   "--steps", "3", "--out", str(out)])
        with Image.open(out) as image:
            assert image.format == name[-3:].upper()
    for name in ("walk.mp4", "walk"):
        with pytest.raises(UserError, match="interpolate writes .gif or .png"):
            cli.invoke(generate.main, ["--run_dir", str(run), "interpolate", first, second,
                                       "--out", str(tmp_path / name)])
    with pytest.raises(UserError, match="show_sample writes .png"):
        cli.invoke(show_sample.main, ["x.tfrecord", "--out", str(tmp_path / "s.jpg")])


def test_generate_replaces_only_its_own_images(tmp_path_factory, tmp_path):
    run = trained_run(tmp_path_factory, "demo")
    mine = tmp_path / "grid.png"
    cli.invoke(generate.main, ["--run_dir", str(run), "sample", "--n", "4", "--out", str(mine)])
    assert _marked(mine)
    cli.invoke(generate.main, ["--run_dir", str(run), "sample", "--n", "1", "--out", str(mine)])
    users = tmp_path / "photo.png"
    Image.new("RGB", (5, 5), "red").save(users)  # a real PNG, not acvae's
    before = users.read_bytes()
    for command, argv in ((generate.main, ["--run_dir", str(run), "sample"]),
                          (show_sample.main, ["x.tfrecord"])):
        with pytest.raises(UserError, match="photo.png already exists"):
            cli.invoke(command, [*argv, "--out", str(users)])
    assert users.read_bytes() == before
    cli.invoke(generate.main, ["--run_dir", str(run), "sample", "--out", str(users),
                               "--overwrite"])
    assert _marked(users)


# ---------------------------------------------------------------- 10. an --out not writable


def test_prepare_under_a_file_is_one_line(download, tmp_path):
    _plant(tmp_path, ["afile"])
    with pytest.raises(UserError, match=r"afile is a file, not a folder; choose another --out$"):
        cli.invoke(prepare.main, [*map(str, download),
                                  "--out", str(tmp_path / "afile/x.tfrecord")])
    with pytest.raises(UserError, match="afile is a file, not a folder"):
        cli.invoke(prepare.main, [*map(str, download), "--out",
                                  str(tmp_path / "afile/deeper/x.tfrecord")])


def test_prepare_into_a_read_only_folder_is_one_line(download, tmp_path, monkeypatch):
    """Simulated where the write happens (root ignores file modes): TensorFlow cannot create
    the file, and on a read-only file system even deleting a file that is not there fails."""
    read_only = tmp_path / "RO"
    read_only.mkdir()

    def no_writer(path, *args, **kwargs):
        raise tf.errors.PermissionDeniedError(None, None, f"{path}; Read-only file system")

    real_unlink = os.unlink

    def unlink(path, *args, **kwargs):
        if str(path).startswith(str(read_only)):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(tfrecord.tf.io, "TFRecordWriter", no_writer)
    monkeypatch.setattr(os, "unlink", unlink)
    with pytest.raises(UserError, match=r"cannot write .*d.tfrecord: read-only file system; "
                                        "nothing was written"):
        cli.invoke(prepare.main, [*map(str, download), "--out", str(read_only / "d.tfrecord")])
    assert list(read_only.iterdir()) == []


def test_prepare_on_a_real_read_only_mount(download, tmp_path):
    """The listed case itself, where a user namespace can mount a read-only tmpfs."""
    mount = tmp_path / "ro"
    mount.mkdir()
    command = (f"mount -t tmpfs -o ro none {mount} && exec {sys.executable} -m acvae.prepare "
               f"{download[0]} {download[1]} --out {mount / 'd.tfrecord'}")
    try:
        result = subprocess.run(["unshare", "-r", "-m", "sh", "-c", command],
                                capture_output=True, text=True, timeout=120,
                                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    except FileNotFoundError:
        pytest.skip("no unshare")
    if "mount" in result.stderr and "acvae" not in result.stderr:
        pytest.skip(f"cannot mount here: {result.stderr.strip()}")
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[-1] == (f"error: cannot write {mount / 'd.tfrecord'}: read-only file system; "
                         "nothing was written")


# ---------------------------------------------------------------- 14. run files that became folders


@pytest.mark.parametrize("name", ["history.csv", "run.lock",  # listed
                                  "metrics.json", "setup.json"])  # unlisted variants
def test_a_run_file_replaced_by_a_folder_is_one_line(run_dir, name):
    (run_dir / name).unlink(missing_ok=True)
    (run_dir / name / "inside").mkdir(parents=True)
    data = synthetic.cached_tfrecord(n=24, seed=0)  # any: the folder is refused first
    commands = [lambda: cli.invoke(evaluate.main, ["--run_dir", str(run_dir), "--k", "1",
                                                   "--samples", "1", "--elbo_samples", "1"])]
    if name != "metrics.json":
        commands.append(lambda: _train(run_dir, data))
    for command in commands:
        with pytest.raises(RunFolderError) as raised:
            command()
        message = config.explain(raised.value)  # without gin's "In call to" trail
        assert message.startswith(f"{run_dir / name} is a folder, not the run's {name} file; "
                                  f"move it out of {run_dir}")
        assert "\n" not in message
    assert (run_dir / name / "inside").is_dir()


def test_an_unreadable_history_is_one_line(run_dir, monkeypatch):
    real_read = pathlib.Path.read_bytes

    def denied(self):
        if self.name == run_folder.HISTORY_FILE:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", denied)
    with pytest.raises(RunFolderError, match=r"cannot read .*history.csv \(permission denied\); "
                                             "make it readable"):
        cli.invoke(generate.main, ["--run_dir", str(run_dir), "sample",
                                   "--out", str(run_dir.parent / "s.png")])


# ---------------------------------------------------------------- 15. flags out of their range


@pytest.mark.parametrize("command, argv, message", [
    (generate.main, ["sample", "--cols", "-2"], "--cols=-2: -2 is not a positive integer"),
    (generate.main, ["interpolate", "a", "b", "--fps", "0"], "--fps=0.0: must be a number"),
    (generate.main, ["interpolate", "a", "b", "--fps", "-1"], "--fps=-1.0: must be a number"),
    (evaluate.main, ["--seed", "-5"], "--seed=-5: -5 is not a non-negative integer"),
    (visualise_command.main, ["--only="], "--only=[]: must name at least one visualiser"),
    # unlisted variants
    (generate.main, ["interpolate", "a", "b", "--fps", "nan"], "--fps=nan: must be a number"),
    (generate.main, ["interpolate", "a", "b", "--steps", "1"], "--steps=1: 1 is not"),
    (generate.main, ["sample", "--scale", "0"], "--scale=0: 0 is not a positive integer"),
    (generate.main, ["sample", "--n", "0"], "--n=0: 0 is not a positive integer"),
    (show_sample.main, ["x.tfrecord", "--out", "{tmp}/s.png", "--shuffle", "-1"], "--shuffle=-1"),
    (synthetic_command.main, ["{tmp}/syn", "--seed", "-1"], "--seed=-1"),
    (prepare.main, ["t.csv", "images", "--out", "{tmp}/d.tfrecord", "--shards", "0"],
     "--shards=0"),
])
def test_a_flag_out_of_its_range_is_refused_before_any_work(tmp_path, command, argv, message):
    argv = [arg.format(tmp=tmp_path) for arg in argv]
    if command in (generate.main, evaluate.main, visualise_command.main):
        argv = ["--run_dir", str(tmp_path / "none"), *argv]
    with pytest.raises(flags.IllegalFlagValueError) as raised:
        cli.invoke(command, argv)
    assert message in str(raised.value) and "\n" not in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_a_bad_background_is_refused_before_loading_the_run(tmp_path):
    with pytest.raises(UserError, match="^--background: unknown colour 'nocolour'"):
        cli.invoke(generate.main, ["--run_dir", str(tmp_path / "none"), "sample",
                                   "--background", "nocolour"])



# ------------------------------------------- re-test (helper G): outputs of other kinds

@pytest.mark.parametrize("argv, lower", [
    (["sample", "--n", "1024", "--scale", "100000"], "--n, --cols or --scale"),
    (["sample", "--n", "4", "--cols", "1000000"], "--n, --cols or --scale"),
    (["interpolate", "{a}", "{b}", "--steps", "100000000"], "--steps or --scale"),
    (["reconstruct", "{image}", "--scale", "100000"], "--scale"),
])
def test_generate_refuses_an_output_too_large_to_open_before_decoding(run_dir, tmp_path, argv,
                                                                      lower, monkeypatch):
    a, b = names_in(run_dir)
    image = tmp_path / "photo.png"
    Image.new("RGB", (8, 8)).save(image)
    out = tmp_path / ("walk.gif" if argv[0] == "interpolate" else "out.png")

    def never(*args):
        raise AssertionError("decoded before the size was checked")

    monkeypatch.setattr(generate, "_writer", never)
    with pytest.raises(UserError) as raised:
        cli.invoke(generate.main, ["--run_dir", str(run_dir), "--out", str(out),
                                   *(arg.format(a=a, b=b, image=image) for arg in argv)])
    assert str(raised.value).startswith(f"{out} would hold ")
    assert str(raised.value).endswith(f" million image tools open; lower {lower}")
    assert not out.exists()


def test_show_sample_refuses_a_grid_too_large_to_open_before_reading(tmp_path):
    out = tmp_path / "s.png"
    with pytest.raises(UserError, match=rf"^--n must be between 1 and {show_sample.MAX_SHOWN} "):
        cli.invoke(show_sample.main, [str(tmp_path / "none.tfrecord"), "--out", str(out),
                                      "--n", "1000000"])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["d.png", "labels.csv", "notes.txt", "d.JPG"])
def test_prepare_refuses_an_out_naming_another_format(download, tmp_path, name):
    out = tmp_path / "new" / name
    with pytest.raises(UserError, match=rf"^--out {out} names a \.\w+ file, but prepare writes "
                                        r"a TFRecord; give an --out ending in \.tfrecord"):
        cli.invoke(prepare.main, [*map(str, download), "--out", str(out), "--overwrite"])
    assert not out.parent.exists()


@pytest.mark.parametrize("entry, folder, command, argv", [
    ("figures/loss.png", True, visualise_command, ["--only", "loss"]),
    ("figures/training_frames", False, visualise_command, ["--only", "training_movie"]),
    ("logs/evaluation", False, evaluate, ["--k", "1", "--samples", "1", "--elbo_samples", "1"]),
])
def test_an_entry_of_the_wrong_kind_deep_in_a_run_is_one_line(run_dir, entry, folder, command,
                                                              argv):
    path = run_dir / entry
    shutil.rmtree(path, ignore_errors=True)
    path.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    if folder:
        (path / "mine").mkdir(parents=True)
    else:
        path.write_text("mine")
    with pytest.raises(RunFolderError) as raised:
        cli.invoke(command.main, ["--run_dir", str(run_dir), *argv])
    message = config.explain(raised.value)
    assert str(path) in message and f"move it out of {run_dir}" in message, message
    assert "\n" not in message
    assert (path / "mine").is_dir() if folder else path.read_text() == "mine"


def test_visualise_says_which_selected_figures_draw_nothing(tmp_path_factory, tmp_path,
                                                            villagers_tfrecord, capsys):
    run = tmp_path / "run"
    shutil.copytree(trained_run(tmp_path_factory, "latent1d",
                                f"TFRECORD = '{villagers_tfrecord}'"), run)
    with pytest.raises(UserError, match=r"^nothing was drawn: latent_traversals \(Per-dimension "
                                        r"traversals .*\(3D\+ codes\)\)$"):
        cli.invoke(visualise_command.main, ["--run_dir", str(run), "--only",
                                            "latent_traversals"])
    capsys.readouterr()
    cli.invoke(visualise_command.main, ["--run_dir", str(run), "--only", "latent_traversals,loss"])
    lines = capsys.readouterr().out.splitlines()
    assert f"wrote {run / 'figures' / 'loss.png'}" in lines
    assert lines[-1].startswith("note: latent_traversals drew nothing for this run (")


@pytest.mark.parametrize("out", ["{run}", "{run}/checkpoints", "{run}/..", "."])
def test_export_never_replaces_its_run_or_the_current_folder(run_dir, out, monkeypatch):
    monkeypatch.chdir(run_dir.parent)
    before = _tree(run_dir.parent)
    out = out.format(run=run_dir)
    with pytest.raises(UserError, match=rf"^--out {re.escape(out)} is the run folder .* choose "
                                        "a new folder outside the run$"):
        cli.invoke(export.main, ["--run_dir", str(run_dir), "--out", out, "--overwrite"])
    assert _tree(run_dir.parent) == before


@pytest.mark.parametrize("folder_exists", [False, True])
def test_synthetic_stopped_midway_leaves_nothing_and_runs_again(tmp_path, folder_exists,
                                                                 monkeypatch):
    from acvae.data.synthetic import art

    out = tmp_path / "syn"
    planted = _plant(out, ["notes.txt"]) if folder_exists else {}
    draw, drawn = art.draw_villager, []

    def ctrl_c_at_the_third(look):
        drawn.append(look)
        if len(drawn) == 3:
            raise KeyboardInterrupt
        return draw(look)

    monkeypatch.setattr(art, "draw_villager", ctrl_c_at_the_third)
    with pytest.raises(KeyboardInterrupt):
        cli.invoke(synthetic_command.main, [str(out), "--n", "5"])
    assert _tree(out) == planted if folder_exists else not out.exists()
    monkeypatch.undo()
    cli.invoke(synthetic_command.main, [str(out), "--n", "5"])
    assert len(list((out / "images").iterdir())) == 5 and _kept(out, planted)
