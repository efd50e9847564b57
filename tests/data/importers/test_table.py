"""Tests for acvae.data.importers.table: an image folder + a CSV or JSON label table."""

import csv
import json

import pytest

from acvae.data import pipeline
from acvae.data.errors import DataError, MissingData
from acvae.data.importers import table
from layout_fixtures import AWKWARD, read_rows, table_rows
from villager_fixtures import rgba_image


def test_the_report_names_every_row_and_file_left_out(emoji_table, tmp_path):
    csv_path, images_dir = emoji_table
    out = tmp_path / "out" / "emoji.tfrecord"
    report = table.prepare(csv_path, images_dir, out)
    lines = report.lines()
    assert lines[0] == (f"wrote 24 images to {out} "
                        f"(annotations: {tmp_path / 'out' / 'emoji.annotations.json'})")
    assert lines[1] == ("identifier name; labels: category (categorical, 3 values), "
                        "subcategory (categorical, 6 values)")
    assert lines[4].startswith("unreadable: image 'broken.png' skipped: ")
    assert lines[2:4] + lines[5:] == [
        "no image: line 27 'lonely' has no image missing.png",
        "no row: image 'stray.png' matches no row in labels.csv",
        "duplicate: 2 in all",
        "duplicate: line 29 'emoji 3 again' names image '0003.png' of line 6; kept the first",
        "duplicate: name 'emoji 8' on line 30 repeats line 11; kept the first (left out 0007.png)",
        "incomplete: line 31 'no subcategory' lacks subcategory",
        "ignored: 'notes.txt' is not an image file",
    ]


def test_text_round_trips_intact_and_images_of_any_format_are_read(emoji_table, tmp_path):
    csv_path, images_dir = emoji_table
    out = tmp_path / "emoji.tfrecord"
    table.prepare(csv_path, images_dir, out)
    schema, rows = read_rows(out)
    assert schema.columns == ("name", "category", "subcategory")
    expected = [{"name": n, "category": c, "subcategory": s} for _, n, c, s in table_rows()]
    assert rows == expected  # table order; sub/photo.jpg and the JPEG named .png included
    assert [row["name"] for row in rows[:len(AWKWARD)]] == list(AWKWARD)
    notes = json.loads((tmp_path / "emoji.annotations.json").read_text(encoding="utf-8"))
    assert notes == expected
    data = pipeline.input_pipeline(str(out), image_shape=(8, 8))
    names = {n.decode() for batch in data.validation.concatenate(data.train_eval)
             for n in batch["name"].numpy()}
    assert names == {row["name"] for row in expected}


def test_json_table_with_numbers_and_nested_values(tmp_path):
    images_dir = tmp_path / "images"
    images_dir.mkdir()
    records = []
    for i in range(6):
        rgba_image().save(images_dir / f"{i}.png")
        records.append({"image": f"{i}.png", "size": i % 2, "ok": i % 3 == 0, "score": 0.5,
                        "tags": ["x"]})
    records.append("not an object")
    (tmp_path / "t.json").write_text(json.dumps(records))
    report = table.prepare(tmp_path / "t.json", images_dir, tmp_path / "t.tfrecord")
    schema, rows = read_rows(tmp_path / "t.tfrecord")
    assert schema.columns == ("name", "size", "ok", "score")
    assert rows[0] == {"name": "0", "size": "0", "ok": "true", "score": "0.5"}
    assert [str(issue) for issue in report.issues] == [
        "incomplete: record #6 is a str, not an object",
        "ignored: column 'tags' holds lists or objects, not text",
        "not categorical: label 'score' has one value ('0.5') in all 6 images; kept as text, "
        "not coloured or probed",
    ]


def test_id_labels_and_image_column_flags(emoji_table, tmp_path):
    csv_path, images_dir = emoji_table
    table.prepare(csv_path, images_dir, tmp_path / "a.tfrecord", id_column="file",
                  labels=["subcategory"])
    schema, rows = read_rows(tmp_path / "a.tfrecord")
    assert schema.columns == ("file", "subcategory") and rows[0]["file"] == "0000.png"
    rewritten = tmp_path / "other.csv"
    text = csv_path.read_text(encoding="utf-8").replace("file,name", "picture,title", 1)
    rewritten.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="no column naming the image files .* --image_column"):
        table.prepare(rewritten, images_dir, tmp_path / "b.tfrecord")
    table.prepare(rewritten, images_dir, tmp_path / "b.tfrecord", image_column="picture")
    schema, rows = read_rows(tmp_path / "b.tfrecord")
    assert schema.columns == ("name", "title", "category", "subcategory")
    assert rows[10]["name"] == "000a"  # no name column: the file stem is the identifier


