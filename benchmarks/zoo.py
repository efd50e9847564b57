"""Model zoo benchmark: every registered VAE variant on the synthetic villagers, side by side.

Finds the registered models (``acvae.core.registry``, after importing every module of ``plugins/``),
leaves out the reference's (``reference_vae``: another encoder, decoder and loss; the quality
benchmark compares it), and trains each from its shipped config (``configs/<plugin>.gin`` for
a plugin's model, ``configs/base.gin`` for the builder's default ``vae``, the config every
zoo config includes) with what a fair comparison holds fixed overridden for all alike: the
same synthetic villagers (``--n_images``, data seed 0), image size, encoder and decoder (the
configs' shared ``encoders.conv`` / ``decoders.conv``), latent size (``--latent_dim``; a
config whose code has a latent map, the VQ-VAE's, keeps its global part and channels per cell,
so its size follows the map's cells at ``--image_size``), epochs and seeds. Each run is
a real ``python -m acvae.main`` and ``python -m acvae evaluate`` (at its ``--checkpoint``), and
the benchmark prints, per model, the median over seeds and the range in brackets of:

  val MSE      reconstruction MSE per pixel and channel on the validation split
  ELBO         -(reconstruction + KL) per validation image in nats, evaluated alike for every
               model; for a model trained on another objective it is that model's ELBO, not
               its objective (the notes under the table say which models those are)
  precision, recall, AUC pixels, AUC texture, s-chroma
               ``acvae.analysis.sample_quality`` of the model's own sampler (``--sample_quality
               fast``: no CNN two-sample test; ``full`` adds it to the second table)
  MIG, DCI D/C/I, SAP, FactorVAE
               ``acvae.analysis.disentanglement`` of every item's posterior mean against the
               painter's factors (FactorVAE: accuracy, chance = 1 / factors)
  s/epoch      median seconds per training epoch

then the sample metrics of every image set (``benchmarks/quality.py``'s table), each model's
MIG against the plain VAE's, and writes ``OUT/zoo.json``, ``OUT/zoo.md`` and ``OUT/zoo.png``:
one traversal strip per model (the first seed), of the dimension that best predicts
``--traverse_factor`` (default: the factor the model's code holds best, by its MIG).

    python benchmarks/zoo.py --out benchmarks/results/zoo
    python benchmarks/zoo.py --models vae,beta_tcvae,factor_vae --image_size 32 --epochs 30 \\
        --seeds 0,1,2 --out /tmp/zoo

Runs live in ``OUT/runs/<model>-s<seed>`` and are resumed (or reused when finished), so an
interrupted benchmark continues where it stopped.
"""

from __future__ import annotations

import csv
import dataclasses
import importlib
import inspect
import json
import os
import pathlib
import platform
import shlex
import statistics
import sys
import time

from absl import flags

import quality  # benchmarks/quality.py: commands, data bindings, table cells, sample table
import samplers as sampler_benchmark  # benchmarks/samplers.py: the rows-of-images picture
from acvae.core import cli
from acvae.core.errors import UserError

REPO = pathlib.Path(__file__).resolve().parent.parent
REFERENCE_MODEL = "reference_vae"  # the reference's experiment: benchmarks/quality.py
BASE_CONFIG = "configs/base.gin"
SAMPLE_COLUMNS = ("precision", "recall", "AUC pixels", "AUC texture", "s-chroma")
SCORE_COLUMNS = ("MIG", "DCI D", "DCI C", "DCI I", "SAP", "FactorVAE")
COLUMNS = ("val MSE", "ELBO", *SAMPLE_COLUMNS, *SCORE_COLUMNS, "s/epoch")
DIGITS = {"val MSE": 4, "ELBO": 1, "s/epoch": 2}

MODELS = cli.define(flags.DEFINE_list, "models", [],
                    "Registered models to compare (default: every one but the reference's).")
EPOCHS = cli.define(flags.DEFINE_integer, "epochs", 30, "Training epochs of every run.",
                    lower_bound=1)
SEEDS = cli.define(flags.DEFINE_list, "seeds", ["0", "1", "2"], "Training seeds of every model.")
IMAGE_SIZE = cli.define(flags.DEFINE_integer, "image_size", 32,
                        "Images are image_size x image_size (a multiple of 8).", lower_bound=8)
N_IMAGES = cli.define(flags.DEFINE_integer, "n_images", 400, "Synthetic villagers drawn.",
                      lower_bound=24)
