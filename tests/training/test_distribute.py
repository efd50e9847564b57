"""Tests for acvae.training.distribute and replicated training: two logical CPU devices against one."""

import json
import subprocess
import sys

import pytest

from acvae.core import registry
from acvae.training import distribute
from tests.conftest import REPO

# Logical devices must be configured before TensorFlow initialises: a fresh interpreter trains
# the same config with the default strategy and with MirroredStrategy over two CPU devices.
# SGD (unlike Adam) is sensitive to the gradient's scale, so a loss not averaged over the
# global batch would change the trajectory.
TWO_DEVICES = """
import json, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import gin
from acvae.core import config
from acvae.runs import summaries
from acvae.training.loop import train
tfrecord, out = sys.argv[1], sys.argv[2]
losses = {}
for name, strategy in (("one", "@strategies.default()"), ("two", "@strategies.mirrored()")):
    gin.clear_config()
    config.load(["configs/latent1d.gin", "configs/test.gin"],
                [f"TFRECORD = '{tfrecord}'", "train.visualisers = []", "N_EPOCHS = 2",
                 "train.optimizer = @optimizers.sgd()", "optimizers.sgd.learning_rate = 1e-3",
                 f"train.strategy = {strategy}"], finalize=False)
    run = train(f"{out}/{name}")
    losses[name] = [[row["train_loss"], row["val_loss"]] for row in run.history]
print("LOSSES", json.dumps(losses))
"""


def test_two_devices_follow_the_loss_trajectory_of_one(tmp_path, villagers_tfrecord):
    result = subprocess.run(
        [sys.executable, "-c", TWO_DEVICES, str(villagers_tfrecord), str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "2 replicas" in result.stdout
    losses = json.loads(result.stdout.split("LOSSES ", 1)[1])
    one, two = losses["one"], losses["two"]
    assert len(one) == len(two) == 2
    assert one[-1][0] < one[0][0] - 5  # it learns: the comparison below means something
    # the same within 0.1%: noise draws differ per replica, summation order too
    assert sum(two, []) == pytest.approx(sum(one, []), rel=1e-3)


def test_every_strategy_is_registered():
    assert {"default", "mirrored", "multi_worker", "tpu"} <= set(registry.names("strategies"))


def test_default_strategy_is_one_chief_device():
    strategy = distribute.default()
    assert strategy.num_replicas_in_sync == 1
    assert distribute.is_chief(strategy)


def test_tpu_without_a_tpu_gives_one_line():
    with pytest.raises(ValueError, match="no TPU found") as raised:
        distribute.tpu()
    assert "\n" not in str(raised.value)


def test_bad_communication_lists_the_valid_ones():
    with pytest.raises(ValueError, match="auto, ring, nccl"):
        distribute.multi_worker(communication="carrier pigeon")
