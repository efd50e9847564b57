"""Honest numbers for a trained VAE: ``evaluate(run)``, the library half of ``python -m acvae
evaluate`` (``acvae.commands.evaluate`` loads the run, calls it and writes what it returns).

On the validation split and, where a gap matters, on the training split: the ELBO per image in
nats with its reconstruction and KL parts (averaged over several posterior samples per image),
the importance-weighted bound with k samples (Burda et al. 2016), KL per latent dimension and
the active units, reconstruction MSE per pixel, how well k-NN and linear probes (scikit-learn)
recover every categorical label of the dataset from the latent means, and how close samples
come to training images compared with held-out ones. Then the quality of the samples of every
sampler of the run, side by side (``acvae.analysis.sample_quality``: classifier two-sample
tests, precision, recall and KID in a feature space learned on the training images, sample
chroma, memorisation): the prior, the run's own sampler and those ``evaluate.compare_samplers``
names (gin; none by default: a learned sampler's fit takes minutes), beside held-out
reconstructions and held-out real images. ``format_table`` prints the result, ``scalars``
gives its numbers for TensorBoard.

The keys of ``evaluate``'s result (``RUN/metrics.json``; nats per image unless stated; ELBO =
-(reconstruction + kl)):
  ``epoch``, ``k``, ``elbo_samples``, ``n_train``, ``n_validation``, ``latent_dim``;
  ``validation``: ``elbo``, ``reconstruction`` (-log p(x|z)), ``kl`` (KL(q||p), the model's
  own estimate), each averaged over ``elbo_samples`` posterior samples per image;
  ``mse`` (per pixel and channel, of the reconstruction from the posterior mean, in
  [0, 1]); ``iwae`` (the k-sample bound, >= elbo up to noise) and ``elbo_from_iwae_samples``
  (the ELBO from the same k samples, a check on ``elbo``), omitted with one line for a
  model whose posterior is a point (``VAE.gaussian_posterior``, the VQ-VAE), as is
  ``kl_per_dimension``;
  ``train``: ``elbo``, ``reconstruction``, ``kl``, ``mse`` on the training split;
  ``elbo_gap``: train elbo - validation elbo (> 0: the model fits training images better);
  ``kl_per_dimension``: [L] KL(q(z_j|x) || N(0, 1)) averaged over validation images;
  ``activity``: [L] variance of the posterior mean over validation images;
  ``active_units``: dimensions with activity > 0.01;
  ``knn_accuracy``, ``linear_probe_accuracy``, ``majority_accuracy``: by categorical label
  of the dataset's schema, probes fitted on training latent means, scored on validation;
  majority = always the most frequent training label (chance level);
  ``disentanglement`` (a dataset of two or more factors, else omitted with one line):
  ``acvae.analysis.disentanglement`` scores of every item's posterior mean against the
  factors: ``mig``, ``dci`` (``disentanglement``, ``completeness``, ``informativeness``),
  ``sap``, ``factor_vae`` (and its chance level), and per factor its best dimension;
  ``validation``/``train`` also hold ``chroma_ratio`` and ``delta_e`` of the
  reconstructions (``acvae.analysis.colour``: CIELAB chroma kept, 1 = all; mean CIE76 colour
  difference on the originals' opaque pixels) for RGB and RGBA images;
  ``samples``: for ``prior`` (decoded prior draws) and ``sampler`` (the model's sampler,
  e.g. the Gaussian mixture fitted to the training codes): ``chroma_ratio`` (samples'
  chroma on their opaque pixels over the validation images') and ``memorisation``;
  ``memorisation``: ``metrics.memorisation`` of ``n_samples`` samples (decoded means of
  the model's ``sampler``): their median distance to the nearest training image over
  that of the validation images;
  ``sample_quality`` (unless ``quality`` is ``"off"``): ``acvae.analysis.sample_quality``
  of the ``n_samples`` samples of every sampler (its ``sets``: ``prior``, ``sampler``, the
  run's own unless that is the prior, then each of ``compare_samplers`` by its name),
  beside ``held_out_reconstructions`` and ``held_out`` (the validation images), in a
  feature space that learns the dataset's first categorical label; plus ``mode``
  (``quality``), ``sampler`` (the name of the run's own) and ``two_sample_tests`` (those
  run: the CNN's only in ``"full"`` mode on at least ``MIN_CNN_IMAGES`` images per set);
  left out, with a line, when a set has fewer than 2 images;
  ``likelihood``, ``alpha_weighting``: what the nats are nats of.
"""

