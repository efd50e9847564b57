"""Distribution strategies (gin kind ``strategies``): where the train step runs.

A config picks one with parentheses, ``train.strategy = @strategies.mirrored()``:

* ``default``: one device (the first GPU if there is one, else the CPU);
* ``mirrored``: every local GPU (or the listed ``devices``), variables mirrored, gradients
  all-reduced after each step;
* ``multi_worker``: several machines, each running the same command with its own ``TF_CONFIG``
  (``{"cluster": {"worker": [...]}, "task": {"type": "worker", "index": i}}``); worker 0 is the
  chief that writes the run folder;
* ``tpu``: a Cloud TPU found by ``TPUClusterResolver`` (``tpu`` names it; empty on a TPU VM).

``acvae.training.loop.train`` builds the model and optimizer inside ``strategy.scope()``, splits every
global batch across the replicas and averages the loss over the global batch, so the same
config gives the same loss trajectory on one device or several (up to the per-replica noise of
the posterior sample and float summation order).
"""

from __future__ import annotations

import json
import os

import tensorflow as tf

from acvae.core import registry
from acvae.core.errors import ConfigError, first_line


@registry.register("strategies")
def default() -> tf.distribute.Strategy:
    """One device: TensorFlow's default strategy (no replication)."""
    return tf.distribute.get_strategy()


@registry.register("strategies")
def mirrored(devices=None) -> tf.distribute.Strategy:
    """Synchronous data parallelism over the GPUs of this machine.

    Args:
      devices: device names (``["/gpu:0", "/gpu:1"]``); None: every local GPU, or the CPU
        when there is none.
    """
    return tf.distribute.MirroredStrategy(devices=None if devices is None else list(devices))


@registry.register("strategies")
def multi_worker(communication: str = "auto") -> tf.distribute.Strategy:
    """Synchronous data parallelism over the workers listed in ``TF_CONFIG``.

    Must be created before TensorFlow runs any op (``acvae.main`` does: gin creates it when
    ``train`` is called, before data and model are built).

    Args:
      communication: collective implementation, ``"auto"``, ``"ring"`` or ``"nccl"``.
    """
    implementations = {
        "auto": tf.distribute.experimental.CommunicationImplementation.AUTO,
        "ring": tf.distribute.experimental.CommunicationImplementation.RING,
        "nccl": tf.distribute.experimental.CommunicationImplementation.NCCL,
    }
    if communication not in implementations:
        raise ConfigError(
            f"strategies.multi_worker: communication must be one of {', '.join(implementations)}, "
            f"got {communication!r}"
        )
    try:
        json.loads(os.environ.get("TF_CONFIG") or "{}")
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"strategies.multi_worker: TF_CONFIG is not valid JSON ({error})"
        ) from None
    options = tf.distribute.experimental.CommunicationOptions(
        implementation=implementations[communication]
    )
    return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)


@registry.register("strategies")
def tpu(tpu: str = "") -> tf.distribute.Strategy:
    """A Cloud TPU (all its cores).

    Args:
      tpu: the TPU name or grpc address; empty on a TPU VM or when ``TPU_NAME`` is set.

    Raises:
      ConfigError: one line, when no TPU can be found or reached.
    """
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as error:
        reason = first_line(error)
        raise ConfigError(
            f"strategies.tpu: no TPU found ({reason}); use @strategies.default() or "
            "@strategies.mirrored() on this machine"
        ) from None
    return tf.distribute.TPUStrategy(resolver)


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes the run folder: always, except on non-chief workers."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    if task_type is None:  # no TF_CONFIG: a single local worker
        return True
    has_chief = "chief" in (resolver.cluster_spec().as_dict() or {})
    return task_type == "chief" or (task_type == "worker" and task_id == 0 and not has_chief)


def worker_id(strategy: tf.distribute.Strategy) -> str:
    """``"<task type>_<index>"`` of this worker (for its private checkpoint folder)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or resolver.task_type is None:
        return "local"
    return f"{resolver.task_type}_{resolver.task_id}"
