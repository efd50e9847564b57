"""Tests for acvae.data.importers: recognising the layout, refusing an --out that would overwrite
the input, all-or-nothing writes on a full disk, byte-identical output, and a split by identifier
that does not depend on the layout."""

import errno
import json
import shutil

import pytest
import tensorflow as tf

from acvae.data import importers, pipeline, synthetic, tfrecord
from acvae.data.errors import DataError, WriteError
from acvae.data.importers import kaggle
from villager_fixtures import record, rgba_image


@pytest.fixture
def villagers(tmp_path):
    json_path = synthetic.generate(tmp_path / "kaggle", n=6, seed=1)
    return json_path, json_path.parent / "images"


def test_the_layout_is_recognised_from_the_arguments(villagers, emoji_table, class_folders,
                                                     tmp_path):
    json_path, images_dir = villagers
    assert importers.recognise(json_path, images_dir)[0] == "kaggle"
    assert importers.recognise(emoji_table[0], emoji_table[1]) == ("table", None)
    assert importers.recognise(class_folders, None) == ("folders", None)
    rows = [{"file": "a.png", **record("a")}]
    (tmp_path / "rows.json").write_text(json.dumps(rows))
    assert importers.recognise(tmp_path / "rows.json", images_dir) == ("table", rows)
    with pytest.raises(DataError, match="give the images folder too"):
        importers.recognise(emoji_table[0], None)
    with pytest.raises(DataError, match="the first argument is the label table or JSON"):
        importers.recognise(class_folders, images_dir)


def test_prepare_picks_the_layout_and_checks_its_options(villagers, class_folders, tmp_path):
    json_path, images_dir = villagers
    report = importers.prepare(json_path, images_dir, tmp_path / "v.tfrecord")
    assert report.noun == "villager" and report.written == 6
    report = importers.prepare(json_path, images_dir, tmp_path / "f.tfrecord",
                               labels=["pattern", "fur_hue"])
    assert [label.kind() for label in report.schema.labels] == ["categorical", "continuous"]
    with pytest.raises(DataError, match=r"labels does not apply to the folders layout \(it "
                                        r"takes: class_column\)"):
        importers.prepare(class_folders, labels=["a"], out=tmp_path / "c.tfrecord")
    with pytest.raises(DataError, match="the folders layout takes one folder"):
        importers.prepare(class_folders, images_dir, layout="folders", out=tmp_path / "c.tfrecord")
    with pytest.raises(DataError, match="the table layout needs the images folder"):
        importers.prepare(json_path, layout="table", out=tmp_path / "c.tfrecord")
    with pytest.raises(DataError, match="unknown layout 'csv'; valid layouts: kaggle, table"):
        importers.prepare(json_path, images_dir, layout="csv")
    with pytest.raises(DataError, match="no row of .* matched a readable image"):  # a table now
        importers.prepare(json_path, images_dir, out=tmp_path / "t.tfrecord", layout="table",
                          image_column="name")


def test_default_out_is_named_after_the_data():
    assert str(importers.default_out("kaggle", "x/v.json")) == "data/villagers.tfrecord"
    assert str(importers.default_out("table", "/d/twemoji/labels.csv")) == "data/twemoji.tfrecord"
    assert str(importers.default_out("folders", "/d/pets")) == "data/pets.tfrecord"


def _out_cases(villagers, emoji_table, class_folders):
    json_path, images_dir = villagers
    csv_path, table_images = emoji_table
    first_image = sorted(images_dir.iterdir())[0]
    return {
        "the JSON": ((json_path, images_dir), json_path, "would overwrite the input"),
        "the JSON as annotations": ((json_path, images_dir), json_path.with_suffix(".tfrecord"),
                                    "would overwrite the input"),
        "the table": ((csv_path, table_images), csv_path, "would overwrite the input"),
        "an image": ((json_path, images_dir), first_image, "is inside the images folder"),
        "inside the images": ((csv_path, table_images), table_images / "sub" / "x.tfrecord",
                              "is inside the images folder"),
        "inside a class": ((class_folders,), class_folders / "cat" / "x.tfrecord",
                           "is inside the images folder"),
        "a folder": ((json_path, images_dir), images_dir.parent, "is a folder"),
    }


@pytest.mark.parametrize("case", ["the JSON", "the JSON as annotations", "the table", "an image",
                                  "inside the images", "inside a class", "a folder"])
