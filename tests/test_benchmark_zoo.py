"""Smoke test for benchmarks/zoo.py: two registered models, one seed, tiny images, end to end."""

import json
import math
import pathlib
import subprocess
import sys

from PIL import Image

REPO = pathlib.Path(__file__).resolve().parent.parent
COLUMNS = ("val MSE", "ELBO", "precision", "recall", "AUC pixels", "AUC texture", "s-chroma",
           "MIG", "DCI D", "DCI C", "DCI I", "SAP", "FactorVAE", "s/epoch")


def test_zoo_writes_a_table_of_every_column_numbers_and_a_strip_per_model(tmp_path):
    out = tmp_path / "zoo"
    command = [sys.executable, str(REPO / "benchmarks" / "zoo.py"), "--models", "vq_vae,vae",
               "--image_size", "16", "--epochs", "1", "--seeds", "1", "--n_images", "24",
               "--samples", "8", "--gin_file=configs/test.gin", "--show", "4",
               "--model_param", "vq_vae:samplers.vq_code_prior.steps = 10", "--out", str(out)]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]

    table = (out / "zoo.md").read_text()
    header = next(line for line in table.splitlines() if line.startswith("| model |"))
    assert [cell.strip() for cell in header.strip("|").split("|")] == ["model", *COLUMNS]
    # the plain VAE comes first, as the baseline the MIG comparison names
    assert table.index("| vae |") < table.index("| vq_vae |")
    assert "- vq_vae: MIG" in table and "vs vae" in table
    assert "`configs/vq_vae.gin`, 16 latent dimensions" in table  # a 2x2 map of 4 channels
    assert "`configs/base.gin`, 4 latent dimensions" in table
    assert "Machine: " in table and "Command: python benchmarks/zoo.py" in table

    results = json.loads((out / "zoo.json").read_text())
    assert list(results["runs"]) == ["vae", "vq_vae"]
    for name, runs in results["runs"].items():
        (row,) = runs
        for column in COLUMNS:
            assert isinstance(row[column], float) and math.isfinite(row[column]), (name, column)
        assert 0.0 <= row["MIG"] <= 1.0 and 0.0 <= row["FactorVAE"] <= 1.0
        assert row["ELBO"] < 0.0 and 0.0 < row["val MSE"] < 1.0
        median, low, high = results["summary"][name]["MIG"]
        assert median == low == high == row["MIG"]  # one seed: no spread
    assert results["models"]["vq_vae"]["objective"].startswith("not the ELBO")
    assert results["models"]["vae"]["objective"] == "the ELBO"
    with Image.open(out / "zoo.png") as picture:  # training images + one strip per model
        assert picture.height > picture.width / 4


def test_zoo_names_the_registered_models_when_given_an_unknown_one(tmp_path):
    command = [sys.executable, str(REPO / "benchmarks" / "zoo.py"), "--models", "vae,nope",
               "--out", str(tmp_path)]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "unknown model(s) nope" in line and "beta_tcvae" in line and "vq_vae" in line
