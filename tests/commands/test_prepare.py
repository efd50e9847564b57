"""Tests for the ``python -m acvae.prepare`` command: the report of each layout, exit codes,
one-line errors, and its flags."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from acvae.core.errors import UserError
from acvae.data import importers, synthetic
from tests.conftest import REPO, without_tf_log


def run_cli(*args, cwd=REPO):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "acvae.prepare", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120, cwd=cwd)


def error_line(result):
    """The whole stderr of a failed run: one ``error:`` line."""
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = without_tf_log(result.stderr).splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture
def download(tmp_path):
    json_path = synthetic.generate(tmp_path / "kaggle", n=5, seed=3)
    (tmp_path / "kaggle" / "images" / "notes.txt").write_text("hello")
    return json_path, tmp_path / "kaggle" / "images"


def square(path, colour):
    pixels = np.zeros((6, 6, 4), np.uint8)
    pixels[1:5, 1:5] = (*colour, 255)
    Image.fromarray(pixels).save(path)


def test_cli_success_prints_the_report(download, tmp_path):
    json_path, images_dir = download
    out = tmp_path / "data" / "villagers.tfrecord"
    result = run_cli(json_path, images_dir, "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"wrote 5 villagers to {out} (annotations: {out.with_suffix('.annotations.json')})",
        "ignored: 'notes.txt' is not a .png file",
    ]
    assert "Traceback" not in result.stderr


def test_cli_failure_is_one_line_without_traceback(tmp_path):
    (tmp_path / "v.json").write_text("[1, 2")
    result = run_cli(tmp_path / "v.json", tmp_path, "--out", tmp_path / "v.tfrecord")
    assert error_line(result) == (f"error: {tmp_path / 'v.json'} is not valid JSON: Expecting ',' "
                                  "delimiter at line 1 column 6")
    assert not (tmp_path / "v.tfrecord").exists()


@pytest.mark.parametrize("case, message", [
    ("not_a_list", "holds a JSON dict, not the expected list of villagers"),
    ("no_folder", "no images folder at"),
    ("no_json", "no villager JSON file at"),
    ("nothing_matches", "no villager matched an image (5 records, 0 PNGs"),
])
def test_errors_are_one_line(case, message, download, tmp_path):
    json_path, images_dir = download
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "dict.json").write_text(json.dumps({"name": "Bob"}))
    args = {
        "not_a_list": [tmp_path / "dict.json", images_dir],
        "no_folder": [json_path, tmp_path / "missing"],
        "no_json": [tmp_path / "missing.json", images_dir],
        "nothing_matches": [json_path, empty],
    }[case]
    with pytest.raises(UserError) as error:
        importers.prepare(*args, out=tmp_path / "v.tfrecord")
    assert message in str(error.value) and "\n" not in str(error.value)
    assert not (tmp_path / "v.tfrecord").exists()


def test_flag_mistakes_are_one_line_before_any_work(download, tmp_path):
    json_path, images_dir = download
    out = tmp_path / "v.tfrecord"
    result = run_cli(json_path, images_dir, "--shards", "0", "--out", out)
    assert result.returncode != 0 and "Traceback" not in result.stderr  # the flag's own bound
    assert "--shards=0: 0 is not a positive integer" in result.stderr
    assert error_line(run_cli("--out", out)).startswith("error: give SOURCE [IMAGES_DIR]")
    assert not out.exists()  # flags of the wrong layout and bad --out: tests/data/importers


def test_table_layout_with_flags(tmp_path):
    (tmp_path / "pics").mkdir()
    rows = ["picture,title,colour,shade"]
    for i in range(24):
        square(tmp_path / "pics" / f"p{i}.png", (10 * i, 0, 0))
        rows.append(f'p{i}.png,"pic, {i}",{("red", "blue")[i % 2]},s{i}')
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run_cli(tmp_path / "labels.csv", tmp_path / "pics", "--image_column", "picture",
                     "--id", "title", "--labels", "colour", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "data" / f"{tmp_path.name}.tfrecord"
    assert result.stdout.splitlines() == [
        f"wrote 24 images to {out.relative_to(tmp_path)} "
        f"(annotations: {out.with_suffix('.annotations.json').relative_to(tmp_path)})",
        "identifier title; labels: colour (categorical, 2 values)",
    ]
    notes = json.loads(out.with_suffix(".annotations.json").read_text(encoding="utf-8"))
    assert notes[1] == {"title": "pic, 1", "colour": "blue"}


def test_folders_layout_and_shards(tmp_path):
    for c, label in enumerate(("cat", "dog")):
        (tmp_path / "classes" / label).mkdir(parents=True)
        for i in range(3):
            square(tmp_path / "classes" / label / f"{label}{i}.png", (100 * c, 0, 0))
    out = tmp_path / "c.tfrecord"
    result = run_cli(tmp_path / "classes", "--out", out, "--shards", "2", "--class_column",
                     "animal")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"wrote 6 images to {out}-00000-of-00002, {out}-00001-of-00002 "
        f"(annotations: {tmp_path / 'c.annotations.json'})",
        "identifier name; labels: animal (categorical, 2 values)",
    ]


def test_help_lists_the_flags():
    result = run_cli("--help")
    for flag in ("--out", "--shards", "--layout", "--image_column", "--id", "--labels",
                 "--class_column", "--[no]traceback"):
        assert flag in result.stdout
