"""Issue 27's data cases, each with an unlisted variant of its class: inputs that changed since
training, hidden and system files in image folders, damaged TFRecords read by any tool, tables
of the wrong shape, a damaged cache, and datasets with one or two training images.

Every command answers in one line that says what is wrong and what helps, and a run trained on
very few images stays usable by every tool.
"""

import contextlib
import csv
import json
import os
import pathlib
import shutil
import subprocess
import sys

import gin
import numpy as np
import pytest
from PIL import Image

from acvae.analysis import evaluation
from acvae.commands import evaluate, generate, show_sample
from acvae.core import cli, config
from acvae.core.errors import UserError
from acvae.data import batches, datasets, importers, pipeline, synthetic
from acvae.data.errors import DataError
from acvae.runs import experiment
from acvae.training.loop import train
from tests.conftest import REPO, without_tf_log

KINDS = ("a", "b", "c")
DATA = pathlib.Path("data/d.tfrecord")  # relative: a workspace copied elsewhere still works


def _image_set(folder: pathlib.Path, n: int, rows=None, tint: int = 0) -> pathlib.Path:
    """``folder/images/NN.png`` (small RGBA) and ``folder/t.csv`` (file, name, kind) of ``n``
    items; ``rows`` replaces the table's rows, ``tint`` changes every image's colour."""
    images = folder / "images"
    images.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        pixels = np.zeros((12, 10, 4), np.uint8)
        pixels[2:-2, 1:-1] = (*((rng.integers(0, 200, 3) + tint) % 256), 255)
        Image.fromarray(pixels).save(images / f"{i:02d}.png")
    if rows is None:
        rows = [[f"{i:02d}.png", f"item {i}", KINDS[i % 3]] for i in range(n)]
    with (folder / "t.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["file", "name", "kind"], *rows])
    return folder / "t.csv"


def _prepare(folder: pathlib.Path, out: pathlib.Path, shards: int = 1):
    return importers.prepare(folder / "t.csv", folder / "images", out=out, shards=shards)


def _train(run_dir, tfrecord, *params) -> None:
    """One epoch of the tiny latent1d config; paths relative to the current folder."""
    gin.clear_config(clear_constants=True)
    # from the repository: with it on sys.path (pytest), gin takes a relative include
    # ('configs/base.gin') for a package resource unless the current folder holds it
    with contextlib.chdir(REPO):
        config.load([str(REPO / "configs/latent1d.gin"), str(REPO / "configs/test.gin")],
                    [f"TFRECORD = '{tfrecord}'", "N_EPOCHS = 1", "train.visualisers = []",
                     *params], finalize=False)
    try:
        train(run_dir)
    finally:
        gin.clear_config(clear_constants=True)


@pytest.fixture(scope="module")
def trained_workspace(tmp_path_factory) -> pathlib.Path:
    """A folder holding ``download/`` (30 images and their table), ``data/d.tfrecord`` and
    ``run/``, trained on it for one epoch with relative paths."""
    workspace = tmp_path_factory.mktemp("workspace")
    _image_set(workspace / "download", 30)
    before = os.getcwd()
    os.chdir(workspace)
    try:
        _prepare(pathlib.Path("download"), DATA)
        _train("run", DATA)
    finally:
        os.chdir(before)
    return workspace


@pytest.fixture
def workspace(trained_workspace, tmp_path, monkeypatch) -> pathlib.Path:
    """A private copy of the trained workspace, made the current folder."""
    copy = tmp_path / "ws"
    shutil.copytree(trained_workspace, copy)
    monkeypatch.chdir(copy)
    return copy


def _evaluate(*flags):
    return cli.invoke(evaluate.main, ["--run_dir", "run", "--k", "2", "--samples", "2",
                                      "--elbo_samples", "1", *flags])


# ---- inputs that changed since training (case 5) -------------------------------------------

def test_evaluate_refuses_a_re_prepared_dataset_saying_what_changed(workspace, capsys):
    rows = [[f"{i:02d}.png", f"item {i}", KINDS[i % 3]] for i in range(28)]
    _image_set(pathlib.Path("download"), 30, rows=rows)
    _prepare(pathlib.Path("download"), DATA)
    with pytest.raises(UserError) as raised:
        _evaluate()
    message = str(raised.value)
    assert "\n" not in message
    assert "data/d.tfrecord holds 28 items, not 30" in message
    assert "--allow_data_change" in message
    result = _evaluate("--allow_data_change")
    assert result["n_train"] + result["n_validation"] == 28
    assert "going on with this data (--allow_data_change)" in capsys.readouterr().out


def test_other_images_or_labels_are_noticed_by_every_tool_and_other_files_are_not(workspace):
    _image_set(pathlib.Path("download"), 30, tint=40)
    _prepare(pathlib.Path("download"), DATA)
    with pytest.raises(UserError, match=r"\(other images; setup.json records what it held\)"):
        cli.invoke(generate.main, ["sample", "--run_dir", "run", "--out", "g.png"])
    assert not pathlib.Path("g.png").exists()
    rows = [[f"{i:02d}.png", f"item {i}", KINDS[(i + 1) % 3]] for i in range(30)]
    _image_set(pathlib.Path("download"), 30, rows=rows)
    _prepare(pathlib.Path("download"), DATA)
    with pytest.raises(UserError, match=r"\(other labels;"):
        experiment.load_run("run")
    # the same items re-prepared into shards are the same data
    _image_set(pathlib.Path("download"), 30)
    _prepare(pathlib.Path("download"), DATA, shards=2)
    assert not DATA.exists()
    data = experiment.load_run("run").data
    assert data.n_train + data.n_validation == 30


def test_a_run_older_than_the_content_record_is_checked_by_its_split_sizes(workspace):
    setup = pathlib.Path("run/setup.json")
    recorded = json.loads(setup.read_text())
    recorded.pop("data", None)
    setup.write_text(json.dumps(recorded))
    experiment.load_run("run")  # unchanged data: no complaint
    rows = [[f"{i:02d}.png", f"item {i}", KINDS[i % 3]] for i in range(20)]
    _image_set(pathlib.Path("download"), 30, rows=rows)
    _prepare(pathlib.Path("download"), DATA)
    then_now = (r"\(24 training and 6 validation items \(content [0-9a-f]+\) then, "
                r"15 training and 5 validation items")
    with pytest.raises(UserError, match=then_now):
        experiment.load_run("run")


def test_resuming_on_other_images_needs_the_flag(workspace):
    _image_set(pathlib.Path("download"), 30, tint=40)
    _prepare(pathlib.Path("download"), DATA)
    with pytest.raises(UserError, match=r"\(data: other images\); .*--allow_config_change"):
        _train("run", DATA, "N_EPOCHS = 2")


# ---- hidden and system files (case 7) ------------------------------------------------------

def _png(path: pathlib.Path, colour=(200, 30, 30, 255)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGBA", (6, 5), colour).save(path)


def test_hidden_class_folders_and_hidden_images_are_skipped_and_reported(tmp_path):
    root = tmp_path / "classes"
    for name in ("dog/a.png", "dog/b.png", "cat/c.png", "cat/d.png", "dog/.hidden.png",
                 ".hiddenclass/x.png"):
        _png(root / name)
    out = tmp_path / "c.tfrecord"
    report = importers.prepare(root, out=out)
    assert report.written == 4
    assert report.schema.label("class").values == ("cat", "dog")
    lines = report.lines()
    assert "skipped: 1 hidden or system file(s): '.hiddenclass/'" in lines
    assert "skipped: 1 hidden or system file(s) in dog/: '.hidden.png'" in lines
    _, sample = show_sample.read_sample(str(out), n=10)
    assert sorted(record["name"] for record in sample) == ["a", "b", "c", "d"]


def test_what_operating_systems_leave_is_skipped_in_every_layout(tmp_path):
    root = tmp_path / "classes"
    for name in ("dog/a.png", "dog/b.png", "cat/c.png", "__MACOSX/dog/._a.png", "dog/._a.png"):
        _png(root / name)
    (root / "cat" / "Thumbs.db").write_bytes(b"\0\1")
    (root / ".DS_Store").write_bytes(b"\0\1")
    report = importers.prepare(root, out=tmp_path / "c.tfrecord")
    assert report.written == 3 and report.schema.label("class").values == ("cat", "dog")
    assert "skipped: 2 hidden or system file(s): '.DS_Store', '__MACOSX/'" in report.lines()
    assert not [line for line in report.lines() if line.startswith("ignored")]

    table = _image_set(tmp_path / "download", 6)
    images = tmp_path / "download" / "images"
    _png(images / ".thumbnails" / "00.png")
    _png(images / "._00.png")
    (images / "Thumbs.db").write_bytes(b"\0")
    report = importers.prepare(table, images, out=tmp_path / "t.tfrecord")
    assert report.written == 6
    kinds = {line.split(":")[0] for line in report.lines()[2:]}
    assert kinds == {"skipped"}, report.lines()

    villagers = tmp_path / "villagers"
    _png(villagers / "images" / "Agent_S.png")
    _png(villagers / "images" / "Bob.png")
    _png(villagers / "images" / "._Bob.png")
    (villagers / "v.json").write_text(
        '[{"name": "Agent S", "species": "Squirrel", "personality": "Peppy", '
        '"gender": "Female"}, {"name": "Bob", "species": "Cat", "personality": "Lazy", '
        '"gender": "Male"}]')
    report = importers.prepare(villagers / "v.json", villagers / "images",
                               out=tmp_path / "v.tfrecord")
    assert report.written == 2
    assert report.lines()[1:] == ["skipped: 1 hidden or system file(s): '._Bob.png'"]


# ---- one integrity check for every reader (cases 8 and 20) ---------------------------------

def _first_line(error: BaseException) -> str:
    return str(error).splitlines()[0]


def test_show_sample_refuses_a_file_cut_in_half_as_training_does(tmp_path):
    _image_set(tmp_path / "download", 30)
    out = tmp_path / "d.tfrecord"
    _prepare(tmp_path / "download", out)
    content = out.read_bytes()
    out.write_bytes(content[: len(content) // 2])
    with pytest.raises(DataError) as shown:
        show_sample.read_sample(str(out), n=30)
    with pytest.raises(DataError) as trained:
        pipeline.input_pipeline(str(out))
    assert _first_line(shown.value) == _first_line(trained.value)
    assert "is damaged or cut short at record 16 (the file ends inside it" in str(shown.value)
    assert "run python -m acvae.prepare on the data again" in str(shown.value)


def test_a_shard_garbled_in_the_middle_is_named_by_every_reader(tmp_path):
    _image_set(tmp_path / "download", 30)
    stem = tmp_path / "d.tfrecord"
    shards = [str(path) for path in _prepare(tmp_path / "download", stem, shards=3).files]
    last = pathlib.Path(shards[-1])
    content = bytearray(last.read_bytes())
    content[len(content) // 2 + 40] ^= 0x01  # inside a record's data: its checksum fails
    last.write_bytes(bytes(content))
    messages = set()
    for read in (lambda: show_sample.read_sample(str(stem), n=4),
                 lambda: show_sample.read_sample(str(stem), n=4, shuffle=50),
                 lambda: pipeline.input_pipeline(str(stem))):
        with pytest.raises(DataError) as raised:
            read()
        messages.add(_first_line(raised.value))
    (message,) = messages
    assert message.startswith(f"{last} is damaged or cut short at record ")
    assert "(it fails its checksum" in message


def test_a_table_given_as_the_tfrecord_is_one_line_without_tensorflow_internals(tmp_path):
    table = _image_set(tmp_path / "download", 6)
    run_dir = tmp_path / "run"
    with pytest.raises(DataError) as raised:
        _train(run_dir, table)
    message = config.explain(raised.value)
    assert "\n" not in message and "{{" not in message and "function_node" not in message
    assert message.startswith(f"{table} is not a TFRecord written by acvae.prepare: it holds "
                              "text (a label table?)")
    assert "python -m acvae.prepare TABLE IMAGES_DIR" in message
    assert not run_dir.exists()


def test_show_sample_on_a_bit_flipped_record_is_one_error_line(tmp_path):
    _image_set(tmp_path / "download", 30)
    out = tmp_path / "d.tfrecord"
    _prepare(tmp_path / "download", out)
    content = bytearray(out.read_bytes())
    content[len(content) // 2 + 100] ^= 0xFF
    out.write_bytes(bytes(content))
    result = subprocess.run(
        [sys.executable, "-m", "acvae", "show_sample", str(out), "--out",
         str(tmp_path / "s.png"), "--n", "30"],
        capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 1
    assert "function_node" not in result.stderr and "rendezvous" not in result.stderr
    line = without_tf_log(result.stderr)
    assert line.startswith(f"error: {out} is damaged or cut short at record 16 (it fails its "
                           "checksum"), result.stderr
    assert line.endswith("run python -m acvae.prepare on the data again")
    assert not (tmp_path / "s.png").exists()


def test_evaluate_names_the_record_whose_checksum_fails(workspace):
    content = bytearray(DATA.read_bytes())
    content[len(content) // 3 + 100] ^= 0x01
    DATA.write_bytes(bytes(content))
    with pytest.raises(DataError) as raised:
        _evaluate()
    message = config.explain(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{DATA} is damaged or cut short at record ")
    assert "(it fails its checksum" in message


# ---- tables of the wrong shape (case 19) ---------------------------------------------------

def test_rows_with_more_fields_than_the_header_say_so(tmp_path):
    folder = tmp_path / "download"
    _image_set(folder, 30)
    lines = (folder / "t.csv").read_text().splitlines()
    (folder / "t.csv").write_text("\n".join([lines[0], *(f"{line},x" for line in lines[1:])]))
    with pytest.raises(DataError) as raised:
        _prepare(folder, tmp_path / "d.tfrecord")
    message = str(raised.value)
    assert "has no rows" not in message
    assert ("every row has more fields than the header, e.g. line 2 has 4 fields but the header "
            "has 3 (file, name, kind); is the comma the right delimiter") in message


def test_semicolons_tabs_and_utf16_tables_import_and_short_rows_say_so(tmp_path):
    folder = tmp_path / "download"
    _image_set(folder, 30)
    rows = list(csv.reader((folder / "t.csv").open(encoding="utf-8")))
    (folder / "t.csv").write_text("\n".join(";".join(row) for row in rows), encoding="utf-8")
    assert _prepare(folder, tmp_path / "semicolons.tfrecord").written == 30
    text = "\r\n".join("\t".join(row) for row in rows)
    (folder / "t.csv").write_bytes("\ufeff".encode("utf-16-le") + text.encode("utf-16-le"))
    report = _prepare(folder, tmp_path / "utf16.tfrecord")
    assert report.written == 30 and report.schema.columns == ("name", "kind")
    (folder / "t.csv").write_text("\n".join(["file,name,kind,colour"]
                                            + [",".join(row) for row in rows[1:]]))
    with pytest.raises(DataError, match="every row has fewer fields than the header, e.g. line 2 "
                                        r"has 3 fields but the header has 4 \(file, name, kind, "
                                        "colour\\): is the delimiter right"):
        _prepare(folder, tmp_path / "short.tfrecord")


# ---- acvae's own cache (case 21) -----------------------------------------------------------

def test_a_damaged_synthetic_cache_is_rebuilt_saying_so(tmp_path, capsys):
    first = datasets.synthetic(n=8, seed=3, cache_dir=tmp_path)
    path = synthetic.cached_tfrecord(8, 3, tmp_path)
    good = path.read_bytes()
    for damaged in (good[: len(good) // 2], b""):
        path.write_bytes(damaged)
        again = datasets.synthetic(n=8, seed=3, cache_dir=tmp_path)
        assert (again.n_train, again.fingerprint) == (first.n_train, first.fingerprint)
        assert path.read_bytes() == good
        out = capsys.readouterr().out
        assert f"note: the cached 8 synthetic villagers in {path} are damaged; deleting" in out


def test_a_damaged_plugin_dataset_cache_is_rebuilt(tmp_path, capsys):
    items = [({"name": f"n{i}", "kind": KINDS[i % 3]}, np.full((4, 4, 4), 40 * i, np.uint8))
             for i in range(6)]
    first = datasets.from_images("shapes", items, "name", cache_dir=tmp_path)
    (path,) = (tmp_path / "datasets").glob("shapes-*.tfrecord")
    good = bytearray(path.read_bytes())
    good[len(good) // 2] ^= 0x01
    path.write_bytes(bytes(good))
    again = datasets.from_images("shapes", items, "name", cache_dir=tmp_path)
    assert again.fingerprint == first.fingerprint
    assert "note: the cached images of dataset 'shapes' in" in capsys.readouterr().out


# ---- degenerate data (case 13) -------------------------------------------------------------

def test_one_training_image_trains_a_run_every_tool_can_use(tmp_path, capsys):
    _image_set(tmp_path / "download", 2)  # test.gin's split: item 0 trains, item 1 validates
    data = tmp_path / "d.tfrecord"
    _prepare(tmp_path / "download", data)
    run_dir = tmp_path / "run"
    _train(run_dir, data)
    assert ("note: 1 training item(s) are too few to fit the gaussian_mixture sampler (it "
            "needs at least 2); generated images come from the prior") in capsys.readouterr().out
    cli.invoke(generate.main, ["sample", "--run_dir", str(run_dir), "--out",
                               str(tmp_path / "g.png"), "--n", "4"])
    assert (tmp_path / "g.png").is_file()
    result = cli.invoke(evaluate.main, ["--run_dir", str(run_dir), "--k", "2", "--samples", "2",
                                        "--elbo_samples", "1"])
    assert (result["n_train"], result["n_validation"]) == (1, 1)
    # no training item at all is refused before a run folder exists
    one = tmp_path / "one"
    _image_set(one, 1)
    _prepare(one, tmp_path / "one.tfrecord")
    with pytest.raises(DataError, match="split is empty"):
        _train(tmp_path / "run1", tmp_path / "one.tfrecord")
    assert not (tmp_path / "run1").exists()


def test_two_training_images_and_ten_components_say_so_and_work(tmp_path, capsys):
    _image_set(tmp_path / "download", 3)  # two training items, one per class
    data = tmp_path / "d.tfrecord"
    _prepare(tmp_path / "download", data)
    run_dir = tmp_path / "run"
    _train(run_dir, data, "samplers.gaussian_mixture.n_components = 10",
           "samplers.gaussian_mixture.posterior_draws = 5")
    assert ("note: 2 training items are fewer than the 10 mixture components configured; the "
            "mixture has 1") in capsys.readouterr().out
    run = experiment.load_run(run_dir)
    assert run.model.sampler is not run.model.prior
    assert np.isfinite(np.asarray(run.model.sample(3, seed=0))).all()
    result = evaluation.evaluate(run, k=2, n_samples=2, elbo_samples=1)
    assert result["n_train"] == 2 and set(result["knn_accuracy"]) == {"kind"}


# ---- re-test (helper G): other damage, other folders, other degenerate data ----------------

def test_a_dataset_holding_an_item_twice_is_refused_by_every_reader(tmp_path):
    _image_set(tmp_path, 6)
    once = tmp_path / "d.tfrecord"
    _prepare(tmp_path, once)
    twice = tmp_path / "twice.tfrecord"  # two imports concatenated
    twice.write_bytes(once.read_bytes() * 2)
    message = (rf"^6 record\(s\) repeat an item, e\.g\. name 'item 0' in record 1 of {twice} "
               rf"and record 7 of {twice}; each item must be in the data once")
    with pytest.raises(DataError, match=message):
        show_sample.read_sample(str(twice))
    with pytest.raises(DataError, match=message):
        pipeline.input_pipeline(str(twice), image_shape=(8, 8), validation_fraction=0.5)


def test_a_file_cache_of_other_data_is_never_read(tmp_path):
    for name, tint in (("a", 0), ("b", 100)):
        _image_set(tmp_path / name, 30, tint=tint)
        _prepare(tmp_path / name, tmp_path / f"{name}.tfrecord")
    prefix = str(tmp_path / "cache" / "decoded")

    def images(name, cache):
        data = pipeline.input_pipeline(str(tmp_path / f"{name}.tfrecord"), image_shape=(8, 8),
                                       batch_size=4, validation_fraction=0.25, cache=cache)
        return batches.collect(data.validation)["image"]

    images("a", prefix)  # fills the cache with a's images
    np.testing.assert_array_equal(images("b", prefix), images("b", False))
    np.testing.assert_array_equal(images("a", prefix), images("a", False))


def test_class_folders_numbered_alike_keep_every_class(tmp_path):
    classes = tmp_path / "classes"
    for shade, name in enumerate(("cat", "dog")):
        (classes / name).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (4, 4), (shade * 100, i * 60, 0)).save(classes / name / f"{i}.png")
    (classes / "dogs").symlink_to(classes / "dog")  # the same files under a second name
    out = tmp_path / "c.tfrecord"
    report = importers.prepare(classes, out=out)
    annotations = json.loads(out.with_suffix(".annotations.json").read_text(encoding="utf-8"))
    assert sorted(item["name"] for item in annotations) == [
        "cat/0", "cat/1", "cat/2", "dog/0", "dog/1", "dog/2"]
    assert report.written == 6
    assert sorted(str(issue) for issue in report.issues if issue.kind == "duplicate") == [
        f"duplicate: image 'dogs/{i}.png' is the file 'dog/{i}.png' again; kept the first"
        for i in range(3)]


def test_a_dataset_without_a_categorical_label_gets_its_latent_walk(tmp_path, capsys):
    from acvae.commands import visualise as visualise_command

    rows = [[f"{i:02d}.png", f"item {i}", "same"] for i in range(12)]  # kind: constant
    _image_set(tmp_path / "download", 12, rows=rows)
    _prepare(tmp_path / "download", tmp_path / "d.tfrecord")
    _train(tmp_path / "run", tmp_path / "d.tfrecord")
    capsys.readouterr()
    cli.invoke(visualise_command.main, ["--run_dir", str(tmp_path / "run"),
                                        "--only", "latent_walk,embedding"])
    lines = capsys.readouterr().out.splitlines()
    assert f"wrote {tmp_path / 'run' / 'figures' / 'latent_walk.gif'}" in lines
    assert lines[-1].startswith("note: embedding drew nothing for this run (")


def test_identical_images_fit_a_mixture_of_as_many_components_as_codes(capsys):
    import warnings

    from acvae.models import samplers

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scikit-learn's ConvergenceWarning on the console
        sampler = samplers.GaussianMixtureSampler(n_components=10).fit_codes(np.ones((30, 2)))
    assert len(sampler.weights) == 1
    assert ("note: the training codes hold 1 distinct point(s) (identical images?); the "
            "mixture has 1 component(s), not 3") in capsys.readouterr().out
