"""A run folder and the objects behind it: what training writes and what tools reload.

``experiment`` is the one configurable that turns bindings into data and a model, used both
by ``acvae.train.train`` and by ``load_run``, which rebuilds them post hoc from the run's
``operative_config.gin`` and restores the latest checkpoint (for ``acvae.visualise``,
``acvae.evaluate`` and the other tools that work on a finished run).
"""

from __future__ import annotations

import dataclasses
import pathlib

import gin
import tensorflow as tf

from acvae import summaries
from acvae.data.pipeline import InputData
from acvae.models.vae import VAE, build_vae

CHECKPOINT_DIR = "checkpoints"
FIGURES_DIR = "figures"


@gin.configurable(module="acvae")
def experiment(dataset: InputData = gin.REQUIRED, model=build_vae) -> tuple[InputData, VAE]:
    """Builds the data and the model of a run.

    Args:
      dataset: the input data, normally a registered dataset called by gin
        (``experiment.dataset = @datasets.synthetic()``).
      model: a factory ``(image_shape, n_channels) -> VAE``, by default ``build_vae``.

    Returns:
      ``(data, vae)``, the model sized for the data's image shape and channels.
    """
    return dataset, model(image_shape=dataset.image_shape, n_channels=dataset.n_channels)


@dataclasses.dataclass
class Run:
    """A run folder with its live (training) or reloaded (post hoc) objects."""

    run_dir: pathlib.Path
    model: VAE
    data: InputData
    history: list[dict[str, float]]
    epoch: int

    @property
    def figures_dir(self) -> pathlib.Path:
        """``RUN/figures``, created on first use."""
        path = self.run_dir / FIGURES_DIR
        path.mkdir(parents=True, exist_ok=True)
        return path


def checkpoint(model: VAE, optimizer=None) -> tf.train.Checkpoint:
    """The checkpoint object of a run: model, optimizer (when training) and the epoch."""
    objects = {"model": model, "epoch": tf.Variable(0, dtype=tf.int64, trainable=False)}
    if optimizer is not None:
        objects["optimizer"] = optimizer
    return tf.train.Checkpoint(**objects)


def load_run(run_dir: str | pathlib.Path) -> Run:
    """Rebuilds a run's data and model from its operative config and latest checkpoint.

    Raises:
      FileNotFoundError: ``run_dir`` has no operative config or no checkpoint (one line).
    """
    run_dir = pathlib.Path(run_dir)
    config = run_dir / summaries.CONFIG_FILE
    if not config.exists():
        raise FileNotFoundError(f"{run_dir} is not a run folder (no {summaries.CONFIG_FILE})")
    latest = tf.train.latest_checkpoint(str(run_dir / CHECKPOINT_DIR))
    if latest is None:
        raise FileNotFoundError(f"{run_dir} has no checkpoint yet; train it with acvae.main first")
    with gin.unlock_config():
        gin.parse_config_file(str(config))
    data, model = experiment()
    state = checkpoint(model)
    state.restore(latest).expect_partial()
    return Run(
        run_dir=run_dir,
        model=model,
        data=data,
        history=summaries.read_history(run_dir),
        epoch=int(state.epoch.numpy()),
    )
