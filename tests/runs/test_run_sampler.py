"""A run's learned sampler in the product: fitted at the end of training and saved in
``RUN/sampler``, restored by every tool (its draws reach generate, export, the figures, the
explorer and evaluate), refitted in memory by the tools that only read a run, refitted and
saved by ``evaluate --refit_sampler``, resumed after a Ctrl-C, and its knobs range-checked."""

import json
import os
import shutil
import signal
import subprocess
import sys

import gin
import numpy as np
import pytest
import tensorflow as tf

from acvae.analysis import generation
from acvae.commands import evaluate, export, generate
from acvae.commands import visualise as visualise_command
from acvae.core import cli, config
from acvae.core.errors import ConfigError
from acvae.models import learned_samplers
from acvae.models.latent_diffusion import LatentDiffusionSampler
from acvae.runs import experiment
from acvae.runs.run_folder import RunFolder
from acvae.training import faults
from acvae.training.loop import train
from tests.conftest import REPO, without_tf_log
from tests.plugins.tiny_trained import trained_run

TINY = dict(width=8, depth=1, units=32, time_dim=16, timesteps=50, sampling_steps=5, steps=20,
            batch_size=16)
LEARNED = ["experiment.sampler = @samplers.latent_diffusion()",
           *(f"samplers.latent_diffusion.{key} = {value!r}" for key, value in TINY.items())]


@pytest.fixture(scope="module")
def learned_run(tmp_path_factory):
    """A one-epoch 16x16 demo run whose sampler is a tiny latent diffusion (shared: copy it
    before writing)."""
    return trained_run(tmp_path_factory, "demo", *LEARNED)


@pytest.fixture
def run_copy(learned_run, tmp_path):
    """A private copy of ``learned_run`` to write into."""
    return shutil.copytree(learned_run, tmp_path / "run")


def _fingerprint(run_dir) -> str:
    return learned_samplers.saved_state(RunFolder(run_dir).sampler_dir)["fit"]["fingerprint"]


def test_training_fits_the_learned_sampler_and_saves_it_in_the_run(learned_run):
    state = learned_samplers.saved_state(learned_run / "sampler")
    assert state["name"] == "latent_diffusion" and state["fit"]["steps"] == TINY["steps"]
    folder = RunFolder(learned_run)
    files = [path.relative_to(learned_run) for path in (learned_run / "sampler").rglob("*")
             if path.is_file()]
    assert len(files) >= 7 and all(folder.declares(path) for path in files), files
    # fitted to the codes of the weights every tool loads: the best checkpoint's
    run = experiment.load_run(learned_run, fit_sampler=False)
    assert not run.model.sampler.fitted
    codes = run.training_posteriors()
    assert state["fit"]["fingerprint"] == LatentDiffusionSampler(**TINY).fingerprint(*codes)


def _spy_on_draws(monkeypatch) -> list:
    """Records every draw of a latent diffusion sampler; a refit fails the test."""
    draws, sample = [], LatentDiffusionSampler.sample

    def recorded(self, n, seed=None):
        draws.append(n)
        return sample(self, n, seed)

    def refit(*args, **kwargs):
        raise AssertionError("the saved sampler was fitted again instead of restored")

    monkeypatch.setattr(LatentDiffusionSampler, "sample", recorded)
    monkeypatch.setattr(LatentDiffusionSampler, "fit", refit)
    return draws


def test_every_tool_restores_it_and_its_draws_reach_every_consumer(run_copy, tmp_path,
                                                                   monkeypatch):
    draws = _spy_on_draws(monkeypatch)
    saved = LatentDiffusionSampler(**TINY).restore(run_copy / "sampler")
    loaded = experiment.load_run(run_copy)
    np.testing.assert_array_equal(loaded.model.sampler.sample(3, seed=5),
                                  saved.sample(3, seed=5))
    np.testing.assert_allclose(generation.sample(loaded, 3, seed=5),
                               loaded.model.decode_mean(saved.sample(3, seed=5)), atol=1e-6)

    commands = {
        "generate": (generate.main, ["--run_dir", str(run_copy), "sample", "--n", "3",
                                     "--out", str(tmp_path / "samples.png")]),
        "export": (export.main, ["--run_dir", str(run_copy), "--out", str(tmp_path / "export")]),
        **{name: (visualise_command.main, ["--run_dir", str(run_copy), "--only", name])
           for name in ("nearest_train", "latent_grid", "index_html")},  # the explorer
        "evaluate": (evaluate.main, ["--run_dir", str(run_copy), "--k", "2", "--samples", "4",
                                     "--elbo_samples", "1", "--sample_quality", "off"]),
    }
    for name, (main, argv) in commands.items():
        gin.clear_config(clear_constants=True)
        draws.clear()
        cli.invoke(main, argv)
        assert draws, f"{name} drew nothing from the run's latent diffusion sampler"
    signature = json.loads((tmp_path / "export" / "signature.json").read_text())
    assert signature["sampler"] == "latent_diffusion"
    module = tf.saved_model.load(str(tmp_path / "export"))  # held: its variables live on
    exported = module.sample(tf.constant(2))
    assert exported["z"].shape == (2, loaded.model.latent_dim)
    assert np.all(np.isfinite(exported["images"].numpy()))


