"""Images from a trained model, as library functions (``acvae.commands.generate`` is the
command): decoded samples of the model's sampler (``sample``), a walk between the posterior
means of two dataset items found by identifier (``find_item``, ``interpolate``; spherical,
``slerp``, White 2016, "Sampling Generative Networks", or linear, ``lerp``), and any image
file fitted like the training data beside its reconstruction (``load_image``,
``reconstruct``). A label-conditional model (``configs/conditional.gin``) is given a value of
its label by name (``label_id``). Every function returns float32 images [N, H, W, C] in
[0, 1]; a user's mistake (an unknown item or label value, a missing image file) is one
``UserError`` line listing the closest valid names.
"""

from __future__ import annotations

import difflib
import pathlib
import unicodedata

import numpy as np
import tensorflow as tf

from acvae.core.errors import UserError
from acvae.data import batches
from acvae.data.images import ImageError, normalise_png
from acvae.data.pipeline import fit_image


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
    """Linear interpolation [T, ...] between ``a`` and ``b`` [...] at fractions ``t`` [T]."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    t = np.asarray(t, np.float64).reshape(-1, *([1] * a.ndim))
    return ((1.0 - t) * a + t * b).astype(np.float32)


def _key(text: str) -> str:
    """Text compared as a user means it: Unicode-normalised (NFC), case-folded."""
    return unicodedata.normalize("NFC", str(text)).casefold()


def closest(what: str, name: str, valid) -> UserError:
    """A one-line error for an unknown ``name`` ("no {what} {name!r}"), listing the closest
    valid names."""
    valid = sorted(set(map(str, valid)))
    close = difflib.get_close_matches(name, valid, n=5, cutoff=0.4)
    if close:
        return UserError(f"no {what} {name!r}; closest: {', '.join(close)}")
    shown = ", ".join(valid[:20]) + (", ..." if len(valid) > 20 else "")
    return UserError(f"no {what} {name!r}; valid: {shown}")


def label_id(model, value: str, flag: str = "--label_value") -> int:
    """The id of ``value`` in the values of the label ``model`` conditions on.

    Raises:
      UserError: the model conditions on nothing, or ``value`` is not one of the label's
        values (listing the closest).
    """
    label = model.conditions
    if label is None:
        raise UserError(f"{flag} needs a label-conditional model (configs/conditional.gin); "
                        "this run's model is not")
    ids = {_key(v): i for i, v in enumerate(label.values)}
    if _key(value) in ids:
        return ids[_key(value)]
    close = difflib.get_close_matches(str(value), label.values, n=5, cutoff=0.5)
    raise UserError(f"unknown {label.name} {value!r}; "
                    f"{'closest' if close else 'valid'}: {', '.join(close or label.values)}")


def sample(run, n: int, seed: int, value: str | None = None) -> np.ndarray:
    """n decoded samples, float32 [n, H, W, C] in [0, 1] (of the label value ``value``)."""
    condition = None if value is None else np.full(n, label_id(run.model, value), np.int32)
    return np.asarray(run.model.sample(n, seed=seed, condition=condition))


def find_item(run, name: str) -> dict:
    """The dataset row (from either split) whose identifier is ``name`` (case and Unicode
    normalisation ignored): its image, label ids and strings.

    Raises:
      UserError: no such item; lists the closest identifiers.
    """
    id_column, names = run.data.schema.id, []
    for split in ("train_eval", "validation"):
        rows = batches.collect(getattr(run.data, split))
        names += list(rows[id_column])
        for i, found in enumerate(rows[id_column]):
            if _key(found) == _key(name):
                return {key: values[i] for key, values in rows.items()}
    raise closest(f"item with {id_column}", name, names)


def interpolate(run, first: str, second: str, steps: int, linear: bool = False) -> np.ndarray:
    """Decoded walk between two items' posterior means, float32 [steps, H, W, C]; a
    conditional model walks from the first item's label value to the second's too."""
    if steps < 2:
        raise UserError(f"--steps must be at least 2, got {steps}")
    model = run.model
    rows = [find_item(run, name) for name in (first, second)]
    ends = {key: np.stack([row[key] for row in rows]) for key in rows[0]}
    condition = model.condition_of(ends)
    mean, _ = model.encode(ends["image"], condition)
    mean = np.asarray(mean)
    t = np.linspace(0.0, 1.0, steps)
    path = (lerp if linear else slerp)(mean[0], mean[1], t)
    if condition is not None:  # blend the two values' one-hot weights
        weights = np.eye(len(model.conditions.values), dtype=np.float32)[np.asarray(condition)]
        condition = lerp(weights[0], weights[1], t)
    return np.asarray(model.decode_mean(path, condition))


def load_image(path: str, image_shape, n_channels: int) -> np.ndarray:
    """An image file as the model sees it: float32 [H, W, C] in [0, 1], aspect kept, padded."""
    if not pathlib.Path(path).is_file():
        raise UserError(f"no image file at {path}")
    try:
        png = normalise_png(path)
    except ImageError as error:
        raise UserError(f"cannot read {path}: {error}") from None
    rgba = tf.image.convert_image_dtype(tf.io.decode_png(png, channels=4), tf.float32)
    return fit_image(rgba, image_shape, n_channels).numpy()


def reconstruct(run, path: str, value: str | None = None) -> np.ndarray:
    """The fitted image and its reconstruction, float32 [2, H, W, C]."""
    model = run.model
    condition = None if value is None else np.asarray([label_id(model, value)], np.int32)
    image = load_image(path, model.image_shape, model.n_channels)[None]
    return np.concatenate([image, np.asarray(model.reconstruct(image, condition))])
