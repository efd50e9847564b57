"""Quality benchmark: what the shipped configs draw, against the reference, on one dataset.

Trains the reference's experiment (``configs/reference.gin``: its decoder, loss and sampling,
reproduced faithfully) with one and two latent dimensions, and the shipped ``latent1d``,
``latent2d`` and ``villagers`` configs, on the same TFRecord, epochs and split, for several
seeds; evaluates each run with ``acvae.evaluate`` (acvae's configs at their best validation
epoch, as their figures show them; the reference at its last epoch, as it has no other) and
prints, per config, the median and range over seeds of:

  val MSE     mean squared error per pixel and channel of validation reconstructions
  gap         validation MSE - training MSE (overfitting)
  k-NN        5-nearest-neighbour accuracy of the first categorical label from the latent means
  chroma      chroma ratio of validation reconstructions (acvae.colour; 1 = colour kept)
  dE          mean CIE76 colour difference of validation reconstructions (lower is better)
  s-chroma    chroma ratio of generated samples (the config's sampler; the prior for the
              reference)
  memo        memorisation ratio (sample -> train over sample -> validation distance; ~1 good)
  s/epoch     median seconds per training epoch (history.csv; the machine is the one it ran on)

then checks the quality issue's targets, and writes one picture, ``quality.png``: validation
originals, each config's reconstructions and samples, side by side (the first seed).

    python benchmarks/quality.py --data data/twemoji.tfrecord --out benchmarks/results/twemoji
    python benchmarks/quality.py --data synthetic --epochs 300 --seeds 0,1,2

Runs live in ``OUT/runs/<config>-s<seed>`` and are resumed (or reused when finished), so an
interrupted benchmark continues where it stopped. Every run is a real ``python -m acvae.main``
and ``python -m acvae.evaluate`` command.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent

# name: (config file, extra bindings, checkpoint evaluated)
CONFIGS = {
    "reference1d": ("configs/reference.gin", ["LATENT_DIM = 1"], "latest"),
    "reference2d": ("configs/reference.gin", ["LATENT_DIM = 2"], "latest"),
    "latent1d": ("configs/latent1d.gin", [], "best"),
    "latent2d": ("configs/latent2d.gin", [], "best"),
    "villagers": ("configs/villagers.gin", [], "best"),
}
COLUMNS = ("val MSE", "gap", "k-NN", "chroma", "dE", "s-chroma", "memo", "s/epoch")


def _command(args: list[str], log: pathlib.Path) -> None:
    """Runs ``python -m ...`` from the repository root; output goes to ``log``."""
    with open(log, "a", encoding="utf-8") as out:
        result = subprocess.run([sys.executable, "-m", *args], cwd=REPO, stdout=out,
                                stderr=subprocess.STDOUT)
    if result.returncode:
        raise SystemExit(f"error: {' '.join(args[:2])} failed (exit {result.returncode}); "
                         f"see {log}")


def data_bindings(data: str) -> list[str]:
    """Gin bindings for ``--data``: a TFRecord path, or ``synthetic[:N]`` villagers."""
    if data.startswith("synthetic"):
        n = data.partition(":")[2] or "400"
        return ["experiment.dataset = @datasets.synthetic()", f"datasets.synthetic.n = {n}"]
    path = pathlib.Path(data).resolve()
    return [f"TFRECORD = '{path}'", "experiment.dataset = @datasets.tfrecord()"]


def train_and_evaluate(name: str, seed: int, args) -> dict:
    """Trains (or resumes) one run and evaluates it; returns its row of numbers."""
    config, extra, checkpoint = CONFIGS[name]
    run_dir = args.out / "runs" / f"{name}-s{seed}"
    run_dir.mkdir(parents=True, exist_ok=True)
    log = args.out / "runs" / f"{name}-s{seed}.log"
    bindings = [*data_bindings(args.data), *extra, f"N_EPOCHS = {args.epochs}",
                f"train.seed = {seed}", "train.visualisers = []",
                f"input_pipeline.validation_fraction = {args.validation_fraction}",
                *args.gin_param]
    started = time.perf_counter()
    _command(["acvae.main", f"--gin_file={config}", *[f"--gin_file={f}" for f in args.gin_file],
              f"--run_dir={run_dir}", *[f"--gin_param={b}" for b in bindings]], log)
    _command(["acvae.evaluate", f"--run_dir={run_dir}", f"--checkpoint={checkpoint}", "--k=1",
              "--elbo_samples=1", f"--samples={args.samples}", "--seed=0"], log)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    with open(run_dir / "history.csv", encoding="utf-8") as rows:
        seconds = [float(row["seconds"]) for row in csv.DictReader(rows)]
    validation, train = metrics["validation"], metrics["train"]
    samples = metrics["samples"]["sampler"]
    row = {
        "val MSE": validation["mse"],
        "gap": validation["mse"] - train["mse"],
        "k-NN": next(iter(metrics["knn_accuracy"].values()), float("nan")),
        "chroma": validation.get("chroma_ratio", float("nan")),
        "dE": validation.get("delta_e", float("nan")),
        "s-chroma": samples.get("chroma_ratio", float("nan")),
        "memo": samples["memorisation"]["ratio"],
        "s/epoch": statistics.median(seconds),
    }
    print(f"  {name} seed {seed}: " + "  ".join(f"{k} {v:.4g}" for k, v in row.items())
          + f"  ({time.perf_counter() - started:.0f}s)", flush=True)
    return row


def summarise(rows: dict[str, list[dict]]) -> dict[str, dict[str, tuple[float, float, float]]]:
    """Per config and column: (median, min, max) over seeds."""
    return {name: {column: (statistics.median(r[column] for r in runs),
                            min(r[column] for r in runs), max(r[column] for r in runs))
                   for column in COLUMNS}
            for name, runs in rows.items() if runs}


def table(summary) -> str:
    """The summary as a Markdown table (median, range in brackets)."""
    lines = ["| config | " + " | ".join(COLUMNS) + " |",
             "| --- |" + " ---: |" * len(COLUMNS)]
    for name, values in summary.items():
        cells = []
        for column in COLUMNS:
            median, low, high = values[column]
            digits = 4 if column in ("val MSE", "gap") else 3 if column != "s/epoch" else 2
            text = f"{median:.{digits}f}"
            if high > low:
                text += f" ({low:.{digits}f}–{high:.{digits}f})"
            cells.append(text)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets(summary) -> list[str]:
    """The quality issue's targets, each with the measured medians and whether it is met."""
    checks = []

    def check(what: str, value: float, limit: float, at_most: bool) -> None:
        met = value <= limit if at_most else value >= limit
        sign = "<=" if at_most else ">="
        checks.append(f"{'met    ' if met else 'NOT MET'}  {what}: {value:.4g} {sign} {limit:.4g}")

    for dim in ("1d", "2d"):
        ours, ref = summary.get(f"latent{dim}"), summary.get(f"reference{dim}")
        if not (ours and ref):
            continue
        value = lambda s, c: s[c][0]  # noqa: E731  (the median)
        check(f"latent{dim} val MSE vs 0.7 x reference", value(ours, "val MSE"),
              0.7 * value(ref, "val MSE"), True)
        check(f"latent{dim} chroma", value(ours, "chroma"), 0.7 if dim == "1d" else 0.8, False)
        check(f"latent{dim} dE vs 0.85 x reference", value(ours, "dE"), 0.85 * value(ref, "dE"),
              True)
        check(f"latent{dim} k-NN vs reference + 0.15", value(ours, "k-NN"),
              value(ref, "k-NN") + 0.15, False)
        check(f"latent{dim} gap vs half the reference's", value(ours, "gap"),
              0.5 * value(ref, "gap"), True)
    ours, ref = summary.get("villagers"), summary.get("reference2d")
    if ours and ref:
        check("villagers val MSE vs 0.4 x reference2d", ours["val MSE"][0],
              0.4 * ref["val MSE"][0], True)
        check("villagers chroma", ours["chroma"][0], 0.9, False)
        check("villagers dE", ours["dE"][0], 12.0, True)
        check("villagers sample chroma", ours["s-chroma"][0], 0.85, False)
        check("villagers memorisation ratio", ours["memo"][0], 0.9, False)
    return checks


