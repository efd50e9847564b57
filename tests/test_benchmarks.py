"""Smoke test for benchmarks/quality.py: tiny runs end to end, table, targets and picture."""

import json
import pathlib
import subprocess
import sys

from PIL import Image

REPO = pathlib.Path(__file__).resolve().parent.parent


def test_quality_benchmark_writes_its_table_and_picture_for_the_seeds_given(tmp_path):
    out = tmp_path / "results"
    command = [sys.executable, str(REPO / "benchmarks" / "quality.py"), "--data", "synthetic:24",
               "--epochs", "2", "--seeds", "1", "--configs", "reference2d,villagers",
               "--validation_fraction", "0.25", "--samples", "8", "--out", str(out),
               "--gin_file=configs/test.gin", "--sample_quality", "fast",
               "--samplers", "gaussian_mixture"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]

    table = (out / "results.md").read_text()
    for name in ("reference2d", "villagers"):
        assert f"| {name} |" in table
        assert (out / "runs" / f"{name}-s1" / "metrics.json").is_file()
    assert "villagers val MSE vs 0.4 x reference2d" in table  # the targets are checked
    assert "villagers sample precision" in table and "texture-only two-sample AUC" in table
    # the sample metrics: a line per config and set; the mixture compared with the reference's
    # prior, and the villagers' own mixture once
    assert "| reference2d | gaussian_mixture |" in table
    assert "| villagers | sampler (gaussian_mixture) |" in table
    assert "| villagers | gaussian_mixture |" not in table
    runs = json.loads((out / "results.json").read_text())["runs"]
    row = runs["villagers"][0]
    assert set(row) == {"val MSE", "gap", "k-NN", "chroma", "dE", "s-chroma", "memo", "s/epoch",
                        "sampler", "samples"}
    assert 0.0 < row["val MSE"] < 1.0 and row["chroma"] >= 0.0
    assert list(row["samples"]) == ["prior", "sampler", "held_out_reconstructions", "held_out"]
    assert row["samples"]["sampler"]["memo"] == row["memo"]
    assert 0.0 <= row["samples"]["held_out"]["AUC pixels"] <= 1.0
    with Image.open(out / "quality.png") as picture:  # originals + 2 rows per config
        assert picture.height > picture.width / 8