def test_read_only_tools_fit_a_stale_sampler_in_memory_and_evaluate_saves_it(
        run_copy, tmp_path, capsys):
    state_file = run_copy / "sampler" / learned_samplers.STATE_FILE
    real = _fingerprint(run_copy)
    state = json.loads(state_file.read_text())
    state["fit"]["fingerprint"] = "of other weights"
    state_file.write_text(json.dumps(state))
    stale = state_file.read_bytes()
    capsys.readouterr()
    cli.invoke(generate.main, ["--run_dir", str(run_copy), "sample", "--n", "2",
                               "--out", str(tmp_path / "samples.png")])
    out = capsys.readouterr().out
    assert (f"fitting the latent_diffusion sampler to 17 training codes (20 steps, 10 min at "
            f"most; in memory): {run_copy / 'sampler'} holds no fit of it to these weights' "
            f"codes (python -m acvae evaluate --run_dir={run_copy} saves one there)") in out
    assert state_file.read_bytes() == stale  # generate never writes the run

    def evaluated(*flags: str) -> str:
        gin.clear_config(clear_constants=True)
        cli.invoke(evaluate.main, ["--run_dir", str(run_copy), "--k", "2", "--samples", "4",
                                   "--elbo_samples", "1", "--sample_quality", "off", *flags])
        return capsys.readouterr().out

    assert f"checkpointed in {run_copy / 'sampler'}" in evaluated()
    assert _fingerprint(run_copy) == real  # saved for these weights ...
    assert "fitting" not in evaluated()  # ... and restored by the next command
    refitted = evaluated("--refit_sampler")
    assert "fitting the latent_diffusion sampler" in refitted and "resuming" not in refitted
    assert learned_samplers.saved_state(run_copy / "sampler")["fit"]["steps"] == TINY["steps"]


def test_evaluate_compares_a_learned_sampler_fitted_in_memory(run_copy, capsys):
    two_stage = dict(units=16, depth=1, steps=10, batch_size=8)
    result = cli.invoke(evaluate.main, [
        "--run_dir", str(run_copy), "--k", "2", "--samples", "5", "--elbo_samples", "1",
        "--sample_quality", "fast",
        "--gin_param", "evaluate.compare_samplers = [@samplers.two_stage_vae()]",
        *(f"--gin_param=samplers.two_stage_vae.{key} = {value}"
          for key, value in two_stage.items())])
    quality = result["sample_quality"]
    assert quality["sampler"] == "latent_diffusion"
    assert list(quality["sets"]) == ["prior", "sampler", "two_stage_vae",
                                     "held_out_reconstructions", "held_out"]
    assert all(np.isfinite(quality["sets"][name]["c2st_linear"]["auc"])
               for name in quality["sets"])
    out = capsys.readouterr().out
    assert "two_stage_vae sampler to 17 training codes (10 steps, 10 min at most; in memory)" \
           ": to compare it" in out
    assert "latent_diffusion (the run's)" in out
    assert not (run_copy / "sampler" / "two_stage_vae").exists()  # compared, not kept


def test_ctrl_c_during_the_fit_in_training_stops_it_and_the_same_command_resumes(
        tmp_path, monkeypatch, capsys):
    def configure():
        gin.clear_config(clear_constants=True)
        config.load([str(REPO / "configs/demo.gin"), str(REPO / "configs/test.gin")],
                    ["N_EPOCHS = 1", "train.visualisers = []", *LEARNED], finalize=False)

    calls, check = [], faults.StopSignals.stop_if_received

    def ctrl_c_at_the_eighth_step(signals):
        calls.append(1)
        if len(calls) == 8:
            os.kill(os.getpid(), signal.SIGINT)  # the real handler: announces, then stop
        check(signals)

    monkeypatch.setattr(faults.StopSignals, "stop_if_received", ctrl_c_at_the_eighth_step)
    configure()
    with pytest.raises(faults.TrainingInterrupted) as raised:
        train(tmp_path / "run")
    assert raised.value.signal_number == signal.SIGINT  # exit 130
    assert str(raised.value) == (
        f"SIGINT: stopped the latent_diffusion sampler's fit at step 7 of 20; its progress is "
        f"saved in {tmp_path / 'run' / 'sampler'}, where fitting it again resumes it (all "
        "checkpoints saved); run the same command again to finish the fit and write the "
        "figures")
    assert "SIGINT received: stopping before the final figures" in capsys.readouterr().out
    assert learned_samplers.saved_state(tmp_path / "run" / "sampler") is None

    monkeypatch.undo()
    configure()
    train(tmp_path / "run")
    assert "latent_diffusion sampler: resuming its fit at step 7" in capsys.readouterr().out
    assert learned_samplers.saved_state(tmp_path / "run" / "sampler")["fit"]["steps"] == 20


def test_a_learned_samplers_knob_out_of_range_is_one_error_line(tmp_path):
    with pytest.raises(ConfigError, match=r"^samplers.latent_diffusion.steps must be an "
                                          r"integer >= 1, got -1$"):
        config.load([str(REPO / "configs/demo.gin")], ["samplers.latent_diffusion.steps = -1"])
    result = subprocess.run(
        [sys.executable, "-m", "acvae.main", "--gin_file=configs/demo.gin",
         "--gin_param=samplers.two_stage_vae.ema_decay = 1.0", f"--run_dir={tmp_path / 'run'}"],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert without_tf_log(result.stderr).strip() == (
        "error: samplers.two_stage_vae.ema_decay must be a number in [0, 1), got 1.0")
    assert not (tmp_path / "run").exists()
