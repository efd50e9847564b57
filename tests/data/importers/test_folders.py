"""Tests for acvae.data.importers.folders: one sub-folder per class."""

import pytest

from acvae.data.errors import DataError, MissingData
from acvae.data.importers import folders
from layout_fixtures import read_rows
from villager_fixtures import rgba_image


def test_class_folders_report_and_schema(class_folders, tmp_path):
    out = tmp_path / "out" / "classes.tfrecord"
    report = folders.prepare(class_folders, out)
    assert report.lines() == [
        f"wrote 25 images to {out} (annotations: {tmp_path / 'out' / 'classes.annotations.json'})",
        "identifier name; labels: class (categorical, 3 values)",
        "ignored: 4 in all",
        "ignored: cat/kittens/ is a folder inside the class folder 'cat'; class folders are one "
        "level deep",
        "ignored: class folder 'empty' holds no images",
        "ignored: 'frog €/readme.md' is not an image file",
        "ignored: 'top.png' is not in a class folder (classes/<class>/<image>)",
    ]
    schema, rows = read_rows(out)
    assert schema.columns == ("name", "class")
    assert rows[0] == {"name": "cat/cat0", "class": "cat"}  # its stem is in dog/ too
    assert {"name": "dog/cat0", "class": "dog"} in rows
    assert rows[-1] == {"name": "fro7", "class": "frog €"}


def test_class_column_name(class_folders, tmp_path):
    folders.prepare(class_folders, tmp_path / "c.tfrecord", class_column="animal")
    schema, _ = read_rows(tmp_path / "c.tfrecord")
    assert schema.columns == ("name", "animal")
    with pytest.raises(DataError, match="--class_column must be a name other than 'name'"):
        folders.prepare(class_folders, tmp_path / "d.tfrecord", class_column="name")


def test_nested_class_folders_are_one_line_with_a_hint(tmp_path):
    root = tmp_path / "download"
    for label in ("cat", "dog"):
        (root / "train" / label).mkdir(parents=True)
        rgba_image().save(root / "train" / label / "1.png")
    with pytest.raises(DataError) as error:
        folders.prepare(root, tmp_path / "x.tfrecord")
    assert str(error.value) == (
        f"no images in class folders under {root}: images must be in {root}/<class>/<image>; "
        f"the class folders may be one level down (nested: train/cat/): try {root / 'train'}")
    with pytest.raises(MissingData, match="no folder of class folders at"):
        folders.prepare(tmp_path / "nowhere", tmp_path / "x.tfrecord")
    assert not list(tmp_path.glob("x.*"))
