"""Honest numbers for a trained VAE: ``python -m acvae.evaluate --run_dir=RUN [--k 1000]``.

Loads the run's best checkpoint (``--checkpoint=latest`` for the latest; see
``acvae.experiment.load_run``) and measures, on the validation split and, where a gap
matters, on the training split: the ELBO per image in nats with its reconstruction and KL
parts (averaged over several posterior samples per image), the importance-weighted bound with
k samples (Burda et al. 2016), KL per latent dimension and the active units, reconstruction
MSE per pixel, how well k-NN and linear probes (scikit-learn) recover every categorical label
of the dataset from the latent means, and how close samples come to training images compared
with held-out ones. Writes ``RUN/metrics.json``, prints a table, writes the scalars to
TensorBoard (``RUN/logs/evaluation``, step = epoch), the validation embedding for
TensorBoard's projector (``acvae.projector``) and re-renders ``RUN/figures/index.html``
when it exists. The keys are documented in ``evaluate``.
"""

from __future__ import annotations

import contextlib
import pathlib
import time

import keras
import numpy as np
from absl import flags

from acvae import batches, cli, colour, experiment, metrics, plugins, projector, run_folder
from acvae.data import content
from acvae.errors import UserError

RUN_DIR = cli.define(flags.DEFINE_string, "run_dir", None, "A run folder written by acvae.main.")
TRUST_PLUGINS = cli.define(flags.DEFINE_bool, *plugins.TRUST_FLAG)
ALLOW_DATA_CHANGE = cli.define(flags.DEFINE_bool, *content.ALLOW_DATA_CHANGE_FLAG)
CHECKPOINT = cli.define(flags.DEFINE_enum, "checkpoint", "best",
                        list(run_folder.CHECKPOINTS),
                        "Which checkpoint: the best validation epoch or the latest.")
SEED = cli.define(flags.DEFINE_integer, "seed", 0, "Sampling seed; the same seed gives the "
                  "same numbers.", lower_bound=0)
K = flags.DEFINE_integer("k", 1000, "Importance samples per validation image for IWAE.")
SAMPLES = flags.DEFINE_integer("samples", 100, "Samples for the memorisation check.")
ELBO_SAMPLES = flags.DEFINE_integer("elbo_samples", 10,
                                    "Posterior samples per image averaged in the ELBO.")


def _measure(model, elbo_samples: int):
    """A ``batches.collect`` extra: ELBO terms (averaged over samples), posterior, MSE."""

    def add(batch: dict) -> dict:
        images, condition = batch["image"], model.condition_of(batch)
        mean, logvar = model.encode(images, condition)
        reconstruction = kl = 0.0
        for _ in range(elbo_samples):
            terms = model.loss_terms(images, condition)
            reconstruction += np.asarray(terms["reconstruction"], np.float64) / elbo_samples
            kl += np.asarray(terms["kl"], np.float64) / elbo_samples
        rebuilt = model.reconstruct(images, condition)
        out = {"reconstruction": reconstruction, "kl": kl, "mean": mean, "logvar": logvar,
               "mse": metrics.reconstruction_mse(images, rebuilt)}
        originals, rebuilt = colour.as_rgba(images), colour.as_rgba(rebuilt)
        if originals is not None:
            out["colour_sums"] = colour.per_image_sums(originals, rebuilt)
        return out

    return add


def _split_summary(split: dict) -> dict[str, float]:
    summary = {
        "elbo": -float(np.mean(split["reconstruction"] + split["kl"])),
        "reconstruction": float(np.mean(split["reconstruction"])),
        "kl": float(np.mean(split["kl"])),
        "mse": float(np.mean(split["mse"])),
    }
    if "colour_sums" in split:
        summary.update(colour.from_sums(split["colour_sums"]))
    return summary


def _sample_metrics(samples: np.ndarray, train: dict, val: dict, seed: int) -> dict:
    """Colour (chroma ratio against the validation images) and memorisation of samples."""
    result = {"memorisation": metrics.memorisation(samples, train["image"], val["image"], seed)}
    samples_rgba, originals = colour.as_rgba(samples), colour.as_rgba(val["image"])
    if originals is not None:
        result["chroma_ratio"] = colour.sample_chroma_ratio(originals, samples_rgba)
    return result


def _iwae(model, dataset, k: int, seed: int) -> tuple[float, float]:
    """(mean IWAE bound, mean single-sample ELBO from the same weights) over a split."""
    bounds, elbos = [], []
    for i, batch in enumerate(dataset):
        log_weights = metrics.vae_log_weights(model, batch["image"], k, seed=seed + i,
                                              condition=model.condition_of(batch))
        bounds.append(metrics.iwae_bound(log_weights))
        elbos.append(log_weights.mean(1))
    return float(np.mean(np.concatenate(bounds))), float(np.mean(np.concatenate(elbos)))


def _probes(train: dict, val: dict, schema) -> dict[str, dict[str, float]]:
    """k-NN, linear and majority accuracy for every categorical label of the schema."""
    out = {"knn_accuracy": {}, "linear_probe_accuracy": {}, "majority_accuracy": {}}
    for label in schema.categorical:
        key = batches.ids_key(label.name)
        args = (train["mean"], train[key], val["mean"], val[key])
        out["knn_accuracy"][label.name] = metrics.knn_accuracy(*args, k=5)
        out["linear_probe_accuracy"][label.name] = metrics.linear_probe_accuracy(*args)
        out["majority_accuracy"][label.name] = metrics.majority_accuracy(train[key], val[key])
    return out


