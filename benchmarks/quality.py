"""Quality benchmark: what the shipped configs draw, against the reference, on one dataset.

Trains the reference's experiment (``configs/reference.gin``: its decoder, loss and sampling,
reproduced faithfully) with one and two latent dimensions, and the shipped ``latent1d``,
``latent2d`` and ``villagers`` configs, on the same TFRecord, epochs and split, for several
seeds; evaluates each run with ``acvae.commands.evaluate`` (acvae's configs at their best validation
epoch, as their figures show them; the reference at its last epoch, as it has no other) and
prints, per config, the median and range over seeds of:

  val MSE     mean squared error per pixel and channel of validation reconstructions
  gap         validation MSE - training MSE (overfitting)
  k-NN        5-nearest-neighbour accuracy of the first categorical label from the latent means
  chroma      chroma ratio of validation reconstructions (acvae.analysis.colour; 1 = colour kept)
  dE          mean CIE76 colour difference of validation reconstructions (lower is better)
  s-chroma    chroma ratio of generated samples (the config's sampler; the prior for the
              reference)
  memo        memorisation ratio (median distance of a sample to the nearest training image
              over that of a validation image; ~1 or above: no copies)
  s/epoch     median seconds per training epoch (history.csv; the machine is the one it ran on)

then, unless ``--sample_quality=off``, the sample metrics of ``acvae.commands.evaluate`` (its
``sample_quality``) per config and image set, with the same medians and ranges: classifier
two-sample AUCs (CNN, linear on pixels, texture statistics only; 0.5 = indistinguishable from
training images), precision, recall and KID x 1000 in a feature space learned on the training
images, sample chroma and memorisation, for the prior, the config's own sampler, each sampler
``--samplers`` names (fitted to every run's training codes by ``evaluate``), the held-out
reconstructions and the held-out real images; then checks the quality issues' targets, and
writes one picture, ``quality.png``: validation originals, each config's reconstructions and
samples, side by side (the first seed).

    python benchmarks/quality.py --data data/twemoji.tfrecord --out benchmarks/results/twemoji
    python benchmarks/quality.py --data synthetic --epochs 300 --seeds 0,1,2 \
        --samplers gaussian_mixture,latent_diffusion

Runs live in ``OUT/runs/<config>-s<seed>`` and are resumed (or reused when finished), so an
interrupted benchmark continues where it stopped. Every run is a real ``python -m acvae.main``
and ``python -m acvae evaluate`` command.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
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
# sample-metric columns: (name, path into a set of evaluate's sample_quality, scale)
SAMPLE_COLUMNS = (("AUC CNN", ("c2st_cnn", "auc"), 1.0),
                  ("AUC pixels", ("c2st_linear", "auc"), 1.0),
                  ("AUC texture", ("c2st_texture", "auc"), 1.0),
                  ("precision", ("precision",), 1.0), ("recall", ("recall",), 1.0),
                  ("KID x1000", ("kid", "mean"), 1000.0),
                  ("s-chroma", ("chroma_ratio",), 1.0), ("memo", ("memorisation", "ratio"), 1.0))
SAMPLE_SETS = {"sampler": "sampler", "held_out_reconstructions": "held-out recon.",
               "held_out": "held-out real"}


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
    compared = ", ".join(f"@samplers.{name}()" for name in args.samplers.split(",") if name)
    settings = [binding for binding in args.gin_param if binding.startswith("samplers.")]
    _command(["acvae.commands.evaluate", f"--run_dir={run_dir}", f"--checkpoint={checkpoint}", "--k=1",
              "--elbo_samples=1", f"--samples={args.samples}", "--seed=0",
              f"--sample_quality={args.sample_quality}",
              f"--gin_param=evaluate.compare_samplers = [{compared}]",
              *[f"--gin_param={binding}" for binding in settings]], log)
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
    if "sample_quality" in metrics:
        row["sampler"] = metrics["sample_quality"]["sampler"]
        row["samples"] = sample_row(metrics["sample_quality"])
    return row


def sample_row(quality: dict) -> dict[str, dict[str, float]]:
    """{set: {column: value}} of one run's ``sample_quality`` (NaN where a set has no such
    metric); the run's own sampler is the set ``sampler``."""
    def value(scores: dict, path: tuple[str, ...], scale: float) -> float:
        for key in path:
            scores = scores.get(key, {}) if isinstance(scores, dict) else {}
        return scores * scale if isinstance(scores, (int, float)) else float("nan")

    return {name: {column: value(scores, path, scale) for column, path, scale in SAMPLE_COLUMNS}
            for name, scores in quality["sets"].items()}


def _spread(values) -> tuple[float, float, float]:
    """(median, min, max) of the values that are numbers; NaN when none is."""
    numbers = [value for value in values if not math.isnan(value)]
    if not numbers:
        return math.nan, math.nan, math.nan
    return statistics.median(numbers), min(numbers), max(numbers)