from __future__ import annotations

import contextlib
import itertools

import gin
import keras
import numpy as np

from acvae.analysis import colour, disentanglement, metrics, sample_quality
from acvae.core.errors import UserError
from acvae.data import batches
from acvae.runs import experiment

QUALITY_MODES = ("full", "fast", "off")
MIN_CNN_IMAGES = 20  # per set: with fewer, a CNN two-sample test sees a few images per fold


def _measure(model, elbo_samples: int, keep_reconstructions: bool = False):
    """A ``batches.collect`` extra: ELBO terms (averaged over samples), posterior, MSE, and
    the reconstructions themselves when ``keep_reconstructions``."""

    def add(batch: dict) -> dict:
        images, condition = batch["image"], model.condition_of(batch)
        mean, logvar = model.posterior(images, condition)
        reconstruction = kl = 0.0
        for _ in range(elbo_samples):
            terms = model.loss_terms(images, condition)
            reconstruction += np.asarray(terms["reconstruction"], np.float64) / elbo_samples
            kl += np.asarray(terms["kl"], np.float64) / elbo_samples
        rebuilt = model.reconstruct(images, condition)
        out = {"reconstruction": reconstruction, "kl": kl, "mean": mean, "logvar": logvar,
               "mse": metrics.reconstruction_mse(images, rebuilt)}
        if keep_reconstructions:
            out["rebuilt"] = rebuilt
        originals, rebuilt = colour.as_rgba(images), colour.as_rgba(rebuilt)
        if originals is not None:
            out["colour_sums"] = colour.per_image_sums(originals, rebuilt)
        return out

    return add


def _split_summary(split: dict) -> dict[str, float]:
    """The mean ELBO, its parts and the MSE of a collected split (with ``_measure``), and its
    reconstructions' colour when the images have colour."""
    summary = {
        "elbo": -float(np.mean(split["reconstruction"] + split["kl"])),
        "reconstruction": float(np.mean(split["reconstruction"])),
        "kl": float(np.mean(split["kl"])),
        "mse": float(np.mean(split["mse"])),
    }
    if "colour_sums" in split:
        summary.update(colour.from_sums(split["colour_sums"]))
    return summary


def _sample_metrics(samples: np.ndarray, train: dict, val: dict) -> dict:
    """Colour (chroma ratio against the validation images) and memorisation of samples."""
    result = {"memorisation": metrics.memorisation(samples, train["image"], val["image"])}
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


def check_settings(k: int, n_samples: int, elbo_samples: int, quality: str = "full") -> None:
    """A UserError unless the counts are at least 1 and ``quality`` is one of
    ``QUALITY_MODES``."""
    if min(k, n_samples, elbo_samples) < 1:
        raise UserError(f"k, samples and elbo_samples must be >= 1, got {k}, {n_samples}, "
                        f"{elbo_samples}")
    if quality not in QUALITY_MODES:
        raise UserError(f"sample quality must be one of {', '.join(QUALITY_MODES)}, got "
                        f"{quality!r}")


