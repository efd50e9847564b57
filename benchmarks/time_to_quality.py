"""Time to quality: the wall seconds each config takes to draw as well as the reference.

Trains the reference's experiment (``configs/reference.gin``: its net, loss and plain training,
reproduced in ``plugins/reference.py``) with one and two latent dimensions for
``--reference_epochs`` epochs (300), then each ``--configs`` file, on the same data, seed and
split, and measures after every epoch, on the validation images:

  val MSE   mean squared error per pixel and channel of the reconstructions from the posterior
            mean (as ``evaluate`` measures it: ``acvae.analysis.metrics.reconstruction_mse``)
  chroma    their chroma ratio on opaque pixels (``acvae.analysis.colour``; 1 = colour kept),
            every ``--chroma_every`` epochs

with the wall and CPU seconds since ``train`` was called (the process's start-up is not
counted; building the data and the model is, and is shown apart as "start-up"; the
measuring itself is subtracted). A config is compared with the reference of its code size
(``LATENT_DIM`` 1: the 1D reference; otherwise the 2D one) and its target is the reference's
val MSE after its last epoch. The table gives, per run, the target, the reference's seconds
for all its epochs, the seconds and epoch at which the run first reached the target and that
as a share of the reference's seconds (the target: at most 1/3), the same share in
CPU seconds (less moved by other work on the machine), and the seconds and epoch of the first
chroma >= 0.9. A config stops once it reached both, after ``--max_epochs``, or once its wall
time passes ``--time_cap`` times the reference's. The CPU (``/proc/cpuinfo``: name, bfloat16
and AMX flags, logical CPUs) and the 1-minute load average before, during (the mean of every
epoch's) and after every run are printed and saved with the table in
``OUT/time_to_quality.md`` and ``.json``.

    python benchmarks/time_to_quality.py                     # 400 synthetic villagers
    python benchmarks/time_to_quality.py --data ../shared/data/twemoji --n 400

``--data`` is ``synthetic`` (``--n`` villagers), a TFRecord (``python -m acvae.prepare``), or a
folder with ``labels.csv`` and its images (in ``images/`` or beside it), of which ``--n``
rows chosen at random (seed 0) are prepared once into ``OUT/data``. Runs train in this
process (one after another, so they share the machine alike) into ``OUT/runs/<name>``; a
finished run's measurements are kept in ``OUT/runs/<name>.json`` and reused by a later
benchmark with the same settings, so an interrupted benchmark goes on where it stopped.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import pathlib
import random
import shutil
import time

from absl import flags

import machine  # benchmarks/machine.py: the CPU, the load, the clocks
import quality  # benchmarks/quality.py: the data bindings and its subprocess commands
from acvae.core import cli
from acvae.core.errors import UserError

REPO = pathlib.Path(__file__).resolve().parent.parent
REFERENCE = "configs/reference.gin"
CHROMA = 0.9  # colour kept: the reconstructions' target
TARGET_SHARE = 1 / 3  # the target: at most a third of the reference's wall time

DATA = cli.define(flags.DEFINE_string, "data", "synthetic",
                  "synthetic, a TFRecord, or a folder with labels.csv and its images.")
N = cli.define(flags.DEFINE_integer, "n", 400,
               "Synthetic villagers drawn, or items of a folder chosen at random (seed 0).",
               lower_bound=8)
CONFIGS = cli.define(flags.DEFINE_list, "configs", ["configs/latent1d.gin",
                                                     "configs/latent2d.gin",
                                                     "configs/villagers.gin"],
                     "Config files to time against the reference.")
REFERENCE_EPOCHS = cli.define(flags.DEFINE_integer, "reference_epochs", 300,
                              "Epochs of the reference, whose last val MSE is the target.",
                              lower_bound=1)
MAX_EPOCHS = cli.define(flags.DEFINE_integer, "max_epochs", 300,
                        "A config stops after this many epochs at the latest.", lower_bound=1)
TIME_CAP = cli.define(flags.DEFINE_float, "time_cap", 1.0,
                      "A config stops once its wall time passes this multiple of its "
                      "reference's.", lower_bound=0.0)
CHROMA_EVERY = cli.define(flags.DEFINE_integer, "chroma_every", 1,
                          "Epochs between two chroma measurements.", lower_bound=1)
SEED = cli.define(flags.DEFINE_integer, "seed", 0, "train.seed of every run.")
GIN_FILE = cli.define(flags.DEFINE_multi_string, "gin_file", [],
                      "An extra config file for every run, after its own (e.g. "
                      "configs/test.gin for a smoke run).")
GIN_PARAM = cli.define(flags.DEFINE_multi_string, "gin_param", [],
                       "An extra binding for every run, after the benchmark's own.")
OUT = cli.define(flags.DEFINE_string, "out", None,
                 "Results folder (default: benchmarks/results/time_to_quality/<data>-<n>).")


class _Finished(Exception):
    """Raised by ``Probe`` after the epoch that ends a run: stops ``train`` before its sampler
    fit and final figures, which the benchmark does not time."""


def first_reached(epochs: list[dict], key: str, threshold: float,
                  at_least: bool = False) -> dict | None:
    """The first epoch's row whose ``key`` is at most ``threshold`` (at least, with
    ``at_least``); None if no epoch reached it. Rows where ``key`` is None (not measured
    that epoch) are skipped."""
    for row in epochs:
        value = row.get(key)
        if value is not None and (value >= threshold if at_least else value <= threshold):
            return row
    return None


def validation_scores(model, validation, with_chroma: bool) -> dict[str, float | None]:
    """``val_mse`` and ``chroma`` (None unless ``with_chroma`` and the images have colour) of
    ``model``'s reconstructions of the ``validation`` dataset."""
    from acvae.analysis import colour, metrics
    from acvae.data import batches

    def add(batch: dict) -> dict:
        images = batch["image"]
        rebuilt = model.reconstruct(images, model.condition_of(batch))
        out = {"mse": metrics.reconstruction_mse(images, rebuilt)}
        originals, rebuilt = colour.as_rgba(images), colour.as_rgba(rebuilt)
        if with_chroma and originals is not None:
            out["colour"] = colour.per_image_sums(originals, rebuilt)
        return out

    found = batches.collect(validation, add=add, keep=())
    chroma = colour.from_sums(found["colour"])["chroma_ratio"] if "colour" in found else None
    return {"val_mse": float(found["mse"].mean()),
            "chroma": None if chroma is None or math.isnan(chroma) else chroma}


