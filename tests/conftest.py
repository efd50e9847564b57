"""Shared pytest fixtures: a clean gin config per test, a private synthetic-data cache, a
small synthetic-villager TFRecord in the Kaggle layout shared by the whole session, and the
learning rates training steps ran with."""

import os
import pathlib
import re

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import gin  # noqa: E402
import pytest  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parent.parent
# TensorFlow 2.21's C++ start-up lines, printed before absl logging starts: acvae.core.cli holds them
# back, but a command module run as ``python -m acvae evaluate`` imports TensorFlow first
TF_LOG = re.compile(r"^(WARNING: All log messages before absl|[IWE]\d{4} )")


def quick_sampler_fits(config_file: pathlib.Path, steps: int = 5) -> list[str]:
    """Bindings that cut every learned sampler's fit a config sets (``samplers.X.steps = N``, a
    fit of minutes, tested on its own) to ``steps`` steps, for tests that train the config."""
    pattern = re.compile(r"^(samplers\.\w+\.steps) = ", re.M)
    return [f"{knob} = {steps}" for knob in pattern.findall(config_file.read_text())]


def configure_tiny(villagers_tfrecord, *params: str) -> None:
    """Loads the training tests' config afresh: ``configs/latent1d.gin`` with
    ``configs/test.gin`` on the test villagers, no figures, plus ``params`` (unfinalised)."""
    import gin

    from acvae.core import config

    gin.clear_config()
    config.load([str(REPO / "configs/latent1d.gin"), str(REPO / "configs/test.gin")],
                [f"TFRECORD = '{villagers_tfrecord}'", "train.visualisers = []", *params],
                finalize=False)


def train_shipped_config(run_dir: pathlib.Path, name: str, *params: str):
    """Trains ``configs/<name>.gin`` with ``configs/test.gin`` for 2 epochs and no figures into
    ``run_dir`` (plus ``params``); returns the ``Run`` and the rows of its ``history.csv``."""
    from acvae.core import config
    from acvae.runs.run_folder import RunFolder
    from acvae.training.loop import train

    config.load([str(REPO / f"configs/{name}.gin"), str(REPO / "configs/test.gin")],
                ["N_EPOCHS = 2", "train.visualisers = []", *params], finalize=False)
    run = train(run_dir)
    return run, RunFolder(run_dir).read_history()


def without_tf_log(stderr: str) -> str:
    """``stderr`` of a subprocess without TensorFlow's start-up log lines."""
    return "\n".join(line for line in stderr.splitlines() if not TF_LOG.match(line))


def read_events(path) -> list:
    """The ``tf.compat.v1.Event`` records of an event file; a truncated last record is dropped."""
    import tensorflow as tf

    from acvae.runs import summaries

    return [tf.compat.v1.Event.FromString(record) for record in summaries.event_records(path)[0]]


@pytest.fixture
def learning_rates_used(monkeypatch) -> list[float]:
    """The optimizer's learning rate at every ``Steps.train_steps`` call, in call order."""
    from acvae.training import steps

    used = []
    original = steps.Steps.train_steps

    def recording(self, iterator, n_steps, beta):
        used.append(float(self.optimizer.learning_rate))
        return original(self, iterator, n_steps, beta)

    monkeypatch.setattr(steps.Steps, "train_steps", recording)
    return used


@pytest.fixture(autouse=True)
def clean_gin_config():
    """Every test starts and ends with an empty, unlocked gin config."""
    gin.clear_config(clear_constants=True)
    yield
    gin.clear_config(clear_constants=True)


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Synthetic villagers are cached in a temporary folder, never in the user's cache."""
    cache = tmp_path_factory.mktemp("acvae-cache")
    previous = os.environ.get("ACVAE_CACHE")
    os.environ["ACVAE_CACHE"] = str(cache)
    yield cache
    if previous is None:
        os.environ.pop("ACVAE_CACHE", None)
    else:
        os.environ["ACVAE_CACHE"] = previous


@pytest.fixture(scope="session")
def villagers_tfrecord(private_cache) -> pathlib.Path:
    """A TFRecord of 24 synthetic villagers, made by the same prepare path as Kaggle data."""
    from acvae.data import synthetic

    return synthetic.cached_tfrecord(n=24, seed=0, cache_dir=private_cache)