def test_an_out_that_would_overwrite_the_input_is_refused_before_writing(
    case, villagers, emoji_table, class_folders, tmp_path
):
    if case == "the JSON as annotations":  # v.tfrecord -> v.annotations.json == the input
        shutil.move(villagers[0], villagers[0].with_name("villagers.annotations.json"))
        villagers = (villagers[0].with_name("villagers.annotations.json"), villagers[1])
        args, out, message = (villagers, villagers[0].with_name("villagers.tfrecord"),
                              "would overwrite the input")
    else:
        args, out, message = _out_cases(villagers, emoji_table, class_folders)[case]
    before = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    with pytest.raises(DataError, match=message) as error:
        importers.prepare(*args, out=out)
    assert "\n" not in str(error.value)
    after = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    assert after == before


def test_deeply_nested_json_is_one_line(tmp_path, villagers):
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    for layout in ("kaggle", "table", None):
        with pytest.raises(DataError, match="nests lists or objects too deeply to read") as error:
            importers.prepare(tmp_path / "deep.json", villagers[1], tmp_path / "x.tfrecord",
                              layout=layout)
        assert "\n" not in str(error.value)


@pytest.mark.parametrize("layout", ["kaggle", "table", "folders"])
def test_output_is_byte_identical_for_identical_input(layout, villagers, emoji_table,
                                                      class_folders, tmp_path):
    args = {"kaggle": villagers, "table": emoji_table, "folders": (class_folders,)}[layout]
    outputs = []
    for name in ("a", "b"):
        report = importers.prepare(*args, out=tmp_path / name / "d.tfrecord", shards=2)
        outputs.append([path.read_bytes() for path in report.files + [report.annotations]])
    assert outputs[0] == outputs[1]


def _full_disk_write(self, serialized):
    raise OSError(errno.ENOSPC, "No space left on device")


def _full_disk_commit(self):
    raise tf.errors.ResourceExhaustedError(None, None, "v.tfrecord.tmp; No space left on device")


@pytest.mark.parametrize("target, fake", [("write", _full_disk_write),
                                          ("commit", _full_disk_commit)])
def test_a_full_disk_is_one_line_and_leaves_the_old_dataset(target, fake, villagers, tmp_path,
                                                            monkeypatch):
    out = tmp_path / "data" / "v.tfrecord"
    importers.prepare(*villagers, out=out)
    before = sorted((path.name, path.read_bytes()) for path in out.parent.iterdir())
    monkeypatch.setattr(tfrecord.ShardedWriter, target, fake)
    with pytest.raises(WriteError) as error:
        importers.prepare(*villagers, out=out, shards=2)
    assert str(error.value) == f"cannot write {out}: disk full; nothing was written"
    assert sorted((path.name, path.read_bytes()) for path in out.parent.iterdir()) == before


def _validation_ids(out):
    data = pipeline.input_pipeline(str(out), image_shape=(4, 4), validation_fraction=0.5)
    return sorted(n.decode() for batch in data.validation for n in batch[data.schema.id].numpy())


def test_the_split_hashes_the_identifier_whatever_the_layout(tmp_path):
    names = [f"Item{i}" for i in range(30)]
    (tmp_path / "images").mkdir()
    (tmp_path / "classes" / "a").mkdir(parents=True)
    (tmp_path / "classes" / "b").mkdir(parents=True)
    for i, name in enumerate(names):
        rgba_image().save(tmp_path / "images" / f"{name}.png")
        rgba_image().save(tmp_path / "classes" / "ab"[i % 2] / f"{name}.png")
    (tmp_path / "villagers.json").write_text(json.dumps([record(name) for name in names]))
    (tmp_path / "labels.csv").write_text(
        "file,kind\n" + "".join(f"{name}.png,{i % 3}\n" for i, name in enumerate(reversed(names))))
    imports = {
        "kaggle": (tmp_path / "villagers.json", tmp_path / "images"),
        "table": (tmp_path / "labels.csv", tmp_path / "images"),
        "folders": (tmp_path / "classes",),
    }
    validation = {}
    for layout, args in imports.items():
        out = tmp_path / f"{layout}.tfrecord"
        importers.prepare(*args, out=out)
        validation[layout] = _validation_ids(out)
    assert validation["kaggle"] == validation["table"] == validation["folders"]
    assert 5 < len(validation["kaggle"]) < 25
    assert kaggle.ID == "name"