def _check_counts(k: int, n_samples: int, elbo_samples: int) -> None:
    if min(k, n_samples, elbo_samples) < 1:
        raise UserError(f"k, samples and elbo_samples must be >= 1, got {k}, {n_samples}, "
                        f"{elbo_samples}")


def evaluate(run: experiment.Run, k: int = 1000, n_samples: int = 100, elbo_samples: int = 10,
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
      ``knn_accuracy``, ``linear_probe_accuracy``, ``majority_accuracy``: by categorical label
      of the dataset's schema, probes fitted on training latent means, scored on validation;
      majority = always the most frequent training label (chance level);
      ``validation``/``train`` also hold ``chroma_ratio`` and ``delta_e`` of the
      reconstructions (``acvae.colour``: CIELAB chroma kept, 1 = all; mean CIE76 colour
      difference on the originals' opaque pixels) for RGB and RGBA images;
      ``samples``: for ``prior`` (decoded prior draws) and ``sampler`` (the model's sampler,
      e.g. the Gaussian mixture fitted to the training codes): ``chroma_ratio`` (samples'
      chroma on their opaque pixels over the validation images') and ``memorisation``;
      ``memorisation``: ``metrics.memorisation`` of ``n_samples`` samples (decoded means of
      the model's ``sampler``) against equally many training and validation images;
      ``likelihood``, ``alpha_weighting``: what the nats are nats of.

    Args:
      run: a loaded (``experiment.load_run``) or live run.
      k: importance samples per validation image for the IWAE bound.
      n_samples: samples for the memorisation check.
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
    state = model.noise_seed.state
    saved = state.numpy()
    state.assign(np.array([seed, 0], saved.dtype))
    try:
        yield
    finally:
        state.assign(saved)


def _evaluate(run, k: int, n_samples: int, elbo_samples: int, seed: int) -> dict:
    model, data = run.model, run.data
    train = batches.collect(data.train_eval, add=_measure(model, elbo_samples))
    val = batches.collect(data.validation, add=_measure(model, elbo_samples))
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
    result.update(_probes(train, val, data.schema))
    result["samples"] = {
        "prior": _sample_metrics(
            np.asarray(model.decode_mean(model.prior.sample(n_samples, seed=seed))),
            train, val, seed),
        "sampler": _sample_metrics(np.asarray(model.sample(n_samples, seed=seed)),
                                   train, val, seed),
    }
    result["memorisation"] = result["samples"]["sampler"]["memorisation"]
    result["likelihood"] = type(model.likelihood).__name__
    result["alpha_weighting"] = getattr(model.likelihood, "alpha_weighting", None)
    return result


def format_table(result: dict) -> str:
    """A two-column text table of every metric (nested keys joined by dots)."""
    def show(value):
        if isinstance(value, float):
            return f"{value:.4f}" if abs(value) < 1e4 else f"{value:.1f}"
        if isinstance(value, list):
            return "[" + ", ".join(show(v) for v in value) + "]"
        return str(value)

    rows = [(name, show(value)) for name, value in metrics.flatten(result).items()]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def scalars(result: dict) -> dict[str, float]:
    """The numeric metrics as ``{"validation/elbo": x, "kl_per_dimension/0": y, ...}``."""
    flat = metrics.flatten(result, "/", expand_lists=True)
    return {name: float(value) for name, value in flat.items()
            if isinstance(value, (int, float)) and not isinstance(value, bool)}


def write(run: experiment.Run, result: dict) -> list[pathlib.Path]:
    """Writes metrics.json, the TensorBoard scalars, the projector's embedding and (if
    present) a new index.html."""
    written = [run.folder.write_metrics(result)]
    board = run.folder.tensorboard(("evaluation",))
    board.scalars("evaluation", scalars(result), int(run.epoch))
    board.close()
    written.append(projector.write(run)[0])
    from acvae import visualise

    (page,) = visualise.create(["index_html"])
    if run.folder.figure(page.filename).exists():
        written += page.on_train_end(run)
    return written


def main(argv: list[str]) -> dict:
    """Loads, evaluates, writes and prints; returns the result."""
    if len(argv) > 1:
        raise UserError(f"unexpected arguments: {' '.join(argv[1:])}")
    if not RUN_DIR.value:
        raise UserError("--run_dir is required (a folder made by python -m acvae.main)")
    _check_counts(K.value, SAMPLES.value, ELBO_SAMPLES.value)
    from acvae import components  # noqa: F401  (registers the components the config names)

    loaded = experiment.load_run(RUN_DIR.value, CHECKPOINT.value, TRUST_PLUGINS.value,
                                  ALLOW_DATA_CHANGE.value)
    with loaded.folder.open("acvae.evaluate"):
        started = time.perf_counter()
        result = evaluate(loaded, k=K.value, n_samples=SAMPLES.value,
                          elbo_samples=ELBO_SAMPLES.value, seed=SEED.value)
        paths = write(loaded, result)
    print(format_table(result))
    print(f"evaluated epoch {loaded.epoch} ({CHECKPOINT.value} checkpoint) in "
          f"{time.perf_counter() - started:.0f}s; wrote " + ", ".join(str(p) for p in paths),
          flush=True)
    return result


def run() -> None:
    """Console entry point ``acvae-evaluate``."""
    cli.run(main)


if __name__ == "__main__":
    run()