@gin.configurable(module="acvae", allowlist=["compare_samplers"])
def evaluate(run: experiment.Run, k: int = 1000, n_samples: int = 100, elbo_samples: int = 10,
             seed: int = 0, quality: str = "full", compare_samplers=()) -> dict:
    """Every metric of a trained run, as a JSON-ready dict (its keys: the module docstring).

    Args:
      run: a loaded (``experiment.load_run``) or live run, its sampler fitted.
      k: importance samples per validation image for the IWAE bound.
      n_samples: samples of each sampler for the sample metrics.
      elbo_samples: posterior samples per image averaged in the ELBO.
      seed: all sampling; the same seed gives the same numbers.
      quality: ``"full"``, ``"fast"`` (no CNN two-sample test: seconds instead of minutes)
        or ``"off"`` (no ``sample_quality``).
      compare_samplers: more samplers (``[@samplers.latent_diffusion()]`` in gin) to fit to
        the run's training codes (in memory) and score beside its own; one with the name
        and settings of the run's own sampler is that one.
    """
    check_settings(k, n_samples, elbo_samples, quality)
    with _seeded(run.model, seed):
        result, sets = _evaluate(run, k, n_samples, elbo_samples, seed, quality != "off")
        scores = (_sample_quality(run, sets, quality, compare_samplers, n_samples, seed)
                  if quality != "off" else None)
        if scores is not None:
            result["sample_quality"] = scores
        return result


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


def _evaluate(run, k: int, n_samples: int, elbo_samples: int, seed: int,
              keep_reconstructions: bool) -> tuple[dict, dict]:
    """Every metric but ``sample_quality``, and what it scores: ``train`` and ``validation``
    (collected, the validation reconstructions as ``rebuilt`` when
    ``keep_reconstructions``) and ``samples`` {``prior``, ``sampler``: decoded draws}."""
    model, data = run.model, run.data
    train = batches.collect(data.train_eval, add=_measure(model, elbo_samples))
    val = batches.collect(data.validation,
                          add=_measure(model, elbo_samples, keep_reconstructions))
    n_active, activity = metrics.active_units(val["mean"])
    result = {
        "epoch": int(run.epoch), "k": int(k), "elbo_samples": int(elbo_samples),
        "n_train": len(train["mse"]), "n_validation": len(val["mse"]),
        "latent_dim": int(val["mean"].shape[1]),
        "validation": _split_summary(val),
        "train": _split_summary(train),
    }
    result["elbo_gap"] = result["train"]["elbo"] - result["validation"]["elbo"]
    if model.gaussian_posterior:
        result["validation"]["iwae"], result["validation"]["elbo_from_iwae_samples"] = _iwae(
            model, data.validation, k, seed)
        result["kl_per_dimension"] = metrics.kl_per_dimension(val["mean"],
                                                              val["logvar"]).tolist()
    else:  # a point posterior (VQ-VAE): no importance weights, no KL to N(0, 1) per dimension
        print(f"note: iwae and kl_per_dimension omitted: {type(model).__name__}'s posterior is "
              "a point, not a Gaussian", flush=True)
    result["activity"] = activity.tolist()
    result["active_units"] = n_active
    result.update(_probes(train, val, data.schema))
    result.update(disentanglement.evaluation([train, val], data.schema, seed))
    drawn = {"prior": _decoded(model, model.prior, n_samples, seed),
             "sampler": np.asarray(model.sample(n_samples, seed=seed))}
    result["samples"] = {name: _sample_metrics(images, train, val)
                         for name, images in drawn.items()}
    result["memorisation"] = result["samples"]["sampler"]["memorisation"]
    result["likelihood"] = type(model.likelihood).__name__
    result["alpha_weighting"] = getattr(model.likelihood, "alpha_weighting", None)
    return result, {"train": train, "validation": val, "samples": drawn}


def _decoded(model, sampler, n: int, seed: int) -> np.ndarray:
    """[n, H, W, C] mean images of ``n`` draws of ``sampler`` (seeded)."""
    return np.asarray(model.decode_mean(sampler.sample(n, seed=seed)))


def _column(name: str, taken) -> str:
    """``name``, or the first of ``name_2``, ``name_3``, ... that is not ``taken``."""
    candidates = itertools.chain([name], (f"{name}_{i}" for i in itertools.count(2)))
    return next(candidate for candidate in candidates if candidate not in taken)


