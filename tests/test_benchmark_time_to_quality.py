"""benchmarks/time_to_quality.py: the time-to-threshold logic on known histories, and the
benchmark end to end on tiny runs (a synthetic set and a folder with labels.csv)."""

import json
import math
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tests import benchmark_scripts

REPO = pathlib.Path(__file__).resolve().parent.parent
COLUMNS = ["run", "compared with", "target val MSE", "reference: s for its epochs",
           "s to the target", "share of the reference's s", "CPU share", "s to chroma >= 0.9",
           "best chroma", "epochs run", "s/epoch", "start-up s", "load: before, mean, after"]


def _benchmark():
    return benchmark_scripts.load("time_to_quality")


def _epochs(mses, chromas, seconds_per_epoch=2.0):
    return [{"epoch": i + 1, "seconds": seconds_per_epoch * (i + 1),
             "cpu_seconds": 1.5 * seconds_per_epoch * (i + 1), "val_mse": mse, "chroma": chroma}
            for i, (mse, chroma) in enumerate(zip(mses, chromas))]


def test_first_reached_finds_the_first_epoch_past_a_threshold_or_none():
    first_reached = _benchmark().first_reached
    epochs = _epochs([0.05, 0.03, 0.02, 0.025, 0.01], [0.5, None, 0.95, 0.8, None])
    assert first_reached(epochs, "val_mse", 0.02)["epoch"] == 3  # at most: equal counts
    assert first_reached(epochs, "val_mse", 0.03)["epoch"] == 2
    assert first_reached(epochs, "val_mse", 0.001) is None  # never reached
    assert first_reached(epochs, "chroma", 0.9, at_least=True)["epoch"] == 3  # None skipped
    assert first_reached(epochs, "chroma", 0.99, at_least=True) is None
    assert first_reached([], "val_mse", 1.0) is None


def test_summarise_compares_each_config_with_its_references_last_epoch():
    benchmark = _benchmark()
    record = lambda epochs: {"epochs": epochs, "startup_seconds": 1.0,  # noqa: E731
                             "stopped": "x", "load_before": 1.0, "load_after": 2.0}
    # the reference dips under its final MSE at epoch 3; ends at 0.02 after 6 epochs (12 s)
    reference = record(_epochs([0.05, 0.04, 0.019, 0.03, 0.025, 0.02], [0.2] * 6))
    fast = record(_epochs([0.03, 0.02, 0.01], [0.5, 0.91, 0.95], seconds_per_epoch=1.0))
    slow = record(_epochs([0.04, 0.03], [0.3, 0.4], seconds_per_epoch=5.0))
    rows = benchmark.summarise({"reference2d": reference, "fast": fast, "slow": slow},
                               {"fast": "reference2d", "slow": "reference2d"})
    by_run = {row["run"]: row for row in rows}
    assert by_run["reference2d"]["epoch_to_target"] == 3
    assert by_run["reference2d"]["share_of_reference"] == pytest.approx(0.5)
    assert by_run["fast"]["target_val_mse"] == 0.02
    assert by_run["fast"]["reference_seconds"] == 12.0
    assert (by_run["fast"]["epoch_to_target"], by_run["fast"]["seconds_to_target"]) == (2, 2.0)
    assert by_run["fast"]["share_of_reference"] == pytest.approx(2.0 / 12.0)
    assert by_run["fast"]["cpu_share_of_reference"] == pytest.approx(3.0 / 18.0)
    assert by_run["fast"]["epoch_to_chroma"] == 2
    assert by_run["slow"]["seconds_to_target"] is None and by_run["slow"]["epochs_run"] == 2
    assert by_run["slow"]["share_of_reference"] is None
    lines = benchmark.targets(rows, {"fast": "reference2d", "slow": "reference2d"})
    assert lines[0].startswith("met    ") and "fast" in lines[0] and "0.17" in lines[0]
    assert lines[1].startswith("NOT MET") and "not reached in 2 epochs (10 s)" in lines[1]
    assert "| slow | reference2d | 0.0200 | 12 (6) | not reached in 2 epochs | - | - |" \
        in benchmark.table(rows)