LATENT_DIM = cli.define(flags.DEFINE_integer, "latent_dim", 4,
                        "Latent dimensions of every model whose code is not a latent map "
                        "(3 or more: the traversals are per dimension).", lower_bound=3)
SAMPLES = cli.define(flags.DEFINE_integer, "samples", 200, "Samples for the sample metrics.",
                     lower_bound=2)
QUALITY = cli.define(flags.DEFINE_enum, "sample_quality", "fast", ["fast", "full"],
                     "evaluate's sample metrics: all but the CNN two-sample test, or all.")
CHECKPOINT = cli.define(flags.DEFINE_enum, "checkpoint", "latest", ["latest", "best"],
                        "Checkpoint evaluated: the last epoch (the same budget for every "
                        "model) or the best validation epoch.")
TRAVERSE = cli.define(flags.DEFINE_string, "traverse_factor", None,
                      "The factor whose best dimension each model's strip traverses (default: "
                      "the factor of the model's highest MIG).")
SHOW = cli.define(flags.DEFINE_integer, "show", 9, "Decodes per traversal strip.",
                  lower_bound=2)
GIN_FILE = cli.define(flags.DEFINE_multi_string, "gin_file", [],
                      "An extra config file for every run, after the model's own (e.g. "
                      "configs/test.gin for a smoke run).")
GIN_PARAM = cli.define(flags.DEFINE_multi_string, "gin_param", [],
                       "An extra binding for every run, after the zoo's own.")
MODEL_PARAM = cli.define(flags.DEFINE_multi_string, "model_param", [],
                         "An extra binding for one model's runs, as MODEL:BINDING (e.g. "
                         "'vq_vae:samplers.vq_code_prior.steps = 500'); repeatable.")
OUT = cli.define(flags.DEFINE_string, "out", str(REPO / "benchmarks" / "results" / "zoo"),
                 "Results folder (runs, zoo.json, zoo.md, zoo.png).")


@dataclasses.dataclass(frozen=True)
class Entry:
    """One model of the zoo: its shipped config, its ``LATENT_DIM`` and what it trains."""

    config: str
    latent_dim: int
    objective: str


def registered_models() -> dict[str, type]:
    """{name: class} of every registered model, after importing every plugin module."""
    from acvae.core import plugin_files, registry

    for path in sorted(plugin_files.PROJECT_PLUGINS.glob("*.py")):
        if path.stem != "__init__":
            importlib.import_module(f"plugins.{path.stem}")
    return {name: registry.get("models", name) for name in registry.names("models")}


def shipped_config(cls: type) -> str:
    """A model's shipped config: ``configs/<plugin>.gin`` for a plugin's, ``base.gin`` for
    the builder's default model."""
    from acvae.models import build_vae

    if cls is inspect.signature(build_vae).parameters["model"].default:
        return BASE_CONFIG
    return f"configs/{cls.__module__.rpartition('.')[2]}.gin"


def _bound(name: str, default):
    """The value gin binds to ``name`` (a macro's value for a macro), or ``default``."""
    import gin

    try:
        value = gin.query_parameter(name)
    except ValueError:
        return default
    is_macro = (isinstance(value, gin.config.ConfigurableReference)
                and value.configurable.selector == "gin.macro")
    return value.scoped_configurable_fn() if is_macro else value


def zoo_latent_dim(config: str, name: str) -> int:
    """``LATENT_DIM`` of model ``name`` in the zoo, the global code: ``--latent_dim``, or, for a
    code with a latent map (the VQ-VAE's, all map), the shipped config's, beside a map that
    follows ``--image_size`` (``build_vae``). Checks that ``config`` binds ``name``."""
    import gin

    gin.clear_config(clear_constants=True)
    try:
        gin.parse_config_files_and_bindings([config], [])
        selector = getattr(getattr(_bound("build_vae.model", None), "configurable", None),
                           "selector", None)
        if config != BASE_CONFIG and selector != f"models.{name}":
            raise UserError(f"{config} does not bind build_vae.model = @models.{name}")
        return _bound("%LATENT_DIM", 0) if _bound("build_vae.map_channels", 0) \
            else LATENT_DIM.value
    finally:
        gin.clear_config(clear_constants=True)


def objective(cls: type) -> str:
    """What a model trains: "the ELBO", or its own objective (the hooks it overrides and the
    first line of its docstring)."""
    from acvae.core import registry
    from acvae.models import VAE

    own = [hook for hook in ("loss_terms", "objective")
           if getattr(cls, hook) is not getattr(VAE, hook)]
    if not own:
        return "the ELBO"
    return f"not the ELBO ({' and '.join(own)} overridden): {registry.describe(cls)}"