def summarise(rows: dict[str, list[dict]]) -> dict[str, dict[str, tuple[float, float, float]]]:
    """Per config and column: (median, min, max) over seeds."""
    return {name: {column: _spread(r[column] for r in runs) for column in COLUMNS}
            for name, runs in rows.items() if runs}


def summarise_samples(rows: dict[str, list[dict]]) -> dict[str, dict[str, dict]]:
    """Per config, image set (``sample_row``'s) and sample column: (median, min, max) over
    the seeds whose runs scored that set."""
    summary = {}
    for name, runs in rows.items():
        runs = [run for run in runs if "samples" in run]
        sets = dict.fromkeys(key for run in runs for key in run["samples"])
        summary[name] = {key: {column: _spread(run["samples"][key][column] for run in runs
                                               if key in run["samples"])
                               for column, _, _ in SAMPLE_COLUMNS} for key in sets}
    return {name: sets for name, sets in summary.items() if sets}


def _text(spread: tuple[float, float, float], digits: int) -> str:
    """A table cell: the median, then the range in brackets when the seeds differ."""
    median, low, high = spread
    if math.isnan(median):
        return "-"
    return f"{median:.{digits}f}" + (f" ({low:.{digits}f}–{high:.{digits}f})" if high > low
                                      else "")


def table(summary) -> str:
    """The summary as a Markdown table (median, range in brackets)."""
    lines = ["| config | " + " | ".join(COLUMNS) + " |",
             "| --- |" + " ---: |" * len(COLUMNS)]
    for name, values in summary.items():
        cells = [_text(values[column], 4 if column in ("val MSE", "gap")
                       else 3 if column != "s/epoch" else 2) for column in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def sample_table(summary, rows: dict[str, list[dict]]) -> str:
    """``summarise_samples`` as a Markdown table: a line per config and image set (the
    config's own sampler named in brackets), median and range over seeds."""
    names = [column for column, _, _ in SAMPLE_COLUMNS]
    lines = ["| config | set | " + " | ".join(names) + " |",
             "| --- | --- |" + " ---: |" * len(names)]
    for name, sets in summary.items():
        own = next(run["sampler"] for run in rows[name] if "sampler" in run)
        for key, values in sets.items():
            title = f"sampler ({own})" if key == "sampler" else SAMPLE_SETS.get(key, key)
            lines.append(f"| {name} | {title} | "
                         + " | ".join(_text(values[column], 3) for column in names) + " |")
    return "\n".join(lines)


def targets(summary, samples=None) -> list[str]:
    """The quality issues' targets, each with the measured medians and whether it is met
    (the sample targets with ``summarise_samples``'s ``samples``)."""
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
    sets = (samples or {}).get("villagers", {})
    sampler, rebuilt = sets.get("sampler"), sets.get("held_out_reconstructions")
    if sampler and rebuilt:  # samples that look like the art (issue 28)
        if not math.isnan(sampler["AUC CNN"][0]):  # not measured with --sample_quality=fast
            check("villagers samples' CNN two-sample AUC vs held-out reconstructions' + 0.05",
                  sampler["AUC CNN"][0], rebuilt["AUC CNN"][0] + 0.05, True)
        check("villagers sample precision", sampler["precision"][0], 0.7, False)
        check("villagers sample recall", sampler["recall"][0], 0.5, False)
        check("villagers sample chroma (issue 28)", sampler["s-chroma"][0], 0.9, False)
        check("villagers reconstructions' texture-only two-sample AUC (no speckle)",
              rebuilt["AUC texture"][0], 0.8, True)
    return checks


def picture(names: list[str], seed: int, args, n: int = 8) -> pathlib.Path:
    """``quality.png``: validation originals, then each config's reconstructions, then each
    config's samples (the runs of ``seed``)."""
    import gin
    import numpy as np

    from acvae.data import batches
    from acvae.runs import experiment
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
    parser.add_argument("--samplers", default="",
                        help="registered samplers to fit to every run and compare with its "
                             "own and the prior, comma-separated (e.g. "
                             "gaussian_mixture,latent_diffusion; --gin_param bindings of "
                             "samplers.* configure them)")
    parser.add_argument("--sample_quality", choices=("full", "fast", "off"), default="full",
                        help="evaluate's sample metrics: all, all but the CNN two-sample test, "
                             "or none")
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
    summary, samples = summarise(rows), summarise_samples(rows)
    report = [table(summary), ""]
    if samples:
        report += [sample_table(samples, rows), ""]
    report += targets(summary, samples)
    print("\n" + "\n".join(report), flush=True)
    (args.out / "results.json").write_text(json.dumps({"args": {k: str(v) for k, v in
                                                                vars(args).items()},
                                                       "runs": rows}, indent=1))
    (args.out / "results.md").write_text("\n".join(report) + "\n")
    print(f"wrote {picture(names, seeds[0], args)}", flush=True)


if __name__ == "__main__":
    main()
