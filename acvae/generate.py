"""Villagers from a trained model: ``python -m acvae.generate --run_dir=RUN COMMAND ...``.

Commands:

- ``sample --n 64 --out grid.png [--species Frog]``: decoded prior samples as a grid; with
  ``--species``, from a label-conditional model (``configs/conditional.gin``) for that species.
- ``interpolate "Agent S" "Peanut" --steps 12 --out walk.gif [--linear]``: a walk between the
  posterior means of two dataset villagers, by name; spherical (slerp, White 2016, "Sampling
  Generative Networks") by default, linear with ``--linear``. A conditional model also blends
  the two species' embeddings.
- ``reconstruct IMAGE.png --out rec.png``: any image file, fitted like the training data
  (aspect kept, padded), beside its reconstruction.

The run is rebuilt with ``acvae.runs.load_run`` (config and latest checkpoint). Outputs are
written atomically; mistakes end with one ``error:`` line (unknown names list the closest).
"""

from __future__ import annotations

import argparse
import difflib
import os
import pathlib
import sys

import numpy as np


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation between latents ``a`` and ``b`` [L] at fractions ``t`` [T].

    Follows the great circle between the directions of ``a`` and ``b`` (White 2016, Sec. 2.2);
    falls back to linear interpolation when they are (anti)parallel, as in 1D.

    Returns:
      float32 [T, L].
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    t = np.asarray(t, np.float64)[:, None]
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    cos = np.clip(np.dot(a, b) / norms, -1.0, 1.0) if norms > 0 else 1.0
    omega = np.arccos(cos)
    if np.sin(omega) < 1e-6:
        return lerp(a, b, t[:, 0])
    path = (np.sin((1.0 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    return path.astype(np.float32)


def lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Linear interpolation [T, L] between ``a`` and ``b`` [L] at fractions ``t`` [T]."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    t = np.asarray(t, np.float64)[:, None]
    return ((1.0 - t) * a + t * b).astype(np.float32)


def closest(what: str, name: str, valid) -> ValueError:
    """A one-line ValueError for an unknown ``name``, listing the closest valid names."""
    valid = sorted(set(valid))
    close = difflib.get_close_matches(name, valid, n=5, cutoff=0.4)
    if close:
        return ValueError(f"no {what} named {name!r}; closest: {', '.join(close)}")
    shown = ", ".join(valid[:20]) + (", ..." if len(valid) > 20 else "")
    return ValueError(f"no {what} named {name!r}; valid: {shown}")


def is_conditional(model) -> bool:
    """Whether ``model`` is label-conditional (has ``decode_mean_for`` and species names)."""
    return callable(getattr(model, "decode_mean_for", None)) and hasattr(model, "species")


def _check_species(model, species: str | None) -> None:
    if species is not None and not is_conditional(model):
        raise ValueError("--species needs a label-conditional model (configs/conditional.gin); "
                         "this run's model is not")


def sample(run, n: int, seed: int, species: str | None = None) -> np.ndarray:
    """n decoded prior samples, float32 [n, H, W, C] in [0, 1]."""
    _check_species(run.model, species)
    if species is None:
        return np.asarray(run.model.sample(n, seed=seed))
    return np.asarray(run.model.sample(n, seed=seed, species=species))


def find_villager(run, name: str) -> dict:
    """The image, species id and split of the villager called ``name`` (case-insensitive).

    Raises:
      ValueError: no such villager; lists the closest names.
    """
    from acvae.visualise import base

    names = []
    for split in base.SPLITS:
        for batch in getattr(run.data, split):
            batch_names = [v.decode("utf-8") for v in batch["name"].numpy()]
            names += batch_names
            for i, found in enumerate(batch_names):
                if found.lower() == name.lower():
                    return {"name": found, "split": split, "image": batch["image"][i].numpy(),
                            "species_id": int(batch["species_id"][i]) if "species_id" in batch
                            else -1}
    raise closest("villager", name, names)


def interpolate(run, first: str, second: str, steps: int, linear: bool = False) -> np.ndarray:
    """Decoded walk between two villagers' posterior means, float32 [steps, H, W, C]."""
    if steps < 2:
        raise ValueError(f"--steps must be at least 2, got {steps}")
    model = run.model
    ends = [find_villager(run, name) for name in (first, second)]
    images = np.stack([end["image"] for end in ends])
    t = np.linspace(0.0, 1.0, steps)
    if not is_conditional(model):
        mean, _ = model.encode(images)
        mean = np.asarray(mean)
        path = (lerp if linear else slerp)(mean[0], mean[1], t)
        return np.asarray(model.decode_mean(path))
    ids = np.asarray([end["species_id"] for end in ends], np.int32)
    mean, _ = model.encode(images, species_ids=ids)
    mean = np.asarray(mean)
    path = (lerp if linear else slerp)(mean[0], mean[1], t)
    conditions = np.asarray(model.condition(ids))
    return np.asarray(model.decode_mean_conditioned(path, lerp(conditions[0], conditions[1], t)))


def load_image(path: str, image_shape, n_channels: int) -> np.ndarray:
    """An image file as the model sees it: float32 [H, W, C] in [0, 1], aspect kept, padded."""
    import tensorflow as tf

    from acvae.data.images import ImageError, normalise_png
    from acvae.data.pipeline import fit_image

    if not pathlib.Path(path).is_file():
        raise FileNotFoundError(f"no image file at {path}")
    try:
        png = normalise_png(path)
    except ImageError as error:
        raise ValueError(f"cannot read {path}: {error}") from None
    rgba = tf.image.convert_image_dtype(tf.io.decode_png(png, channels=4), tf.float32)
    return fit_image(rgba, image_shape, n_channels).numpy()


def reconstruct(run, path: str, species: str | None = None) -> np.ndarray:
    """The fitted image and its reconstruction, float32 [2, H, W, C]."""
    _check_species(run.model, species)
    image = load_image(path, run.model.image_shape, run.model.n_channels)[None]
    if species is None:
        rebuilt = run.model.reconstruct(image)
    else:
        rebuilt = run.model.reconstruct(image, species_ids=run.model.species_ids(species, 1))
    return np.concatenate([image, np.asarray(rebuilt)])


def _grid(images: np.ndarray, cols: int, background: str, scale: int) -> np.ndarray:
    from acvae.visualise import base

    rgb = base.to_rgb(images, background)
    rgb = np.repeat(np.repeat(rgb, scale, axis=1), scale, axis=2)
    return base.tile(rgb, cols, fill=base.fill_colour(background))


def _frame(image: np.ndarray, i: int, n: int, background: str, scale: int) -> np.ndarray:
    """One GIF frame: the image above a progress bar (which keeps every frame distinct)."""
    from acvae.visualise import base

    picture = _grid(image[None], 1, background, scale)
    strip = base.caption_strip(f"{i + 1}/{n}", picture.shape[1], background=background,
                               progress=i / max(1, n - 1))
    return np.concatenate([picture, strip])


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m acvae.generate",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--run_dir", required=True, help="a run folder made by acvae.main")
    parser.add_argument("--seed", type=int, default=0, help="seed for prior samples")
    parser.add_argument("--background", default="white", help="colour under RGBA images")
    parser.add_argument("--scale", type=int, default=2, help="pixel upscaling of the output")
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("sample", help="decoded prior samples as a grid")
    p.add_argument("--n", type=int, default=64, help="number of samples")
    p.add_argument("--cols", type=int, default=None, help="grid columns (default: square)")
    p.add_argument("--species", help="a species, for a label-conditional model")
    p.add_argument("--out", default="samples.png", help="output PNG")
    p = commands.add_parser("interpolate", help="a walk between two villagers, as a GIF")
    p.add_argument("first", help="name of a villager in the dataset")
    p.add_argument("second", help="name of another villager")
    p.add_argument("--steps", type=int, default=12, help="frames, both ends included")
    p.add_argument("--linear", action="store_true", help="linear instead of spherical")
    p.add_argument("--fps", type=float, default=6.0, help="GIF frames per second")
    p.add_argument("--out", default="walk.gif", help="output GIF")
    p = commands.add_parser("reconstruct", help="an image file beside its reconstruction")
    p.add_argument("image", help="any image file Pillow reads")
    p.add_argument("--species", help="its species, for a label-conditional model")
    p.add_argument("--out", default="reconstruction.png", help="output PNG")
    return parser.parse_args(argv)


def main(argv=None) -> pathlib.Path:
    """Runs the command on ``argv`` (default: the command line) and returns what it wrote;
    user mistakes end with a one-line ``error: ...``."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if not pathlib.Path(args.run_dir).is_dir():
        raise SystemExit(f"error: no run folder {args.run_dir}")
    if getattr(args, "n", 1) < 1 or args.scale < 1:
        raise SystemExit("error: --n and --scale must be at least 1")
    import acvae.components  # noqa: F401  (registers everything an operative config names)
    from acvae import config, runs
    from acvae.visualise import base

    try:
        loaded = runs.load_run(args.run_dir)
        if args.command == "sample":
            images = sample(loaded, args.n, args.seed, args.species)
            cols = args.cols or int(np.ceil(np.sqrt(args.n)))
            path = base.save_png(_grid(images, cols, args.background, args.scale), args.out)
        elif args.command == "interpolate":
            images = interpolate(loaded, args.first, args.second, args.steps, args.linear)
            frames = [_frame(image, i, len(images), args.background, args.scale)
                      for i, image in enumerate(images)]
            path = base.save_gif(frames, args.out, args.fps)
        else:
            images = reconstruct(loaded, args.image, args.species)
            path = base.save_png(_grid(images, 2, args.background, args.scale), args.out)
    except config.USER_ERRORS as error:
        raise SystemExit(f"error: {config.explain(error)}") from None
    print(f"wrote {path}", flush=True)
    return pathlib.Path(path)


def run() -> None:
    """Console entry point (``acvae-generate``)."""
    main()


if __name__ == "__main__":
    run()