class Probe:
    """A visualiser that measures every epoch (``validation_scores``) and ends the run.

    ``rows`` get one dict per epoch: ``epoch``, ``seconds`` and ``cpu_seconds`` since
    ``start`` (the probe's own time left out), ``val_mse``, ``chroma`` and the 1-minute
    ``load`` average. ``startup`` is the wall time from ``start`` to the first epoch's start
    (its end less ``history.csv``'s ``seconds`` for it: the first checkpoint counts here).

    Args:
      n_epochs: the run's last epoch.
      mse_target: stop once val MSE is at most this and chroma reached ``CHROMA`` (None: run
        every epoch, as the reference does).
      seconds_cap: stop once the wall time passes this.
      chroma_every: epochs between chroma measurements.
    """

    def __init__(self, n_epochs: int, mse_target: float | None = None,
                 seconds_cap: float = math.inf, chroma_every: int = 1):
        self.n_epochs, self.mse_target = n_epochs, mse_target
        self.seconds_cap, self.chroma_every = seconds_cap, chroma_every
        self.rows, self.startup, self.stopped = [], None, None
        self.start, self._spent = machine.clock(), (0.0, 0.0)

    def __deepcopy__(self, memo):  # gin copies bound values: the rows must stay these
        return self

    def on_epoch_end(self, run, epoch: int) -> None:
        """Measures the epoch; raises ``_Finished`` after the run's last one."""
        now = machine.clock()
        wall, cpu = (now[i] - self.start[i] - self._spent[i] for i in (0, 1))
        if self.startup is None:
            self.startup = wall - run.history[-1]["seconds"]
        scores = validation_scores(run.model, run.data.validation,
                                   epoch % self.chroma_every == 0)
        self.rows.append({"epoch": epoch, "seconds": wall, "cpu_seconds": cpu, **scores,
                          "load": machine.load_average()})
        self._spent = tuple(s + c - n for s, c, n in zip(self._spent, machine.clock(), now))
        self.stopped = self._stop_reason(epoch, wall)
        if self.stopped:
            raise _Finished(self.stopped)

    def _stop_reason(self, epoch: int, wall: float) -> str | None:
        if self.mse_target is not None and first_reached(self.rows, "val_mse", self.mse_target) \
                and first_reached(self.rows, "chroma", CHROMA, at_least=True):
            return "reached both"
        if epoch >= self.n_epochs:
            return f"{epoch} epochs"
        if wall > self.seconds_cap:
            return f"time cap ({wall:.0f} s)"
        return None


