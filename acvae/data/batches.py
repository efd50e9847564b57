"""What a batch holds, and datasets gathered into numpy arrays.

A batch of ``acvae.data`` is a dict: ``"image"`` float32 [B, H, W, C] in [0, 1], the
identifier and every label as string tensors [B] under their column names (a continuous
label as float32 [B]), and ``"<label>_id"`` int32 [B] (``ids_key``) for every categorical
label. ``numeric`` keeps what a compiled step may take (numbers: XLA takes no strings);
``collect`` gathers a whole split into numpy arrays, optionally with per-batch extras such as
posterior means (``posterior``); ``factors`` picks the dataset's factors out of them.
This is the one place that walks a dataset into arrays: figures, evaluation, generation and
plugins all use it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf


def ids_key(label: str) -> str:
    """The batch key of a categorical label's int32 ids: ``"<label>_id"``."""
    return f"{label}_id"


def numeric(batch: dict) -> dict:
    """The batch without its string columns: the image and the label ids."""
    return {key: value for key, value in batch.items() if value.dtype != tf.string}


def _as_numpy(value) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype == object:  # tf.string -> Python str
        array = np.asarray([v.decode("utf-8") for v in array], object)
    return array


def collect(dataset, limit: int | None = None, add: Callable[[dict], dict] | None = None,
            keep=None) -> dict[str, np.ndarray]:
    """Gathers a batched dataset into numpy arrays with one row per example.

    Args:
      dataset: batches as described above (any dict of equally long tensors).
      limit: keep only this many examples. The rest of the dataset is still read (and not
        converted), so a cache the dataset fills on its first pass is completed, not thrown
        away with TensorFlow's "did not fully read the dataset being cached" warning.
      add: called on every batch; returns more arrays [B, ...] to gather (e.g. ``posterior``).
      keep: the batch keys to gather (all by default); ``add``'s results are always gathered.

    Returns:
      The kept keys of the batches (strings as Python ``str``) and ``add``'s results.

    Raises:
      ValueError: the dataset is empty.
    """
    parts: dict[str, list] = {}
    count = 0
    for batch in dataset:
        if limit is not None and count >= limit:
            continue  # read to the end: see ``limit``
        arrays = {key: _as_numpy(value) for key, value in batch.items()
                  if keep is None or key in keep}
        if add is not None:
            arrays.update({key: np.asarray(value) for key, value in add(batch).items()})
        for key, value in arrays.items():
            parts.setdefault(key, []).append(value)
        count += len(next(iter(batch.values())))
    if not parts:
        raise ValueError("the dataset is empty")
    return {key: np.concatenate(values)[:limit] for key, values in parts.items()}


def factors(arrays: dict[str, np.ndarray], schema) -> dict[str, np.ndarray]:
    """The factors of collected items (``schema.factors``), as the disentanglement scores take
    them: each categorical label's int ids, each continuous label's floats.

    Args:
      arrays: ``collect``'s result for a split (with every label's key).
      schema: the dataset's ``acvae.data.schema.Schema``.

    Returns:
      ``{label: int32 [N] ids or float32 [N] values}`` in table order.
    """
    return {label.name: arrays[ids_key(label.name) if label.categorical else label.name]
            for label in schema.factors}


def posterior(model) -> Callable[[dict], dict]:
    """A ``collect`` extra: the posterior ``"z"`` (means) and ``"logvar"`` [B, L] of each image,
    under the condition the batch feeds the model (``model.condition_of``)."""

    def add(batch: dict) -> dict:
        mean, logvar = model.posterior(batch["image"], model.condition_of(batch))
        return {"z": np.asarray(mean, np.float32), "logvar": np.asarray(logvar, np.float32)}

    return add
