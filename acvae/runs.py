"""A run folder and the objects behind it: what training writes and what tools reload.

``experiment`` is the one configurable that turns bindings into data and a model, used both
by ``acvae.train.train`` and by ``load_run``, which rebuilds them post hoc from the run's
``operative_config.gin`` and restores the latest readable checkpoint (for ``acvae.visualise``,
``acvae.evaluate`` and the other tools that work on a finished run).
"""

from __future__ import annotations

import dataclasses
import pathlib

import gin
import tensorflow as tf
from google.protobuf import text_format

from acvae import distribute, plugins, summaries  # noqa: F401  (distribute: strategies in saved configs)
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
      model: a factory ``(image_shape, n_channels, label_values) -> VAE``, by default
        ``build_vae``; ``label_values`` (``InputData.label_values``) serves models that
        condition on labels (``@models.conditional_vae`` in plugins/conditional.py).

    Returns:
      ``(data, vae)``, the model sized for the data's image shape, channels and labels.
    """
    vae = model(
        image_shape=dataset.image_shape,
        n_channels=dataset.n_channels,
        label_values=dataset.label_values,
    )
    return dataset, vae


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
    """The checkpoint object of a run: model, optimizer (when training) and the epoch.

    ``epoch`` counts finished epochs. A checkpoint saved on an interrupt (SIGINT/SIGTERM)
    in the middle of epoch ``epoch + 1`` also holds ``step``, the train steps already done in
    it, and ``partial``, their ``[sum rec, sum kl, count]``; both are 0 at epoch ends.
    """
    objects = {"model": model, "epoch": tf.Variable(0, dtype=tf.int64, trainable=False)}
    if optimizer is not None:
        objects["optimizer"] = optimizer
        objects["step"] = tf.Variable(0, dtype=tf.int64, trainable=False)
        objects["partial"] = tf.Variable(tf.zeros([3]), trainable=False)
    return tf.train.Checkpoint(**objects)


def checkpoint_paths(checkpoint_dir: str | pathlib.Path) -> list[str]:
    """Checkpoint prefixes in ``checkpoint_dir``, newest first (by their number).

    Read from the ``checkpoint`` state file, or from the ``*.index`` files when that file is
    missing or unreadable.
    """
    checkpoint_dir = pathlib.Path(checkpoint_dir)
    try:
        state = tf.train.get_checkpoint_state(str(checkpoint_dir))
        paths = list(state.all_model_checkpoint_paths) if state else []
    except (tf.errors.OpError, ValueError, OSError, text_format.ParseError):
        paths = []
    if not paths:  # both forms already include checkpoint_dir
        paths = [str(index.with_suffix("")) for index in checkpoint_dir.glob("ckpt-*.index")]
    return sorted(set(paths), key=_checkpoint_number, reverse=True)


def _checkpoint_number(path: str) -> int:
    suffix = pathlib.Path(path).name.rpartition("-")[2]
    return int(suffix) if suffix.isdigit() else -1


def restore(state: tf.train.Checkpoint, checkpoint_dir, strict: bool = True) -> str | None:
    """Restores the newest readable checkpoint of ``checkpoint_dir`` into ``state``.

    A corrupt checkpoint (truncated or garbled files) is skipped with a printed warning and
    the previous one is used.

    Args:
      state: the ``checkpoint(...)`` object to restore into.
      checkpoint_dir: the folder of a ``tf.train.CheckpointManager``.
      strict: require the model, optimizer and epoch to match those saved (training); False
        for tools that restore the model only.

    Returns:
      The restored prefix, or None when the folder holds no checkpoint.

    Raises:
      ValueError: one line, when a checkpoint does not fit ``state`` (another model) or when
        no checkpoint is readable.
    """
    paths = checkpoint_paths(checkpoint_dir)
    for i, path in enumerate(paths):
        try:
            if strict:  # model, optimizer and epoch must match; runs saved before the
                # interrupt progress (step, partial) existed restore without it
                core = {k: getattr(state, k) for k in ("model", "optimizer", "epoch")
                        if hasattr(state, k)}
                tf.train.Checkpoint(**core).restore(path).assert_existing_objects_matched()
            state.restore(path).expect_partial()
        except (AssertionError, ValueError) as error:
            raise ValueError(
                f"the checkpoint in {checkpoint_dir} does not fit this model "
                f"({_first_line(error)}); use another --run_dir or the config that made it"
            ) from None
        except Exception as error:  # noqa: BLE001  (a damaged file fails in many ways)
            fallback = (
                f"falling back to {pathlib.Path(paths[i + 1]).name}" if i + 1 < len(paths) else ""
            )
            print(
                f"warning: checkpoint {path} is unreadable ({_first_line(error)}); {fallback}",
                flush=True,
            )
            continue
        return path
    if paths:
        raise ValueError(
            f"no readable checkpoint in {checkpoint_dir}; move the run folder away to start afresh"
        )
    return None


def _first_line(error: Exception) -> str:
    lines = str(getattr(error, "message", None) or error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def load_run(run_dir: str | pathlib.Path) -> Run:
    """Rebuilds a run's data and model from its operative config and latest checkpoint.

    Raises:
      FileNotFoundError: ``run_dir`` has no operative config or no checkpoint (one line).
    """
    run_dir = pathlib.Path(run_dir)
    config = run_dir / summaries.CONFIG_FILE
    if not config.exists():
        raise FileNotFoundError(f"{run_dir} is not a run folder (no {summaries.CONFIG_FILE})")
    if not checkpoint_paths(run_dir / CHECKPOINT_DIR):
        raise FileNotFoundError(f"{run_dir} has no checkpoint yet; train it with acvae.main first")
    plugins.load_recorded(run_dir)
    with gin.unlock_config():
        gin.parse_config_file(str(config))
    data, model = experiment()
    state = checkpoint(model)
    restore(state, run_dir / CHECKPOINT_DIR, strict=False)
    return Run(
        run_dir=run_dir,
        model=model,
        data=data,
        history=summaries.read_history(run_dir),
        epoch=int(state.epoch.numpy()),
    )