@pytest.mark.parametrize("kwargs, message", [
    ({"image_column": "picture"}, "has no column 'picture' (--image_column); its columns: file, "
                                  "name, category, subcategory"),
    ({"id_column": "title"}, "has no column 'title' (--id)"),
    ({"labels": ["colour"]}, "has no column 'colour' (--labels)"),
    ({"labels": ["file"]}, "--labels names 'file', the image column"),
])
def test_a_missing_named_column_is_one_line(kwargs, message, emoji_table, tmp_path):
    csv_path, images_dir = emoji_table
    with pytest.raises(DataError) as error:
        table.prepare(csv_path, images_dir, tmp_path / "x.tfrecord", **kwargs)
    assert message in str(error.value) and "\n" not in str(error.value)
    assert not list(tmp_path.glob("x.*"))


@pytest.mark.parametrize("content, message", [
    ("", "is empty: a label table needs a header row"),
    ("file,name\n", "has no rows"),
    ("file,name\n\n\n", "has no rows"),
    ("file,name,file\na.png,a,b\n", "column 'file' appears twice"),
    ("file,image\na.png,a\n", "column 'image' clashes"),
    ("file,name\nmissing.png,a\n", "no row of .* matched a readable image"),
    ("file,name,kind\na.png,a,\n", "lacks kind; keep fewer labels with --labels"),
])
def test_bad_tables_are_one_line_and_write_nothing(content, message, tmp_path):
    (tmp_path / "images").mkdir()
    rgba_image().save(tmp_path / "images" / "a.png")
    (tmp_path / "t.csv").write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message) as error:
        table.prepare(tmp_path / "t.csv", tmp_path / "images", tmp_path / "out" / "t.tfrecord")
    assert "\n" not in str(error.value)
    assert not (tmp_path / "out").exists()


def test_constant_and_identifier_like_labels_are_kept_as_text_and_reported(tmp_path):
    (tmp_path / "images").mkdir()
    with (tmp_path / "t.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "name", "licence", "serial", "kind"])
        for i in range(24):
            rgba_image().save(tmp_path / "images" / f"{i}.png")
            writer.writerow([f"{i}.png", f"n{i}", "CC-BY", f"s{i}", "ab"[i % 2]])
    report = table.prepare(tmp_path / "t.csv", tmp_path / "images", tmp_path / "t.tfrecord")
    assert report.lines()[1:] == [
        "identifier name; labels: licence (constant, 1 value), serial (identifier, 24 values), "
        "kind (categorical, 2 values)",
        "not categorical: 2 in all",
        "not categorical: label 'licence' has one value ('CC-BY') in all 24 images; kept as text, "
        "not coloured or probed",
        "not categorical: label 'serial' has 24 different values in 24 images, like an "
        "identifier; kept as text, not coloured or probed",
    ]
    schema, rows = read_rows(tmp_path / "t.tfrecord")
    assert [label.name for label in schema.categorical] == ["kind"] and rows[3]["serial"] == "s3"


def test_missing_inputs(emoji_table, tmp_path):
    csv_path, images_dir = emoji_table
    with pytest.raises(MissingData, match="no label table at"):
        table.prepare(tmp_path / "nope.csv", images_dir, tmp_path / "x.tfrecord")
    with pytest.raises(MissingData, match="no images folder at"):
        table.prepare(csv_path, tmp_path / "nope", tmp_path / "x.tfrecord")
    (tmp_path / "latin1.csv").write_bytes("file,name\na.png,Ren\xe9e\n".encode("latin-1"))
    with pytest.raises(DataError, match="is not UTF-8 text"):
        table.prepare(tmp_path / "latin1.csv", images_dir, tmp_path / "x.tfrecord")


def test_a_complete_row_is_kept_over_an_earlier_incomplete_one(tmp_path):
    (tmp_path / "images").mkdir()
    for name in ("a", "b"):
        rgba_image().save(tmp_path / "images" / f"{name}.png")
    (tmp_path / "t.csv").write_text("file,name,kind\na.png,x,\nb.png,x,cat\na.png,y,dog\n")
    report = table.prepare(tmp_path / "t.csv", tmp_path / "images", tmp_path / "t.tfrecord")
    assert [str(issue) for issue in report.issues] == [
        "incomplete: line 2 'x' lacks kind; kept line 3"]
    _, rows = read_rows(tmp_path / "t.tfrecord")
    assert rows == [{"name": "x", "kind": "cat"}, {"name": "y", "kind": "dog"}]
