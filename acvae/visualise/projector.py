"""A run's validation embedding in TensorBoard's Embedding Projector (``tensorboard --logdir
RUN/logs``, then the Projector tab).

``write(run)`` stores, beside the validation scalars in ``RUN/logs/validation/`` (so the
projector lists it under TensorBoard's ``validation`` run): a checkpoint of one variable, the
posterior means ``[N, L]`` of the validation items (``embedding-<epoch>.*`` and its
``checkpoint`` state file); ``metadata.tsv``, one row per item with every column of the
dataset's schema (the identifier and every label; a header row when there is more than one
column; tabs and line breaks in values become spaces); ``sprite.png``, the images composited on
white and tiled row-major, at most 8192 pixels a side (TensorBoard's limit; thumbnails shrink to
fit); and ``projector_config.pbtxt`` tying them together, written by TensorBoard's own
``projector.visualize_embeddings``. Training writes it after the last epoch and
``acvae.commands.evaluate`` after every evaluation, each replacing the last. The files are declared
with the run folder's owner (``acvae.runs.run_folder.declare``), which writes the
metadata and the sprite; TensorBoard's own writers fill in the rest of the folder it names.
"""

from __future__ import annotations

import math
import os
import pathlib
import tempfile

import numpy as np
import tensorflow as tf

from acvae.data import batches
from acvae.runs import run_folder

DIRECTORY = f"{run_folder.LOGS_DIR}/validation"
CONFIG_FILE = "projector_config.pbtxt"  # the name TensorBoard's projector reads
METADATA_FILE = "metadata.tsv"
SPRITE_FILE = "sprite.png"
CHECKPOINT_NAME = "embedding"
TENSOR_NAME = "embedding/.ATTRIBUTES/VARIABLE_VALUE"
MAX_SPRITE_SIZE = 8192  # pixels a side, TensorBoard's limit
FILES = (CONFIG_FILE, METADATA_FILE, SPRITE_FILE, "checkpoint", f"{CHECKPOINT_NAME}-*")

for _name in FILES:
    run_folder.declare(f"{DIRECTORY}/{_name}")


def metadata_tsv(columns: dict[str, list[str]]) -> str:
    """The projector's metadata: one line per item, tab-separated, with a header line of the
    column names when there is more than one column (TensorBoard's rule).

    Args:
      columns: column name -> one value per item, in item order.
    """
    def clean(value) -> str:
        return " ".join(str(value).replace("\t", " ").splitlines()) or " "

    names = list(columns)
    rows = zip(*(columns[name] for name in names))
    lines = ["\t".join(clean(v) for v in row) for row in rows]
    if len(names) > 1:
        lines.insert(0, "\t".join(clean(name) for name in names))
    return "\n".join(lines) + "\n"


def sprite(images: np.ndarray,
           max_size: int = MAX_SPRITE_SIZE) -> tuple[np.ndarray, tuple[int, int]]:
    """A square sheet of thumbnails in item order, row-major.

    Args:
      images: uint8 ``[N, H, W, 3]``.
      max_size: the sheet's largest side in pixels; thumbnails shrink (keeping their aspect)
        to fit ``ceil(sqrt(N))`` of them in a row.

    Returns:
      (uint8 ``[rows * h, cols * w, 3]`` sheet on white, ``(w, h)`` of one thumbnail).
    """
    from PIL import Image

    n, height, width, _ = images.shape
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    scale = min(1.0, max_size / (cols * width), max_size / (rows * height))
    w, h = max(1, int(width * scale)), max(1, int(height * scale))
    if (w, h) != (width, height):
        images = np.stack([np.asarray(Image.fromarray(image).resize((w, h), Image.Resampling.BOX))
                           for image in images])
    sheet = np.full((rows * h, cols * w, 3), 255, np.uint8)
    for i, image in enumerate(images):
        r, c = divmod(i, cols)
        sheet[r * h:(r + 1) * h, c * w:(c + 1) * w] = image
    return sheet, (w, h)


def write(run, split: str = "validation") -> list[pathlib.Path]:
    """Writes the projector files of ``run`` (a ``Run``) for its current model and epoch.

    Args:
      run: the run; its folder must be open for writing by this process.
      split: the ``InputData`` split embedded (``"validation"`` or ``"train_eval"``).

    Returns:
      The paths written: the config, the metadata, the sprite and the checkpoint prefix.
    """
    from tensorboard.plugins import projector

    from acvae.visualise import files, images

    folder = run.folder
    for name in FILES:
        folder.declared_path(f"{DIRECTORY}/{name}")  # the owner must know every file
    directory = folder.path / DIRECTORY
    data = batches.collect(getattr(run.data, split), add=batches.posterior(run.model))
    schema = run.data.schema
    sheet, (width, height) = sprite(images.to_rgb(data["image"], "white"))
    metadata = metadata_tsv({column: list(data[column]) for column in schema.columns})
    folder.write_declared(f"{DIRECTORY}/{METADATA_FILE}",
                          lambda tmp: tmp.write_text(metadata, encoding="utf-8"))
    folder.write_declared(f"{DIRECTORY}/{SPRITE_FILE}", files.png(sheet))
    state = tf.train.Checkpoint(embedding=tf.Variable(data["z"], trainable=False))
    manager = tf.train.CheckpointManager(state, str(directory), max_to_keep=1,
                                         checkpoint_name=CHECKPOINT_NAME)
    prefix = manager.save(checkpoint_number=int(run.epoch))
    config = projector.ProjectorConfig()
    embedding = config.embeddings.add()
    embedding.tensor_name = TENSOR_NAME
    embedding.metadata_path = METADATA_FILE  # relative: the run folder can move
    embedding.sprite.image_path = SPRITE_FILE
    embedding.sprite.single_image_dim.extend([width, height])
    # TensorBoard writes the config into a folder; a hidden one beside it, then renamed
    with tempfile.TemporaryDirectory(prefix=".projector.", suffix=".tmp", dir=directory) as tmp:
        projector.visualize_embeddings(tmp, config)
        os.replace(pathlib.Path(tmp) / CONFIG_FILE, directory / CONFIG_FILE)
    return [directory / CONFIG_FILE, directory / METADATA_FILE, directory / SPRITE_FILE,
            pathlib.Path(prefix)]
