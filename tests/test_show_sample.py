"""Tests for ``python -m acvae.show_sample``: a labelled grid from a TFRecord, and its errors."""

import numpy as np
import pytest
from PIL import Image

from acvae import show_sample

# villagers_tfrecord: the session fixture of tests/conftest.py (24 synthetic villagers)


def test_writes_a_labelled_grid(villagers_tfrecord, tmp_path, capsys):
    out = tmp_path / "figures" / "sample.png"
    assert show_sample.main([str(villagers_tfrecord), "--n", "5", "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote 5 villagers to {out}\n"
    with Image.open(out) as image:
        assert image.format == "PNG" and image.width > image.height > 100
    assert [p.name for p in out.parent.iterdir()] == ["sample.png"]


def test_read_sample_labels_and_white_compositing(villagers_tfrecord):
    everyone = show_sample.read_sample(str(villagers_tfrecord), n=1000)
    assert len(everyone) == 24
    sample = show_sample.read_sample(str(villagers_tfrecord), n=8, shuffle=24, seed=1)
    assert len(sample) == 8
    assert [s["name"] for s in sample] != [s["name"] for s in everyone[:8]]
    assert {s["name"] for s in sample} <= {s["name"] for s in everyone}
    first = sample[0]
    assert first["image"].shape == (200, 170, 4)
    assert show_sample.title(first) == (
        f"{first['name']}\n{first['gender']}, {first['personality']}, {first['species']}")
    white = show_sample.images.composite_on_white(first["image"])
    np.testing.assert_allclose(white[0, 0], 1.0)  # a transparent corner becomes white


def test_errors_are_one_line(tmp_path):
    (tmp_path / "junk.tfrecord").write_bytes(b"definitely not a tfrecord")
    cases = [([str(tmp_path / "missing.tfrecord")], "error: no TFRecord at"),
             ([str(tmp_path / "junk.tfrecord")], "is not a villager TFRecord"),
             ([str(tmp_path / "junk.tfrecord"), "--n", "0"], "error: --n must be at least 1")]
    for args, message in cases:
        with pytest.raises(SystemExit) as exit_info:
            show_sample.main(args + ["--out", str(tmp_path / "x.png")])
        assert message in str(exit_info.value.code) and "\n" not in str(exit_info.value.code)
    assert not (tmp_path / "x.png").exists()