def discover(chosen: list[str]) -> dict[str, Entry]:
    """The zoo: {model: Entry} of the ``chosen`` registered models, or every one but the
    reference's."""
    found = registered_models()
    names = chosen or [name for name in found if name != REFERENCE_MODEL]
    unknown = [name for name in names if name not in found]
    if unknown:
        raise UserError(f"unknown model(s) {', '.join(unknown)}; registered: "
                        f"{', '.join(found)}")
    zoo = {}
    for name in sorted(names, key=lambda name: shipped_config(found[name]) != BASE_CONFIG):
        config = shipped_config(found[name])
        if not (REPO / config).is_file():
            raise UserError(f"model {name} ships no config {config}")
        zoo[name] = Entry(config, zoo_latent_dim(config, name), objective(found[name]))
    return zoo


def baseline(zoo: dict[str, Entry]) -> str | None:
    """The zoo's plain VAE (the model of ``base.gin``), if it is in the zoo."""
    return next((name for name, entry in zoo.items() if entry.config == BASE_CONFIG), None)


def model_params(zoo: dict[str, Entry]) -> dict[str, list[str]]:
    """``--model_param`` as {model: [binding, ...]}, for models of the zoo."""
    params = {name: [] for name in zoo}
    for param in MODEL_PARAM.value:
        name, _, binding = (part.strip() for part in param.partition(":"))
        if name not in zoo or not binding:
            raise UserError(f"--model_param {param!r} is not MODEL:BINDING for a model of the "
                            f"zoo ({', '.join(zoo)})")
        params[name].append(binding)
    return params


def bindings(entry: Entry, seed: int, extra: list[str]) -> list[str]:
    """The gin bindings of a run of ``entry`` with ``seed``: the zoo's shared ones, then
    ``--gin_param``, then the model's ``extra`` ones."""
    size = IMAGE_SIZE.value
    return [*quality.data_bindings(f"synthetic:{N_IMAGES.value}"),
            f"IMAGE_SHAPE = ({size}, {size})", f"LATENT_DIM = {entry.latent_dim}",
            f"N_EPOCHS = {EPOCHS.value}", f"train.seed = {seed}", "train.visualisers = []",
            *GIN_PARAM.value, *extra]


def train_and_evaluate(name: str, entry: Entry, seed: int, extra: list[str],
                       out: pathlib.Path) -> dict:
    """Trains (or resumes) one run, evaluates it and returns its row (``COLUMNS``, plus the
    own sampler's name and ``quality.sample_row`` of every image set)."""
    run_dir, log = out / "runs" / f"{name}-s{seed}", out / "runs" / f"{name}-s{seed}.log"
    run_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    quality._command(["acvae.main", f"--gin_file={entry.config}",
                      *[f"--gin_file={f}" for f in GIN_FILE.value], f"--run_dir={run_dir}",
                      *[f"--gin_param={b}" for b in bindings(entry, seed, extra)]], log)
    quality._command(["acvae.commands.evaluate", f"--run_dir={run_dir}",
                      f"--checkpoint={CHECKPOINT.value}", "--k=1", "--elbo_samples=1",
                      f"--samples={SAMPLES.value}", "--seed=0",
                      f"--sample_quality={QUALITY.value}"], log)
    row = metrics_row(json.loads((run_dir / "metrics.json").read_text()))
    with open(run_dir / "history.csv", encoding="utf-8") as rows:
        row["s/epoch"] = statistics.median(float(r["seconds"]) for r in csv.DictReader(rows))
    print(f"  {name} seed {seed}: " + "  ".join(f"{c} {row[c]:.4g}" for c in COLUMNS)
          + f"  ({time.perf_counter() - started:.0f}s)", flush=True)
    return row


def metrics_row(metrics: dict) -> dict:
    """One run's numbers from its ``metrics.json`` (NaN for a score it lacks)."""
    nan = float("nan")
    scores = metrics.get("disentanglement", {})
    dci = scores.get("dci", {})
    sets = quality.sample_row(metrics["sample_quality"])
    own = sets["sampler" if "sampler" in sets else "prior"]
    return {"val MSE": metrics["validation"]["mse"], "ELBO": metrics["validation"]["elbo"],
            **{column: own[column] for column in SAMPLE_COLUMNS},
            "MIG": scores.get("mig", nan), "DCI D": dci.get("disentanglement", nan),
            "DCI C": dci.get("completeness", nan), "DCI I": dci.get("informativeness", nan),
            "SAP": scores.get("sap", nan), "FactorVAE": scores.get("factor_vae", nan),
            "factor_vae_chance": scores.get("factor_vae_chance", nan),
            "per_factor": scores.get("per_factor", {}), "latent_dim": metrics["latent_dim"],
            "sampler": metrics["sample_quality"]["sampler"], "samples": sets}


