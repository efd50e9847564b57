"""Tests for the command line: ``python -m acvae.main`` end to end in a subprocess."""

import subprocess
import sys

import pytest

from tests.conftest import REPO, without_tf_log


def _main(*args, cwd=REPO):
    """Runs acvae.main; returns the result with TensorFlow's C++ start-up log lines removed."""
    result = subprocess.run(
        [sys.executable, "-m", "acvae.main", *args],
        cwd=cwd, capture_output=True, text=True, timeout=600,
    )
    result.stderr = without_tf_log(result.stderr)
    return result


def test_list_shows_every_kind_of_component():
    result = _main("--list")
    assert result.returncode == 0, result.stderr
    for name in ("@datasets.synthetic", "@encoders.conv", "@decoders.dense", "@priors.vamp",
                 "@likelihoods.learned_gaussian", "@visualisers.loss", "@optimizers.adam"):
        assert name in result.stdout


@pytest.mark.parametrize(
    "params, expected",
    [
        (["build_vae.encoder = @encoders.nonexistent"], "valid encoders: conv, dense"),
        (["N_CHANNELS = 2"], "n_channels"),
        (["train.no_such_parameter = 1"], "n_epochs, epoch_step, validate_every, optimizer"),
        (["encoders.conv.filterz = (4,)"], "valid parameters: input_shape, latent_dim, filters"),
    ],
)
def test_config_mistakes_fail_without_traceback(params, expected, tmp_path):
    args = ["--gin_file=configs/demo.gin", "--gin_file=configs/test.gin", f"--run_dir={tmp_path}"]
    result = _main(*args, *[f"--gin_param={p}" for p in params])
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert expected in result.stderr


def test_missing_tfrecord_names_the_prepare_command(tmp_path):
    result = _main("--gin_file=configs/latent1d.gin", f"--gin_param=TFRECORD='{tmp_path}/none.tfrecord'",
                   f"--run_dir={tmp_path / 'run'}")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "python -m acvae.prepare" in result.stderr and "demo.gin" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_demo_config_trains_and_resumes(tmp_path):
    args = ["--gin_file=configs/demo.gin", "--gin_file=configs/test.gin", f"--run_dir={tmp_path}",
            "--gin_param=train.visualisers = [@visualisers.loss()]"]
    first = _main(*args, "--gin_param=N_EPOCHS = 1")
    assert first.returncode == 0, first.stderr
    assert "epoch 1/1" in first.stdout
    second = _main(*args, "--gin_param=N_EPOCHS = 2")
    assert second.returncode == 0, second.stderr
    assert "resuming after epoch 1" in second.stdout and "epoch 2/2" in second.stdout
    assert "unrestored" not in second.stderr  # TensorFlow's warnings for expected leftovers
    assert (tmp_path / "figures" / "loss.png").exists()