def picture(names: list[str], seed: int, args, n: int = 8) -> pathlib.Path:
    """``quality.png``: validation originals, then each config's reconstructions, then each
    config's samples (the runs of ``seed``)."""
    import gin
    import numpy as np

    from acvae import batches, components, experiment  # noqa: F401  (registers components)
    from acvae.visualise import files, images, plots

    rows, titles = [], []
    originals = None
    for name in names:
        gin.clear_config(clear_constants=True)
        run = experiment.load_run(args.out / "runs" / f"{name}-s{seed}", CONFIGS[name][2])
        if originals is None:
            originals = batches.collect(run.data.validation, limit=n)["image"]
            rows.append(originals)
            titles.append("validation originals")
        rows.append(np.asarray(run.model.reconstruct(originals)))
        titles.append(f"{name}: reconstructions")
        rows.append(np.asarray(run.model.sample(n, seed=0)))
        titles.append(f"{name}: samples")
    gin.clear_config(clear_constants=True)
    fig = plots.new_figure((1.1 * n + 2.4, 1.15 * len(rows)), 100)
    grid = fig.subplots(len(rows), 1)
    for ax, row, title in zip(grid, rows, titles):
        ax.imshow(images.tile(images.to_rgb(row), n, pad=2), interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(title, fontsize=8, loc="left")
    path = args.out / "quality.png"
    files.figure(fig)(str(path))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="synthetic",
                        help="a TFRecord (python -m acvae.prepare), or synthetic[:N]")
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--validation_fraction", type=float, default=0.1,
                        help="the same held-out share for every config")
    parser.add_argument("--samples", type=int, default=200, help="samples for sample metrics")
    parser.add_argument("--gin_file", action="append", default=[],
                        help="an extra config file for every run, after the config's own "
                             "(e.g. configs/test.gin for a smoke run)")
    parser.add_argument("--gin_param", action="append", default=[],
                        help="an extra binding for every run (e.g. IMAGE_SHAPE = (32, 32))")
    parser.add_argument("--out", type=pathlib.Path, default=None,
                        help="results folder (default: benchmarks/results/<data name>)")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    names = [name for name in args.configs.split(",") if name]
    unknown = sorted(set(names) - set(CONFIGS))
    if unknown:
        raise SystemExit(f"error: unknown config(s) {', '.join(unknown)}; valid: "
                         f"{', '.join(CONFIGS)}")
    if args.out is None:
        args.out = REPO / "benchmarks" / "results" / pathlib.Path(args.data.split(":")[0]).stem
    args.out = args.out.resolve()
    (args.out / "runs").mkdir(parents=True, exist_ok=True)
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"quality benchmark on {args.data}: {args.epochs} epochs, seeds {seeds}, "
          f"validation fraction {args.validation_fraction}; results in {args.out}", flush=True)
    rows = {name: [train_and_evaluate(name, seed, args) for seed in seeds] for name in names}
    summary = summarise(rows)
    report = [table(summary), "", *targets(summary)]
    print("\n" + "\n".join(report), flush=True)
    (args.out / "results.json").write_text(json.dumps({"args": {k: str(v) for k, v in
                                                                vars(args).items()},
                                                       "runs": rows}, indent=1))
    (args.out / "results.md").write_text("\n".join(report) + "\n")
    print(f"wrote {picture(names, seeds[0], args)}", flush=True)


if __name__ == "__main__":
    main()
