"""Tests for ``python -m acvae show-sample``: a labelled grid from a TFRecord, and its errors."""

import os
import subprocess
import sys

import matplotlib
import numpy as np
import pytest
from PIL import Image

from acvae.commands import show_sample
from acvae.data import images, tfrecord
from acvae.data.errors import DataError, MissingData
from acvae.data.schema import Schema
from acvae.data.synthetic import records as villager_records
from tests.conftest import REPO, without_tf_log

# villagers_tfrecord: the session fixture of tests/conftest.py (24 synthetic villagers)


def run_cli(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "acvae", "show-sample", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120, cwd=REPO)


def test_writes_a_labelled_grid(villagers_tfrecord, tmp_path):
    out = tmp_path / "figures" / "sample.png"
    result = run_cli(villagers_tfrecord, "--n", "5", "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote 5 images to {out}\n"
    with Image.open(out) as image:
        assert image.format == "PNG" and image.width > image.height > 100
    assert [p.name for p in out.parent.iterdir()] == ["sample.png"]


def test_read_sample_labels_and_white_compositing(villagers_tfrecord):
    schema, everyone = show_sample.read_sample(str(villagers_tfrecord), n=1000)
    assert len(everyone) == 24 and schema.columns == ("name",) + villager_records.FACTORS
    _, sample = show_sample.read_sample(str(villagers_tfrecord), n=8, shuffle=24, seed=1)
    assert len(sample) == 8
    assert [s["name"] for s in sample] != [s["name"] for s in everyone[:8]]
    assert {s["name"] for s in sample} <= {s["name"] for s in everyone}
    first = sample[0]
    assert first["image"].shape == (200, 170, 4)
    name, labels = show_sample.title(first, schema).split("\n", 1)
    assert name == first["name"]
    assert labels.startswith(f"{first['species']}, {first['personality']}, {first['gender']}")
    assert first["fur_hue"] == f"{float(first['fur_hue']):.3g}"  # a continuous label, as text
    white = images.composite_on_white(first["image"])
    np.testing.assert_allclose(white[0, 0], 1.0)  # a transparent corner becomes white


def test_text_with_dollar_signs_is_drawn_literally(tmp_path):
    rows = [{"name": f"$\\frac{{{i}$", "price": ("$5", "$x^$")[i % 2]} for i in range(8)]
    written = Schema.infer("name", {key: [row[key] for row in rows] for key in rows[0]})
    path = tmp_path / "dollars.tfrecord"
    writer = tfrecord.ShardedWriter(path)
    for row in rows:
        writer.write(tfrecord.serialize_example(images.png_bytes(np.zeros((4, 4), np.uint8)), row,
                                                written))
    writer.commit()
    schema, sample = show_sample.read_sample(str(path), n=8)
    assert [record["name"] for record in sample] == [row["name"] for row in rows]
    out = show_sample.save_grid(sample, schema, tmp_path / "dollars.png")
    assert out.is_file()
    figure = matplotlib.pyplot.figure()  # the same text with mathtext on does fail to draw
    figure.suptitle(sample[0]["name"])
    with pytest.raises(ValueError):
        figure.canvas.draw()
    matplotlib.pyplot.close(figure)


def test_errors_are_one_line(villagers_tfrecord, tmp_path):
    (tmp_path / "junk.tfrecord").write_bytes(b"definitely not a tfrecord")
    with pytest.raises(MissingData, match="no TFRecord at"):
        show_sample.read_sample(str(tmp_path / "missing.tfrecord"))
    with pytest.raises(DataError, match="is not a TFRecord written by acvae.prepare"):
        show_sample.read_sample(str(tmp_path / "junk.tfrecord"))
    result = run_cli(villagers_tfrecord, "--n", "0", "--out", tmp_path / "x.png")
    assert result.returncode == 2  # a flag mistake, as absl's own flag errors
    assert without_tf_log(result.stderr).startswith("error: flag --n=0: ")
    assert len(without_tf_log(result.stderr).splitlines()) == 1
    assert not (tmp_path / "x.png").exists()
    assert "--shuffle" in run_cli("--help").stdout
