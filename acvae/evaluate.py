"""Honest numbers for a trained VAE: ``python -m acvae.evaluate --run_dir=RUN [--k 1000]``.

Loads the run's latest checkpoint (``acvae.runs.load_run``) and measures, on the validation
split and, where a gap matters, on the training split: the ELBO per image in nats with its
reconstruction and KL parts (averaged over several posterior samples per image), the
importance-weighted bound with k samples (Burda et al. 2016), KL per latent dimension and the
active units, reconstruction MSE per pixel, how well k-NN and linear probes recover species,
personality and gender from the latent means, and how close prior samples come to training
images compared with held-out ones. Writes ``RUN/metrics.json`` (atomically), prints a table,
writes the scalars to TensorBoard (``RUN/logs/evaluation``, step = epoch) and re-renders
``RUN/figures/index.html`` when it exists. The keys are documented in ``evaluate``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import pathlib
import time

import keras
import numpy as np
import tensorflow as tf

from acvae import config, fileio, metrics, runs, summaries

METRICS_FILE = "metrics.json"
EVALUATION_LOGS = "evaluation"
PROBE_LABELS = ("species", "personality", "gender")


def _ids(batch: dict) -> dict:
    """Label ids [B] by label name ("species", ...), as the trainer passes them to models."""
    return {key[: -len("_id")]: value for key, value in batch.items() if key.endswith("_id")}


def _collect(model, dataset, elbo_samples: int) -> dict:
    """Per-image arrays of one split: ELBO terms, MSE, posterior, images and label ids."""
    parts: dict[str, list] = {}
    for batch in dataset:
        images = batch["image"]
        ids = _ids(batch)
        mean, logvar = model.encode(images)
        rec = kl = 0.0
        for _ in range(elbo_samples):
            terms = model.loss_terms(images, training=False, labels=ids)
            rec += np.asarray(terms["reconstruction"], np.float64) / elbo_samples
            kl += np.asarray(terms["kl"], np.float64) / elbo_samples
        values = {
            "reconstruction": rec, "kl": kl, "mean": mean.numpy(), "logvar": logvar.numpy(),
            "mse": metrics.reconstruction_mse(images, model.reconstruct(images)),
            "image": images.numpy(), **{f"{k}_id": v.numpy() for k, v in ids.items()},
        }
        for key, value in values.items():
            parts.setdefault(key, []).append(value)
    return {key: np.concatenate(value) for key, value in parts.items()}


def _split_summary(split: dict) -> dict[str, float]:
    return {
        "elbo": -float(np.mean(split["reconstruction"] + split["kl"])),
        "reconstruction": float(np.mean(split["reconstruction"])),
        "kl": float(np.mean(split["kl"])),
        "mse": float(np.mean(split["mse"])),
    }


def _iwae(model, dataset, k: int, seed: int) -> tuple[float, float]:
    """(mean IWAE bound, mean single-sample ELBO from the same weights) over a split."""
    bounds, elbos = [], []
    for i, batch in enumerate(dataset):
        log_weights = metrics.vae_log_weights(model, batch["image"], k, seed=seed + i,
                                              labels=_ids(batch))
        bounds.append(metrics.iwae_bound(log_weights))
        elbos.append(log_weights.mean(1))
    return float(np.mean(np.concatenate(bounds))), float(np.mean(np.concatenate(elbos)))


def _memorisation(model, train_images, val_images, n_samples: int, seed: int) -> dict:
    """Nearest-image distances of prior samples to equal-sized train and validation sets."""
    rng = np.random.default_rng(seed)
    size = min(len(train_images), len(val_images))
    train_ref = train_images[np.sort(rng.choice(len(train_images), size, replace=False))]
    val_ref = val_images[np.sort(rng.choice(len(val_images), size, replace=False))]
    samples = np.asarray(model.sample(n_samples, seed=seed))
    to_train = float(np.mean(metrics.nearest_distance(samples, train_ref)))
    to_val = float(np.mean(metrics.nearest_distance(samples, val_ref)))
    return {
        "samples_to_train": to_train,
        "samples_to_validation": to_val,
        "ratio": to_train / max(to_val, 1e-12),
        "validation_to_train": float(np.mean(metrics.nearest_distance(val_ref, train_ref))),
        "n_samples": int(n_samples),
        "reference_images": int(size),
    }


def _probes(train: dict, val: dict, labels) -> dict[str, dict[str, float]]:
    out = {"knn_accuracy": {}, "linear_probe_accuracy": {}, "majority_accuracy": {}}
    for label in labels:
        key = f"{label}_id"
        if key not in train or key not in val:
            continue
        args = (train["mean"], train[key], val["mean"], val[key])
        out["knn_accuracy"][label] = metrics.knn_accuracy(*args, k=5)
        out["linear_probe_accuracy"][label] = metrics.linear_probe_accuracy(*args)
        out["majority_accuracy"][label] = metrics.majority_accuracy(train[key], val[key])
    return out


def _check_counts(k: int, n_samples: int, elbo_samples: int) -> None:
    if min(k, n_samples, elbo_samples) < 1:
        raise ValueError(f"k, samples and elbo_samples must be >= 1, got {k}, {n_samples}, "
                         f"{elbo_samples}")


def evaluate(run: runs.Run, k: int = 1000, n_samples: int = 100, elbo_samples: int = 10,
             seed: int = 0) -> dict:
    """Every metric of a trained run, as a JSON-ready dict.

    Keys (nats per image unless stated; ELBO = -(reconstruction + kl)):
      ``epoch``, ``k``, ``elbo_samples``, ``n_train``, ``n_validation``, ``latent_dim``;
      ``validation``: ``elbo``, ``reconstruction`` (-log p(x|z)), ``kl`` (KL(q||p), the model's
      own estimate), each averaged over ``elbo_samples`` posterior samples per image;
      ``mse`` (per pixel and channel, of the reconstruction from the posterior mean, in
      [0, 1]); ``iwae`` (the k-sample bound, >= elbo up to noise) and ``elbo_from_iwae_samples``
      (the ELBO from the same k samples, a check on ``elbo``);
      ``train``: ``elbo``, ``reconstruction``, ``kl``, ``mse`` on the training split;
      ``elbo_gap``: train elbo - validation elbo (> 0: the model fits training images better);
      ``kl_per_dimension``: [L] KL(q(z_j|x) || N(0, 1)) averaged over validation images;
      ``activity``: [L] variance of the posterior mean over validation images;
      ``active_units``: dimensions with activity > 0.01;
      ``knn_accuracy``, ``linear_probe_accuracy``, ``majority_accuracy``: by label (species,
      personality, gender), probes fitted on training latent means, scored on validation;
      majority = always the most frequent training label (chance level);
      ``memorisation``: ``samples_to_train`` / ``samples_to_validation``: mean per-pixel RMS
      distance from ``n_samples`` prior samples (decoded means) to the nearest of equally many
      training / validation images; ``ratio`` of the two (well below 1: samples copy training
      images); ``validation_to_train``: the same distance for real held-out images;
      ``likelihood``, ``alpha_weighting``: what the nats are nats of.

    Args:
      run: a loaded (``runs.load_run``) or live run.
      k: importance samples per validation image for the IWAE bound.
      n_samples: prior samples for the memorisation check.
      elbo_samples: posterior samples per image averaged in the ELBO.
      seed: all sampling; the same seed gives the same numbers.
    """
    _check_counts(k, n_samples, elbo_samples)
    with _seeded(run.model, seed):
        return _evaluate(run, k, n_samples, elbo_samples, seed)


@contextlib.contextmanager
def _seeded(model, seed: int):
    """Seeds all sampling, including the model's own noise generator (restored afterwards, so
    evaluating a live run does not change its training noise)."""
    keras.utils.set_random_seed(seed)
    generator = getattr(model, "noise_seed", None)
    state = getattr(generator, "state", None)
    saved = None if state is None else state.numpy()
    if state is not None:
        state.assign(np.array([seed, 0], saved.dtype))
    try:
        yield
    finally:
        if state is not None:
            state.assign(saved)


def _evaluate(run, k: int, n_samples: int, elbo_samples: int, seed: int) -> dict:
    model, data = run.model, run.data
    train = _collect(model, data.train_eval, elbo_samples)
    val = _collect(model, data.validation, elbo_samples)
    iwae, iwae_elbo = _iwae(model, data.validation, k, seed)
    n_active, activity = metrics.active_units(val["mean"])
    result = {
        "epoch": int(run.epoch), "k": int(k), "elbo_samples": int(elbo_samples),
        "n_train": len(train["mse"]), "n_validation": len(val["mse"]),
        "latent_dim": int(val["mean"].shape[1]),
        "validation": {**_split_summary(val), "iwae": iwae, "elbo_from_iwae_samples": iwae_elbo},
        "train": _split_summary(train),
    }
    result["elbo_gap"] = result["train"]["elbo"] - result["validation"]["elbo"]
    result["kl_per_dimension"] = metrics.kl_per_dimension(val["mean"], val["logvar"]).tolist()
    result["activity"] = activity.tolist()
    result["active_units"] = n_active
    result.update(_probes(train, val, PROBE_LABELS))
    result["memorisation"] = _memorisation(model, train["image"], val["image"], n_samples, seed)
    likelihood = model.likelihood
    result["likelihood"] = type(likelihood).__name__
    result["alpha_weighting"] = getattr(likelihood, "alpha_weighting", None)
    return result


def format_table(result: dict) -> str:
    """A two-column text table of every metric (nested keys joined by dots)."""
    rows = []

    def show(value):
        if isinstance(value, float):
            return f"{value:.4f}" if abs(value) < 1e4 else f"{value:.1f}"
        if isinstance(value, list):
            return "[" + ", ".join(show(v) for v in value) + "]"
        return str(value)

    def walk(node, prefix):
        for key, value in node.items():
            name = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                walk(value, name)
            else:
                rows.append((name, show(value)))

    walk(result, "")
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def scalars(result: dict) -> dict[str, float]:
    """The numeric metrics as ``{"validation/elbo": x, "kl_per_dimension/0": y, ...}``."""
    flat = {}

    def walk(node, prefix):
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            name = f"{prefix}/{key}" if prefix else str(key)
            if isinstance(value, (dict, list)):
                walk(value, name)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                flat[name] = float(value)

    walk(result, "")
    return flat


def write(run: runs.Run, result: dict) -> list[pathlib.Path]:
    """Writes metrics.json, the TensorBoard scalars and (if present) a new index.html."""
    run_dir = pathlib.Path(run.run_dir)
    path = run_dir / METRICS_FILE
    fileio.write_text(path, json.dumps(result, indent=2) + "\n")
    written = [path]
    writer = tf.summary.create_file_writer(str(run_dir / summaries.LOGS_DIR / EVALUATION_LOGS))
    with writer.as_default():
        for name, value in scalars(result).items():
            tf.summary.scalar(name, value, step=int(run.epoch))
    writer.close()
    if (run_dir / runs.FIGURES_DIR / "index.html").exists():
        from acvae import visualise

        written += visualise.create(["index_html"])[0].on_train_end(run)
    return written


def main(argv: list[str] | None = None) -> dict:
    """The command line: load, evaluate, write, print; one-line errors for user mistakes."""
    parser = argparse.ArgumentParser(prog="python -m acvae.evaluate", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--run_dir", required=True, help="a run folder written by acvae.main")
    parser.add_argument("--k", type=int, default=1000, help="importance samples for IWAE")
    parser.add_argument("--samples", type=int, default=100,
                        help="prior samples for the memorisation check")
    parser.add_argument("--elbo_samples", type=int, default=10,
                        help="posterior samples per image averaged in the ELBO")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed")
    args = parser.parse_args(argv)
    from acvae import components  # noqa: F401  (registers the components the config names)

    try:
        _check_counts(args.k, args.samples, args.elbo_samples)
        run = runs.load_run(args.run_dir)
        started = time.perf_counter()
        result = evaluate(run, k=args.k, n_samples=args.samples,
                          elbo_samples=args.elbo_samples, seed=args.seed)
        paths = write(run, result)
    except config.USER_ERRORS as error:
        raise SystemExit(f"error: {config.explain(error)}") from None
    print(format_table(result))
    print(f"evaluated epoch {run.epoch} in {time.perf_counter() - started:.0f}s; wrote "
          + ", ".join(str(p) for p in paths), flush=True)
    return result


def run() -> None:
    """Console entry point ``acvae-evaluate``."""
    main()


if __name__ == "__main__":
    main()