def _config_path(name: str) -> pathlib.Path:
    """A config file given relative to the current folder or the repository."""
    for path in (pathlib.Path(name), REPO / name):
        if path.is_file():
            return path.resolve()
    raise UserError(f"no config file {name} (looked in {pathlib.Path.cwd()} and {REPO})")


def _load(config: pathlib.Path, bindings: list[str]) -> None:
    """Loads ``config``, ``--gin_file`` and ``bindings`` into a cleared gin config."""
    import gin

    from acvae.core import config as configs

    gin.clear_config(clear_constants=True)
    configs.load([str(config), *GIN_FILE.value], bindings, finalize=False)


def latent_dim(config: pathlib.Path, bindings: list[str]) -> int:
    """The config's ``LATENT_DIM`` (with ``bindings``)."""
    import gin

    _load(config, bindings)
    try:
        return int(gin.query_parameter("%LATENT_DIM"))
    except ValueError as error:
        raise UserError(f"{config} defines no LATENT_DIM macro") from error


def prepared_subset(folder: pathlib.Path, n: int, out: pathlib.Path) -> pathlib.Path:
    """A TFRecord of ``n`` rows of ``folder/labels.csv`` chosen at random (seed 0), prepared
    once into ``out`` with ``python -m acvae.prepare``."""
    labels = folder / "labels.csv"
    if not labels.is_file():
        raise UserError(f"--data {folder} has no labels.csv")
    tfrecord = out / f"{folder.name}-{n}.tfrecord"
    if tfrecord.is_file():
        return tfrecord
    out.mkdir(parents=True, exist_ok=True)
    with open(labels, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    random.Random(0).shuffle(rows)
    table = out / f"{folder.name}-{n}.csv"
    with open(table, "w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows[:n])
    images = folder / "images" if (folder / "images").is_dir() else folder
    quality._command(["acvae.prepare", str(table), str(images), f"--out={tfrecord}"],
                     out / "prepare.log")
    return tfrecord


def data_bindings(out: pathlib.Path) -> list[str]:
    """Gin bindings for ``--data`` and ``--n``."""
    if DATA.value == "synthetic":
        return quality.data_bindings(f"synthetic:{N.value}")
    path = pathlib.Path(DATA.value)
    if path.is_dir():
        return quality.data_bindings(str(prepared_subset(path, N.value, out / "data")))
    if path.is_file():
        return quality.data_bindings(str(path))
    raise UserError(f"--data {DATA.value!r} is neither synthetic, a file nor a folder")


def measure(name: str, config: pathlib.Path, bindings: list[str], probe: Probe,
            out: pathlib.Path) -> dict:
    """Trains one run afresh in this process with ``probe`` (or reuses the record of a
    finished one with the same settings); returns its record."""
    settings = {"config": str(config.relative_to(REPO) if config.is_relative_to(REPO)
                              else config), "bindings": bindings, "gin_files": GIN_FILE.value,
                "n_epochs": probe.n_epochs, "mse_target": probe.mse_target,
                "seconds_cap": None if math.isinf(probe.seconds_cap) else probe.seconds_cap,
                "chroma_every": probe.chroma_every}
    record_path = out / "runs" / f"{name}.json"
    if record_path.is_file():
        record = json.loads(record_path.read_text())
        if record["settings"] == settings:
            print(f"  {name}: reusing {record_path}", flush=True)
            return record
    import gin

    from acvae.training.loop import train

    run_dir = out / "runs" / name
    shutil.rmtree(run_dir, ignore_errors=True)
    _load(config, [*bindings, "EPOCH_STEP = 1", f"N_EPOCHS = {probe.n_epochs}"])
    gin.bind_parameter("train.visualisers", [probe])
    load_before = machine.load_average()
    with open(out / "runs" / f"{name}.log", "w", encoding="utf-8") as log, \
            contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        probe.start = machine.clock()
        try:
            train(run_dir)
        except _Finished:
            pass
    gin.clear_config(clear_constants=True)
    record = {"settings": settings, "stopped": probe.stopped, "startup_seconds": probe.startup,
              "load_before": load_before, "load_after": machine.load_average(), "epochs": probe.rows}
    record_path.write_text(json.dumps(record, indent=1))
    last = probe.rows[-1]
    print(f"  {name}: {last['epoch']} epochs in {last['seconds']:.0f} s, val MSE "
          f"{last['val_mse']:.4f}, chroma {last['chroma'] or math.nan:.3f} ({probe.stopped}; "
          f"load {load_before:.2f} -> {record['load_after']:.2f})", flush=True)
    return record


def summarise(records: dict[str, dict], references: dict[str, str]) -> list[dict]:
    """A table row per run (the references first): its target (its reference's last val
    MSE), the reference's seconds, when the run first reached the target and chroma >=
    ``CHROMA``, and how long it ran.

    Args:
      records: ``measure``'s record of every run.
      references: each config's reference run (a reference is its own).
    """
    rows = []
    for name, record in records.items():
        reference = records[references.get(name, name)]
        epochs, last = record["epochs"], reference["epochs"][-1]
        reached = first_reached(epochs, "val_mse", last["val_mse"])
        coloured = first_reached(epochs, "chroma", CHROMA, at_least=True)
        steps = [b["seconds"] - a["seconds"] for a, b in zip(epochs, epochs[1:])]
        loads = [row["load"] for row in epochs if row.get("load") is not None]
        rows.append({
            "run": name, "compared_with": references.get(name, name),
            "target_val_mse": last["val_mse"], "reference_epochs": last["epoch"],
            "reference_seconds": last["seconds"], "reference_cpu_seconds": last["cpu_seconds"],
            "epoch_to_target": reached and reached["epoch"],
            "seconds_to_target": reached and reached["seconds"],
            "share_of_reference": reached and reached["seconds"] / last["seconds"],
            "cpu_share_of_reference": reached and reached["cpu_seconds"] / last["cpu_seconds"],
            "epoch_to_chroma": coloured and coloured["epoch"],
            "seconds_to_chroma": coloured and coloured["seconds"],
            "epochs_run": epochs[-1]["epoch"], "seconds_run": epochs[-1]["seconds"],
            "final_val_mse": epochs[-1]["val_mse"],
            "best_chroma": max((row["chroma"] for row in epochs if row["chroma"] is not None),
                               default=None),
            "seconds_per_epoch": sorted(steps)[len(steps) // 2] if steps else None,
            "startup_seconds": record["startup_seconds"], "stopped": record["stopped"],
            "load_before": record["load_before"], "load_after": record["load_after"],
            "load_mean": sum(loads) / len(loads) if loads else None})
    return rows


def _when(seconds: float | None, epoch: int | None, epochs_run: int) -> str:
    """A cell: "12.3 s (epoch 7)", or "not reached in N epochs"."""
    return (f"not reached in {epochs_run} epochs" if seconds is None
            else f"{seconds:.0f} s (epoch {epoch})")


def table(rows: list[dict]) -> str:
    """The rows as a Markdown table."""
    lines = ["| run | compared with | target val MSE | reference: s for its epochs | s to the "
             "target | share of the reference's s | CPU share | s to chroma >= 0.9 | best "
             "chroma | epochs run | s/epoch | start-up s | load: before, mean, after |",
             "| --- | --- |" + " ---: |" * 11]
    for row in rows:
        share, cpu = row["share_of_reference"], row["cpu_share_of_reference"]
        best = row["best_chroma"]
        lines.append(
            f"| {row['run']} | {row['compared_with']} | {row['target_val_mse']:.4f} | "
            f"{row['reference_seconds']:.0f} ({row['reference_epochs']}) | "
            f"{_when(row['seconds_to_target'], row['epoch_to_target'], row['epochs_run'])} | "
            + ("- | - | " if share is None else f"{share:.2f} | {cpu:.2f} | ")
            + f"{_when(row['seconds_to_chroma'], row['epoch_to_chroma'], row['epochs_run'])} | "
            + ("- | " if best is None else f"{best:.3f} | ")
            + f"{row['epochs_run']} | {row['seconds_per_epoch'] or math.nan:.2f} | "
            f"{row['startup_seconds']:.1f} | {row['load_before']:.1f}, "
            f"{row['load_mean'] or math.nan:.1f}, {row['load_after']:.1f} |")
    return "\n".join(lines)


def targets(rows: list[dict], references: dict[str, str]) -> list[str]:
    """Each config against the target: its reference's val MSE in at most a third of
    the reference's wall time."""
    lines = []
    for row in rows:
        if row["run"] not in references:
            continue
        share = row["share_of_reference"]
        met = share is not None and share <= TARGET_SHARE
        measured = (f"not reached in {row['epochs_run']} epochs ({row['seconds_run']:.0f} s)"
                    if share is None else f"reached in {share:.2f} of its wall time (CPU "
                    f"{row['cpu_share_of_reference']:.2f})")
        lines.append(f"{'met    ' if met else 'NOT MET'}  {row['run']}: "
                     f"{row['compared_with']}'s val MSE {row['target_val_mse']:.4f} "
                     f"{measured}; target <= {TARGET_SHARE:.2f}")
    return lines


def _configs() -> dict[str, pathlib.Path]:
    """``--configs`` by name (the file's stem)."""
    configs = {}
    for given in CONFIGS.value:
        path = _config_path(given)
        if path.stem in configs or path.stem.startswith("reference"):
            raise UserError(f"--configs: {given} would be named {path.stem}, which is taken")
        configs[path.stem] = path
    if not configs:
        raise UserError("--configs names no config")
    return configs


def run_all(out: pathlib.Path) -> tuple[dict[str, dict], dict[str, str]]:
    """Measures the references the configs need, then every config; returns the records and
    each config's reference."""
    configs, shared = _configs(), [*data_bindings(out), f"train.seed = {SEED.value}",
                                   *GIN_PARAM.value]
    references = {name: f"reference{1 if latent_dim(path, shared) == 1 else 2}d"
                  for name, path in configs.items()}
    records = {}
    for reference in sorted(set(references.values())):
        records[reference] = measure(
            reference, REPO / REFERENCE, [*shared, f"LATENT_DIM = {reference[-2]}"],
            Probe(REFERENCE_EPOCHS.value, chroma_every=CHROMA_EVERY.value), out)
    for name, path in configs.items():
        last = records[references[name]]["epochs"][-1]
        records[name] = measure(name, path, shared, Probe(
            MAX_EPOCHS.value, last["val_mse"], TIME_CAP.value * last["seconds"],
            CHROMA_EVERY.value), out)
    return records, references


def main(argv: list[str]) -> None:
    """Measures every run, prints the table and writes it as Markdown and JSON."""
    if len(argv) > 1:
        raise UserError(f"unexpected arguments: {' '.join(argv[1:])}")
    data = "synthetic" if DATA.value == "synthetic" else pathlib.Path(DATA.value).stem
    out = pathlib.Path(OUT.value or REPO / "benchmarks" / "results" / "time_to_quality"
                       / f"{data}-{N.value}").resolve()
    (out / "runs").mkdir(parents=True, exist_ok=True)
    started, load = time.perf_counter(), machine.load_average()
    header = (f"Time to quality on {DATA.value} (n {N.value}), seed {SEED.value}: the reference "
              f"{REFERENCE_EPOCHS.value} epochs; a config at most {MAX_EPOCHS.value} epochs or "
              f"{TIME_CAP.value:g}x its reference's wall time; chroma every "
              f"{CHROMA_EVERY.value} epoch(s). Machine: {machine.describe()}.")
    print(f"{header} Load average {load:.2f}; results in {out}", flush=True)
    records, references = run_all(out)
    rows = summarise(records, references)
    lines = [header, "", table(rows), "", *targets(rows, references), "",
             f"Load average (1 min): {load:.2f} before, {machine.load_average():.2f} after; "
             f"{(time.perf_counter() - started) / 60:.1f} minutes in all."]
    print("\n" + "\n".join(lines[2:]), flush=True)
    (out / "time_to_quality.md").write_text("\n".join(lines) + "\n")
    (out / "time_to_quality.json").write_text(json.dumps(
        {"header": lines[0], "machine": machine.describe(), "load_before": load,
         "load_after": machine.load_average(), "settings": {holder.name: holder.value for holder in (
             DATA, N, CONFIGS, REFERENCE_EPOCHS, MAX_EPOCHS, TIME_CAP, CHROMA_EVERY, SEED,
             GIN_FILE, GIN_PARAM)}, "table": rows, "references": references,
         "runs": records}, indent=1))
    print(f"wrote {out / 'time_to_quality.md'} and {out / 'time_to_quality.json'}", flush=True)


if __name__ == "__main__":
    cli.run(main)