def _same_sampler(a, b) -> bool:
    """Whether two samplers are one kind with the same settings (they draw alike once fitted
    to the same codes)."""
    return type(a) is type(b) and getattr(a, "config", None) == getattr(b, "config", None)


def _two_sample_tests(mode: str, n: int) -> list[str] | None:
    """The two-sample tests to run on sets of ``n`` images: all, without the CNN's for
    ``mode`` "fast" or fewer than ``MIN_CNN_IMAGES``, or None (with a line) when a set has
    fewer than 2 images, too few for any sample metric."""
    if n < 2:
        print(f"note: sample quality skipped: it needs at least 2 images in every set (training, "
              f"validation, samples), and the smallest has {n}", flush=True)
        return None
    if mode == "full" and n >= MIN_CNN_IMAGES:
        return list(sample_quality.TWO_SAMPLE_TESTS)
    if mode == "full":
        print(f"note: the CNN two-sample test is left out: {n} images per set are fewer than the "
              f"{MIN_CNN_IMAGES} it needs to tell anything", flush=True)
    return [test for test in sample_quality.TWO_SAMPLE_TESTS if test != "c2st_cnn"]


def _sample_quality(run, sets: dict, mode: str, compare_samplers, n_samples: int,
                    seed: int) -> dict | None:
    """``sample_quality.sample_quality`` of the prior, the run's sampler and each of
    ``compare_samplers`` (fitted here to the training codes), beside the held-out
    reconstructions and images, with ``_two_sample_tests``; None when the sets are too
    small."""
    model, train, val = run.model, sets["train"], sets["validation"]
    tests = _two_sample_tests(mode, min(len(train["image"]), len(val["image"]), n_samples))
    if tests is None:
        return None
    own = model.sampler
    samples = {"prior": sets["samples"]["prior"]}
    if own is not model.prior:
        samples["sampler"] = sets["samples"]["sampler"]
    for sampler in compare_samplers:
        if own is not model.prior and _same_sampler(sampler, own):
            continue  # the run's own, in the "sampler" column
        name = _column(getattr(sampler, "name", type(sampler).__name__), samples)
        samples[name] = _decoded(model, run.fit(sampler, note="to compare it"), n_samples, seed)
    labels = run.data.schema.categorical
    result = sample_quality.sample_quality(
        train["image"], val["image"], val["rebuilt"], samples,
        train[batches.ids_key(labels[0].name)] if labels else None, seed=seed,
        two_sample_tests=tests)
    own_name = "prior" if own is model.prior else getattr(own, "name", type(own).__name__)
    return {"mode": mode, "sampler": own_name, "two_sample_tests": tests, **result}


def format_table(result: dict) -> str:
    """A two-column text table of every metric (nested keys joined by dots), then the
    sample-quality table (one column per sampler) when there is one."""
    def show(value):
        if isinstance(value, float):
            return f"{value:.4f}" if abs(value) < 1e4 else f"{value:.1f}"
        if isinstance(value, list):
            return "[" + ", ".join(show(v) for v in value) + "]"
        return str(value)

    flat = {key: value for key, value in result.items() if key != "sample_quality"}
    rows = [(name, show(value)) for name, value in metrics.flatten(flat).items()]
    width = max(len(name) for name, _ in rows)
    table = "\n".join(f"{name:<{width}}  {value}" for name, value in rows)
    quality = result.get("sample_quality")
    if quality is None:
        return table
    titles = {"sampler": f"{quality['sampler']} (the run's)"}
    return (f"{table}\n\nsamples ({quality['mode']}):\n"
            + sample_quality.format_table(quality, titles))


def scalars(result: dict) -> dict[str, float]:
    """The numeric metrics as ``{"validation/elbo": x, "kl_per_dimension/0": y, ...}``."""
    flat = metrics.flatten(result, "/", expand_lists=True)
    return {name: float(value) for name, value in flat.items()
            if isinstance(value, (int, float)) and not isinstance(value, bool)}