def test_probe_stops_a_config_once_it_reached_both_or_at_a_cap():
    probe_class = _benchmark().Probe
    probe = probe_class(n_epochs=10, mse_target=0.02, seconds_cap=100.0)
    probe.rows = _epochs([0.03, 0.01], [0.95, 0.5])  # MSE at epoch 2, chroma at epoch 1
    assert probe._stop_reason(2, 4.0) == "reached both"
    probe.rows = _epochs([0.01], [0.5])
    assert probe._stop_reason(1, 2.0) is None
    assert probe._stop_reason(10, 20.0) == "10 epochs"
    assert probe._stop_reason(3, 101.0) == "time cap (101 s)"
    reference = probe_class(n_epochs=10)  # no target: every epoch
    reference.rows = _epochs([0.0], [1.0])
    assert reference._stop_reason(9, 1e9) is None and reference._stop_reason(10, 1.0)


def _run(tmp_path, *args):
    out = tmp_path / "out"
    command = [sys.executable, str(REPO / "benchmarks" / "time_to_quality.py"),
               "--gin_file=configs/test.gin", "--reference_epochs", "2", "--out", str(out),
               *args]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out, result.stdout


def test_the_benchmark_times_each_config_against_the_reference_of_its_code_size(tmp_path):
    settings = ["--n", "24", "--max_epochs", "3", "--time_cap", "1000",
                "--configs", "configs/latent1d.gin,configs/villagers.gin"]
    out, stdout = _run(tmp_path, *settings)
    results = json.loads((out / "time_to_quality.json").read_text())
    assert results["references"] == {"latent1d": "reference1d", "villagers": "reference2d"}
    assert [row["run"] for row in results["table"]] == ["reference1d", "reference2d",
                                                        "latent1d", "villagers"]
    for name, record in results["runs"].items():
        epochs = record["epochs"]
        assert [row["epoch"] for row in epochs] == list(range(1, len(epochs) + 1))
        assert len(epochs) == (2 if name.startswith("reference") else 3), name
        seconds = [row["seconds"] for row in epochs]
        assert 0 < record["startup_seconds"] < seconds[0] and seconds == sorted(seconds)
        for row in epochs:
            assert 0 < row["val_mse"] < 1 and 0 <= row["chroma"] < 2, (name, row)
            assert row["load"] >= 0
    reference = results["runs"]["reference2d"]["epochs"][-1]
    villagers = next(row for row in results["table"] if row["run"] == "villagers")
    assert villagers["target_val_mse"] == reference["val_mse"]
    assert villagers["reference_seconds"] == reference["seconds"]
    table = (out / "time_to_quality.md").read_text()
    header = next(line for line in table.splitlines() if line.startswith("| run |"))
    assert [cell.strip() for cell in header.strip("|").split("|")] == COLUMNS
    assert "Intel" in table or "AMD" in table or "logical CPUs" in table
    assert "Load average (1 min):" in table and "latent1d: reference1d's val MSE" in table
    assert "| villagers | reference2d |" in stdout
    log = (out / "runs" / "villagers.log").read_text()  # training's lines; the probe stops
    assert "epoch 2/3" in log and "finished epoch" not in log  # it before its epoch-3 line

    # a second benchmark with the same settings reuses every run's measurements
    _, again = _run(tmp_path, *settings)
    assert again.count("reusing") == 4


def test_a_folder_is_prepared_once_as_a_random_subset_and_a_time_cap_stops_a_config(tmp_path):
    folder = tmp_path / "art"
    (folder / "images").mkdir(parents=True)
    rows = ["file,kind"]
    for i in range(30):
        pixels = np.full((16, 16, 4), 255, np.uint8)
        pixels[..., :3] = (8 * i, 255 - 8 * i, 100)
        Image.fromarray(pixels).save(folder / "images" / f"item{i}.png")
        rows.append(f"item{i}.png,{'abc'[i % 3]}")
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    out, _ = _run(tmp_path, "--data", str(folder), "--n", "20", "--max_epochs", "5",
                  "--time_cap", "0", "--configs", "configs/latent2d.gin")
    subset = (out / "data" / "art-20.csv").read_text().splitlines()
    assert len(subset) == 21 and subset[1:] != rows[1:21]  # 20 rows, shuffled
    assert (out / "data" / "art-20.tfrecord").is_file()
    (row,) = [row for row in json.loads((out / "time_to_quality.json").read_text())["table"]
              if row["run"] == "latent2d"]
    assert row["epochs_run"] == 1 and row["stopped"].startswith("time cap")
    assert math.isfinite(row["final_val_mse"])
