"""Tests for the ``python -m acvae.prepare`` command: report, exit codes, one-line errors."""

import json
import os
import subprocess
import sys

import pytest

from acvae import prepare
from acvae.data import synthetic


def run_cli(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "acvae.prepare", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def download(tmp_path):
    json_path = synthetic.generate(tmp_path / "kaggle", n=5, seed=3)
    (tmp_path / "kaggle" / "images" / "notes.txt").write_text("hello")
    return json_path, tmp_path / "kaggle" / "images"


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
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {tmp_path / 'v.json'} is not valid JSON: Expecting ',' delimiter "
                      "at line 1 column 6"]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "v.tfrecord").exists()


@pytest.mark.parametrize("case, message", [
    ("not_a_list", "holds a JSON dict, not the expected list of villagers"),
    ("no_folder", "no images folder at"),
    ("no_json", "no villager JSON file at"),
    ("nothing_matches", "no villager matched an image (5 records, 0 PNGs"),
    ("bad_shards", "--shards must be at least 1"),
])
def test_main_errors_are_one_line(case, message, download, tmp_path):
    json_path, images_dir = download
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "dict.json").write_text(json.dumps({"name": "Bob"}))
    args = {
        "not_a_list": [tmp_path / "dict.json", images_dir],
        "no_folder": [json_path, tmp_path / "missing"],
        "no_json": [tmp_path / "missing.json", images_dir],
        "nothing_matches": [json_path, empty],
        "bad_shards": [json_path, images_dir, "--shards", "0"],
    }[case]
    with pytest.raises(SystemExit) as exit_info:
        prepare.main([str(arg) for arg in args] + ["--out", str(tmp_path / "v.tfrecord")])
    text = str(exit_info.value.code)
    assert text.startswith("error: ") and message in text and "\n" not in text
    assert not (tmp_path / "v.tfrecord").exists()


def test_main_shards(download, tmp_path, capsys):
    json_path, images_dir = download
    assert prepare.main([str(json_path), str(images_dir), "--out", str(tmp_path / "v.tfrecord"),
                         "--shards", "2"]) == 0
    assert capsys.readouterr().out.startswith("wrote 5 villagers to ")
    assert sorted(p.name for p in tmp_path.glob("v.tfrecord*")) == [
        "v.tfrecord-00000-of-00002", "v.tfrecord-00001-of-00002"]