def summarise(rows: dict[str, list[dict]]) -> dict[str, dict[str, tuple[float, float, float]]]:
    """Per model and column: (median, min, max) over seeds."""
    return {name: {column: quality._spread([run[column] for run in runs])
                   for column in COLUMNS} for name, runs in rows.items()}


def table(summary) -> str:
    """The summary as a Markdown table (median, range over seeds in brackets)."""
    lines = ["| model | " + " | ".join(COLUMNS) + " |", "| --- |" + " ---: |" * len(COLUMNS)]
    for name, values in summary.items():
        cells = [quality._text(values[column], DIGITS.get(column, 3)) for column in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def notes(zoo: dict[str, Entry], rows: dict[str, list[dict]]) -> list[str]:
    """A line per model: its config, latent size, sampler and what it trains."""
    return [f"- {name}: `{entry.config}`, {rows[name][0]['latent_dim']} latent dimensions, "
            f"samples from "
            f"{rows[name][0]['sampler']}; trains {entry.objective}"
            for name, entry in zoo.items()]


def against_baseline(summary, plain: str | None) -> list[str]:
    """Each model's median MIG against the plain VAE's, and whether the seeds' ranges
    overlap."""
    if plain is None or plain not in summary:
        return []
    ref, low_ref, high_ref = summary[plain]["MIG"]
    lines = []
    for name, values in summary.items():
        if name == plain:
            continue
        median, low, high = values["MIG"]
        verdict = "higher" if median > ref else "not higher"
        overlap = "ranges overlap" if low <= high_ref and low_ref <= high else "ranges apart"
        lines.append(f"- {name}: MIG {median:.4f} vs {plain} {ref:.4f}: {verdict} "
                     f"({overlap})")
    return lines


def strip(run, per_factor: dict, factor: str | None, n: int) -> tuple[str, object]:
    """(label, decoded images [n, H, W, C]): the traversal (``latent_traversals.png``'s span
    and centre) of the dimension that best predicts ``factor``, or the factor of the highest
    MIG."""
    from acvae.visualise import latents
    from acvae.visualise.latent_traversals import LatentTraversals

    factor = factor or max(per_factor, key=lambda name: per_factor[name]["mig"])
    dim = per_factor[factor]["best_dimension"]
    offsets, center, _ = LatentTraversals(n=n).points(run)
    z, _ = latents.latent_grid(run.model.latent_dim, offsets, center, [dim])
    return (f"{factor} along z{dim + 1} (its MIG {per_factor[factor]['mig']:.2f})",
            latents.decode(run.model, z))


def picture(zoo: dict[str, Entry], rows: dict[str, list[dict]], seed: int,
            out: pathlib.Path) -> pathlib.Path:
    """``zoo.png``: training images, then one traversal strip per model (runs of ``seed``)."""
    import gin

    from acvae.data import batches
    from acvae.runs import experiment

    strips, originals = {}, None
    for name in zoo:
        gin.clear_config(clear_constants=True)
        run = experiment.load_run(out / "runs" / f"{name}-s{seed}", CHECKPOINT.value,
                                  fit_sampler=False)
        if originals is None:
            originals = batches.collect(run.data.train_eval, limit=SHOW.value)["image"]
        label, images = strip(run, rows[name][0]["per_factor"], TRAVERSE.value, SHOW.value)
        strips[f"{name}: {label}"] = images
    gin.clear_config(clear_constants=True)
    path = out / "zoo.png"
    sampler_benchmark.picture(strips, originals, SHOW.value, path,
                              f"each model's traversal of one dimension (seed {seed}, "
                              f"{CHECKPOINT.value} checkpoint)")
    return path


def machine() -> str:
    """The CPU the numbers were measured on: its name, logical CPUs and vector extensions."""
    cpuinfo = pathlib.Path("/proc/cpuinfo")
    text = cpuinfo.read_text() if cpuinfo.is_file() else ""
    name = next((line.partition(":")[2].strip() for line in text.splitlines()
                 if line.startswith("model name")), platform.processor() or platform.machine())
    flags_line = next((line for line in text.splitlines() if line.startswith("flags")), "")
    extensions = [flag for flag in ("avx2", "avx512f", "avx512_bf16", "amx_tile")
                  if f" {flag}" in flags_line]
    return (f"{name}, {os.cpu_count()} logical CPUs"
            + (f" ({', '.join(extensions)})" if extensions else ""))


def report(zoo, rows, summary, seeds: list[int]) -> list[str]:
    """The Markdown report: settings, the table, the models, the sample table, the MIG
    comparison."""
    size, plain = IMAGE_SIZE.value, baseline(zoo)
    chance = statistics.median(row["factor_vae_chance"] for runs in rows.values()
                               for row in runs)
    return [
        f"{N_IMAGES.value} synthetic villagers at {size}x{size}, {EPOCHS.value} epochs, seeds "
        f"{', '.join(map(str, seeds))}, {CHECKPOINT.value} checkpoint; median over seeds, "
        "range in brackets. Sample columns: the model's own sampler "
        f"({SAMPLES.value} samples); FactorVAE score chance {chance:.3f}.", "",
        table(summary), "", "Models:", *notes(zoo, rows), "",
        "Sample metrics of every image set:", "",
        quality.sample_table(quality.summarise_samples(rows), rows), "",
        *(["MIG against the plain VAE (medians over seeds):", *against_baseline(summary, plain),
           ""] if plain else []),
        f"Machine: {machine()}.",
        "Command: " + shlex.join(["python", "benchmarks/zoo.py", *sys.argv[1:]]),
    ]


def _seeds() -> list[int]:
    """``--seeds`` as integers."""
    try:
        seeds = [int(seed) for seed in SEEDS.value]
    except ValueError:
        seeds = []
    if not seeds:
        raise UserError(f"--seeds must be one or more integers, got {','.join(SEEDS.value)!r}")
    return seeds


def main(argv: list[str]) -> None:
    """Trains and evaluates the zoo, prints and writes the report and the picture."""
    if len(argv) > 1:
        raise UserError(f"unexpected arguments: {' '.join(argv[1:])}")
    if IMAGE_SIZE.value % 8:
        raise UserError(f"--image_size must be a multiple of 8, got {IMAGE_SIZE.value}")
    seeds, started = _seeds(), time.perf_counter()
    out = pathlib.Path(OUT.value).resolve()
    (out / "runs").mkdir(parents=True, exist_ok=True)
    zoo = discover(MODELS.value)
    print(f"model zoo: {', '.join(zoo)} on {N_IMAGES.value} synthetic villagers at "
          f"{IMAGE_SIZE.value}x{IMAGE_SIZE.value}, {EPOCHS.value} epochs, seeds {seeds}; "
          f"results in {out}", flush=True)
    rows, params = {}, model_params(zoo)
    for name, entry in zoo.items():
        rows[name] = [train_and_evaluate(name, entry, seed, params[name], out)
                      for seed in seeds]
        factors = rows[name][0]["per_factor"]
        if TRAVERSE.value and TRAVERSE.value not in factors:
            raise UserError(f"--traverse_factor {TRAVERSE.value!r} is not a factor of the "
                            f"dataset; valid: {', '.join(factors)}")
    summary = summarise(rows)
    lines = report(zoo, rows, summary, seeds)
    print("\n" + "\n".join(lines), flush=True)
    path = picture(zoo, rows, seeds[0], out)
    lines.append(f"Wall time: {(time.perf_counter() - started) / 60:.1f} minutes.")
    (out / "zoo.md").write_text("\n".join(lines) + "\n")
    (out / "zoo.json").write_text(json.dumps(
        {"settings": _settings(),
         "machine": machine(), "models": {n: dataclasses.asdict(e) for n, e in zoo.items()},
         "runs": rows, "summary": summary}, indent=1))
    print(f"{lines[-1]}\nwrote {out / 'zoo.md'}, {out / 'zoo.json'}, {path}", flush=True)


def _settings() -> dict:
    """The benchmark's flags, JSON-ready."""
    return {holder.name: holder.value for holder in (
        MODELS, EPOCHS, SEEDS, IMAGE_SIZE, N_IMAGES, LATENT_DIM, SAMPLES, QUALITY, CHECKPOINT,
        TRAVERSE, SHOW, GIN_FILE, GIN_PARAM, MODEL_PARAM, OUT)}


if __name__ == "__main__":
    cli.run(main)
