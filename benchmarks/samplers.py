"""Sampler benchmark: every latent sampler fitted to the same trained runs, side by side.

For each run folder (``python -m acvae.main`` output), at its best checkpoint: fits each
registered sampler named by ``--samplers`` to the training posteriors (the run's own gin
bindings, plus ``--gin_param``), draws ``--samples`` codes with seed 0, decodes them and
prints one table per run:

  fit s       seconds to fit (2 cores shared with other jobs, unless the machine is yours)
  fit steps   training steps the fit ran (learned samplers; 0 for the others)
  sample s    seconds to draw the codes once compiled (the first, compiling call in brackets)
  s-chroma    sample chroma against the validation images (acvae.analysis.colour; 1 = as colourful)
  memo        memorisation ratio (median RMS distance of a sample to the nearest training
              image over that of a validation image; below ~0.9: samples copy training images)
  d-train     median RMS distance of a sample to its nearest training image
  then, unless ``--no_quality``, acvae.analysis.sample_quality's table: two-sample AUCs (CNN,
  linear on pixels, texture statistics), precision, recall and KID in a feature space learned
  on the training images, beside the held-out reconstructions and held-out real images.

It writes ``OUT/<run>.png`` (``--show`` samples of each sampler, one row each, the same seed)
and ``OUT/<run>.json``; each learned sampler's fitted state is saved in
``OUT/<run>/<sampler>/`` (``restore`` reloads it).

    python benchmarks/samplers.py /tmp/runs/demo --out benchmarks/results/samplers
    python benchmarks/samplers.py RUN --samplers latent_diffusion \\
        --gin_param "samplers.latent_diffusion.eta = 1.0"
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import time

import numpy as np

DEFAULT_SAMPLERS = "prior,gaussian_mixture,two_stage_vae,latent_diffusion"


def _decode(model, z: np.ndarray, batch: int = 100) -> np.ndarray:
    """Mean images [n, H, W, C] of codes [n, L], ``batch`` at a time."""
    return np.concatenate([np.asarray(model.decode_mean(z[i:i + batch]))
                           for i in range(0, len(z), batch)])


def fit_and_sample(run, name: str, n: int, folder: pathlib.Path) -> tuple[dict, np.ndarray]:
    """Fits the registered sampler ``name`` (as gin binds it) to ``run``'s training posteriors
    and decodes ``n`` draws of seed 0; returns (timings, images)."""
    import gin

    from acvae.core import registry

    # gin.register leaves the class as it is: its bindings are passed explicitly.
    sampler = registry.get("samplers", name)(**gin.get_bindings(f"samplers.{name}"))
    started = time.perf_counter()
    sampler.fit(run.model, *run.training_posteriors())
    fit_seconds = time.perf_counter() - started
    if hasattr(sampler, "save"):
        shutil.rmtree(folder, ignore_errors=True)
        sampler.save(folder)
    timings = {"fit s": fit_seconds,
               "fit steps": getattr(sampler, "fit_info", {}).get("steps", 0)}
    for key in ("sample s (first)", "sample s"):
        started = time.perf_counter()
        z = np.asarray(sampler.sample(n, seed=0))
        timings[key] = time.perf_counter() - started
    if not np.all(np.isfinite(z)):
        raise SystemExit(f"error: the {name} sampler drew non-finite codes")
    return timings, _decode(run.model, z)


def image_metrics(samples: np.ndarray, train: np.ndarray, validation: np.ndarray) -> dict:
    """Sample chroma, memorisation ratio and the median distance to the training set."""
    from acvae.analysis import colour, metrics

    memo = metrics.memorisation(samples, train, validation)
    return {"s-chroma": colour.sample_chroma_ratio(colour.as_rgba(validation),
                                                   colour.as_rgba(samples)),
            "memo": memo["ratio"], "d-train": memo["samples_to_train"]}


def table(rows: dict[str, dict]) -> str:
    """One line per sampler: its timings and image metrics."""
    columns = list(next(iter(rows.values())))
    lines = ["| sampler | " + " | ".join(columns) + " |",
             "| --- |" + " ---: |" * len(columns)]
    for name, row in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{row[c]:.3f}" if isinstance(row[c], float)
                                                   else str(row[c]) for c in columns) + " |")
    return "\n".join(lines)


def picture(samples: dict[str, np.ndarray], originals: np.ndarray, show: int,
            path: pathlib.Path, title: str) -> None:
    """``path``: a row of training images, then ``show`` samples of each sampler."""
    from acvae.visualise import files, images, plots

    rows = {"training images": originals[:show], **{k: v[:show] for k, v in samples.items()}}
    fig = plots.new_figure((0.9 * show + 0.5, 1.05 * len(rows) + 0.3), 100)
    fig.suptitle(title, fontsize=9)
    for ax, (name, row) in zip(fig.subplots(len(rows), 1), rows.items()):
        ax.imshow(images.tile(images.to_rgb(row), show, pad=2), interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(name, fontsize=8, loc="left")
    files.figure(fig)(str(path))


def benchmark_run(run_dir: pathlib.Path, args) -> dict:
    """Fits every sampler to one run and measures it; writes its picture and JSON."""
    import gin

    from acvae.data import batches
    from acvae.runs import experiment

    gin.clear_config(clear_constants=True)
    run = experiment.load_run(run_dir, "best")
    with gin.unlock_config():
        gin.parse_config(args.gin_param)
    train = batches.collect(run.data.train_eval)
    validation = batches.collect(run.data.validation)["image"]
    rows, samples = {}, {}
    for name in args.samplers.split(","):
        timings, samples[name] = fit_and_sample(run, name, args.samples,
                                                args.out / run_dir.name / name)
        rows[name] = {**timings, **image_metrics(samples[name], train["image"], validation)}
        print(f"  {run_dir.name} {name}: " + "  ".join(f"{k} {v:.3f}"
                                                       for k, v in rows[name].items()),
              flush=True)
    result = {"run": str(run_dir), "epoch": run.epoch, "n_train": len(train["image"]),
              "samplers": rows}
    report = [f"## {run_dir.name} (epoch {run.epoch}, {len(train['image'])} training images, "
              f"{args.samples} samples)", "", table(rows)]
    if args.quality:
        from acvae.analysis import sample_quality

        labels = run.data.schema.categorical
        quality = sample_quality.sample_quality(
            train["image"], validation, _decode(run.model, np.asarray(
                run.model.encode(validation)[0])), samples,
            train[batches.ids_key(labels[0].name)] if labels else None)
        result["quality"] = quality
        report += ["", sample_quality.format_table(quality)]
    picture(samples, train["image"], args.show, args.out / f"{run_dir.name}.png",
            f"{run_dir.name}: samples of seed 0 from each sampler")
    (args.out / f"{run_dir.name}.json").write_text(json.dumps(result, indent=1, default=float))
    print("\n" + "\n".join(report) + "\n", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dirs", nargs="+", type=pathlib.Path, help="trained run folders")
    parser.add_argument("--samplers", default=DEFAULT_SAMPLERS,
                        help="registered samplers, comma-separated")
    parser.add_argument("--samples", type=int, default=200, help="samples per sampler")
    parser.add_argument("--show", type=int, default=12, help="samples per row of the picture")
    parser.add_argument("--gin_param", action="append", default=[],
                        help="a binding for the samplers, e.g. "
                             "'samplers.latent_diffusion.steps = 2000'")
    parser.add_argument("--no_quality", dest="quality", action="store_false",
                        help="skip acvae.analysis.sample_quality (two-sample tests, "
                             "precision/recall, KID)")
    parser.add_argument("--out", type=pathlib.Path,
                        default=pathlib.Path(__file__).resolve().parent / "results" / "samplers")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    for run_dir in args.run_dirs:
        benchmark_run(run_dir.resolve(), args)


if __name__ == "__main__":
    main()
