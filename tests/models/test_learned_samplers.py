"""Learned latent samplers (two-stage VAE, latent diffusion): fit, sample, save, restore,
resume, export, a known Gaussian, and the diffusion's schedule against closed forms."""

import fnmatch
import itertools
import json
import signal
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from acvae.core import registry
from acvae.core.errors import ConfigError
from acvae.models import build_vae, learned_samplers
from acvae.models.latent_diffusion import (LatentDiffusionSampler, alpha_bars, ddim_step,
                                           diffuse, from_velocity, sampling_times, velocity)
from acvae.models.learned_samplers import CodeLayout
from acvae.models.two_stage import TwoStageVAESampler
from tests.conftest import REPO
from tests.plugins.tiny_trained import trained_run

# Small networks and few steps: the shapes, the state and the plumbing, not the quality.
TINY = {
    "two_stage_vae": dict(units=32, depth=2, steps=20, batch_size=16),
    "latent_diffusion": dict(width=8, depth=1, units=32, time_dim=16, timesteps=50,
                             sampling_steps=5, steps=20, batch_size=16),
}
SAMPLERS = {"two_stage_vae": TwoStageVAESampler, "latent_diffusion": LatentDiffusionSampler}


@pytest.fixture
def map_vae(tiny):
    """An untrained VAE of 16x16 RGBA images whose 34-number code is 2 global numbers and a
    4x4x2 latent map (``build_vae.map_channels``)."""
    return build_vae((16, 16), 4, latent_dim=2, map_channels=2)


def _codes(n=64, dim=34, seed=0):
    rng = np.random.default_rng(seed)
    means = rng.normal(size=(n, dim)).astype(np.float32) * np.linspace(0.5, 2.0, dim)
    return means, np.full_like(means, np.log(0.1))


def test_the_layout_is_read_from_the_decoder(map_vae):
    assert CodeLayout.of(map_vae, 34) == CodeLayout(2, (4, 4, 2))
    assert CodeLayout.of(None, 5) == CodeLayout(5)
    assert CodeLayout.from_json(CodeLayout(2, (4, 4, 2)).to_json()) == CodeLayout(2, (4, 4, 2))
    with pytest.raises(ValueError, match="cannot hold"):
        CodeLayout.of(map_vae, 20)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_fitted_sampler_draws_finite_reproducible_codes_and_restores(name, map_vae, tmp_path):
    assert registry.get("samplers", name) is SAMPLERS[name]
    means, logvars = _codes()
    sampler = SAMPLERS[name](**TINY[name])
    with pytest.raises(RuntimeError, match="before it was fitted"):
        sampler.sample(2)
    sampler.fit(map_vae, means, logvars)
    assert sampler.layout == CodeLayout(2, (4, 4, 2))
    assert sampler.fit_info["steps"] == 20 and np.isfinite(sampler.fit_info["final_loss"])
    assert sampler.fit_info["fingerprint"] == sampler.fingerprint(means, logvars)
    assert sampler.fingerprint(means + 1.0, logvars) != sampler.fingerprint(means, logvars)
    draws = sampler.sample(7, seed=3).numpy()
    assert draws.shape == (7, 34) and np.all(np.isfinite(draws))
    np.testing.assert_array_equal(draws, sampler.sample(7, seed=3).numpy())
    assert not np.allclose(draws, sampler.sample(7, seed=4).numpy())
    assert sampler.sample(7).shape == (7, 34)  # no seed: fresh randomness

    refitted = SAMPLERS[name](**TINY[name]).fit(map_vae, means, logvars)
    refitted.sample(7, seed=3)  # compiles what it samples with, then is fitted again
    refitted.fit(map_vae, means + 1.0, logvars).save(tmp_path / "refitted")
    np.testing.assert_array_equal(  # drawn with the new networks, not the ones compiled first
        refitted.sample(7, seed=3).numpy(),
        SAMPLERS[name](**TINY[name]).restore(tmp_path / "refitted").sample(7, seed=3).numpy())

    sampler.save(tmp_path / "saved")
    restored = SAMPLERS[name](**TINY[name]).restore(tmp_path / "saved")
    np.testing.assert_array_equal(restored.sample(7, seed=3).numpy(), draws)
    assert restored.fit_info == sampler.fit_info
    with pytest.raises(ConfigError, match="refit it"):
        SAMPLERS[name](**{**TINY[name], "steps": 21}).restore(tmp_path / "saved")
    with pytest.raises(FileNotFoundError, match="no saved sampler"):
        SAMPLERS[name](**TINY[name]).restore(tmp_path / "empty")


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_a_model_with_a_learned_sampler_exports_its_sample_function(name, map_vae, tmp_path):
    """The sampler's variables are built by the fit and tracked through the model, so the
    SavedModel's ``sample(n)`` runs the sampler's networks."""
    from acvae.analysis import saved_model

    map_vae.sampler = SAMPLERS[name](**TINY[name]).fit(map_vae, *_codes())
    module = saved_model.ExportedVAE(map_vae)
    tf.saved_model.save(module, str(tmp_path / "export"), signatures=module.signatures())
    loaded = tf.saved_model.load(str(tmp_path / "export"))
    out = loaded.sample(tf.constant(3))
    assert out["z"].shape == (3, 34) and out["images"].shape == (3, 16, 16, 4)
    assert np.all(np.isfinite(out["z"].numpy()))


def test_a_fit_is_resumed_from_its_directory_and_restarts_for_other_codes(
        map_vae, tmp_path, monkeypatch, capsys):
    means, logvars = _codes()
    settings = {**TINY["latent_diffusion"], "checkpoint_every": 5}
    clock = itertools.count()  # a fake clock: one second per reading, so the fit is cut short
    monkeypatch.setattr(learned_samplers, "perf_counter", lambda: float(next(clock)))
    cut = LatentDiffusionSampler(**settings, max_seconds=8.0).fit(map_vae, means, logvars,
                                                                  tmp_path / "fit")
    monkeypatch.undo()
    assert 0 < cut.fit_info["steps"] < settings["steps"]

    resumed = LatentDiffusionSampler(**settings).fit(map_vae, means, logvars, tmp_path / "fit")
    assert f"resuming its fit at step {cut.fit_info['steps']}" in capsys.readouterr().out
    assert resumed.fit_info["steps"] == settings["steps"]
    again = LatentDiffusionSampler(**settings).fit(map_vae, means, logvars, tmp_path / "fit")
    assert again.fit_info["steps"] == settings["steps"] and again.fit_info["final_loss"] is None
    np.testing.assert_array_equal(again.sample(5, seed=1), resumed.sample(5, seed=1))
    saved = LatentDiffusionSampler(**settings).restore(tmp_path / "fit")  # fit saves there
    np.testing.assert_array_equal(saved.sample(5, seed=1), resumed.sample(5, seed=1))

    capsys.readouterr()
    LatentDiffusionSampler(**settings).fit(map_vae, means + 1.0, logvars, tmp_path / "fit")
    assert "resuming" not in capsys.readouterr().out


def test_a_saved_fit_is_restored_only_for_the_same_codes_and_settings(map_vae, tmp_path):
    means, logvars = _codes()
    assert learned_samplers.saved_state(tmp_path / "fit") is None
    assert not LatentDiffusionSampler(**TINY["latent_diffusion"]).restore_if_fitted(
        tmp_path / "fit", means, logvars)
    fitted = LatentDiffusionSampler(**TINY["latent_diffusion"]).fit(map_vae, means, logvars,
                                                                   tmp_path / "fit")
    assert learned_samplers.saved_state(tmp_path / "fit")["fit"] == fitted.fit_info
    restored = LatentDiffusionSampler(**TINY["latent_diffusion"])
    assert restored.restore_if_fitted(tmp_path / "fit", means, logvars)
    np.testing.assert_array_equal(restored.sample(4, seed=2), fitted.sample(4, seed=2))
    for other, codes in ((dict(TINY["latent_diffusion"], steps=21), (means, logvars)),
                         (TINY["latent_diffusion"], (means + 1.0, logvars))):
        sampler = LatentDiffusionSampler(**other)
        assert not sampler.restore_if_fitted(tmp_path / "fit", *codes)
        assert not sampler.fitted
    written = sorted(path.relative_to(tmp_path / "fit").as_posix()
                     for path in (tmp_path / "fit").rglob("*") if path.is_file())
    assert all(any(fnmatch.fnmatch(path, glob) for glob in learned_samplers.SAVED_FILES)
               for path in written), written


def test_a_stopped_fit_is_checkpointed_says_where_and_resumes(map_vae, tmp_path):
    means, logvars = _codes()
    calls = itertools.count()

    def stop():
        if next(calls) == 7:  # before the eighth step: seven were trained
            raise KeyboardInterrupt

    sampler = LatentDiffusionSampler(**TINY["latent_diffusion"])
    assert sampler.budget == "20 steps, 10 min at most"
    with pytest.raises(learned_samplers.FitInterrupted) as raised:
        sampler.fit(map_vae, means, logvars, tmp_path / "fit", stop=stop)
    assert raised.value.signal_number == signal.SIGINT
    assert str(raised.value) == (
        f"stopped the latent_diffusion sampler's fit at step 7 of 20; its progress is saved in "
        f"{tmp_path / 'fit'}, where fitting it again resumes it")
    assert learned_samplers.saved_state(tmp_path / "fit") is None  # not a finished fit
    resumed = LatentDiffusionSampler(**TINY["latent_diffusion"]).fit(map_vae, means, logvars,
                                                                    tmp_path / "fit")
    assert resumed.fit_info["steps"] == 20
    calls = itertools.count()  # in memory: nothing is saved, and the message says no more
    with pytest.raises(learned_samplers.FitInterrupted, match="at step 7 of 20$"):
        LatentDiffusionSampler(**TINY["latent_diffusion"]).fit(map_vae, means, logvars,
                                                               stop=stop)


@pytest.mark.parametrize("name, settings", [
    ("two_stage_vae", dict(units=64, depth=2, steps=1500, learning_rate=3e-3)),
    ("latent_diffusion", dict(units=64, depth=2, steps=1500, timesteps=200,
                              sampling_steps=50, learning_rate=3e-3)),
])
def test_samples_match_a_known_gaussian(name, settings):
    """Codes from N(mu, Sigma) with a strong correlation: the samples' mean and covariance
    are those of the Gaussian (a flat code: no model, no map)."""
    rng = np.random.default_rng(0)
    mu = np.array([3.0, -1.0, 0.5, 10.0])
    scale = np.array([[1.0, 0, 0, 0], [1.6, 1.2, 0, 0], [0, 0, 0.3, 0], [0, 0, 0, 4.0]])
    codes = (mu + rng.standard_normal((2000, 4)) @ scale.T).astype(np.float32)
    sampler = SAMPLERS[name](**settings, max_seconds=600.0).fit(None, codes)
    draws = sampler.sample(4000, seed=0).numpy().astype(np.float64)
    sd = np.sqrt(np.diag(scale @ scale.T))
    np.testing.assert_allclose((draws.mean(0) - mu) / sd, 0.0, atol=0.12)
    np.testing.assert_allclose(draws.std(0) / sd, 1.0, atol=0.15)
    np.testing.assert_allclose(np.corrcoef(draws.T)[0, 1], 0.8, atol=0.1)
    assert abs(np.corrcoef(draws.T)[0, 3]) < 0.1


def test_two_stage_log_prob_estimates_the_density_of_a_known_gaussian():
    rng = np.random.default_rng(1)
    codes = (rng.standard_normal((2000, 3)) * [1.0, 2.0, 0.5] + 1.0).astype(np.float32)
    sampler = TwoStageVAESampler(units=64, depth=2, steps=1500, learning_rate=3e-3).fit(
        None, codes)
    z = codes[:200]
    exact = -0.5 * (((z - 1.0) / [1.0, 2.0, 0.5]) ** 2).sum(1) - np.log(
        [1.0, 2.0, 0.5]).sum() - 1.5 * np.log(2 * np.pi)
    estimate = sampler.log_prob(z, importance_samples=32).numpy()
    assert abs(estimate.mean() - exact.mean()) < 0.25


def test_the_schedules_are_their_closed_forms():
    betas = np.linspace(1e-4, 0.02, 1000)
    np.testing.assert_allclose(alpha_bars("linear", 1000), np.cumprod(1 - betas), rtol=1e-12)
    f = lambda t: np.cos((t / 1000 + 0.008) / 1.008 * np.pi / 2) ** 2  # noqa: E731
    t = np.arange(1, 900)  # below the clipping of beta at 0.999
    np.testing.assert_allclose(alpha_bars("cosine", 1000)[t - 1], f(t) / f(0), rtol=1e-9)
    assert np.all(np.diff(alpha_bars("cosine", 1000)) < 0)
    with pytest.raises(ConfigError, match="schedule must be one of cosine, linear"):
        LatentDiffusionSampler(schedule="quadratic")


def test_the_forward_process_has_the_closed_form_mean_and_variance():
    """q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I) (Ho et al. 2020, Eq. 4)."""
    alpha_bar = alpha_bars("cosine", 100)[[10, 60, 95]].astype(np.float32)
    x0 = np.array([[2.0, -1.0, 0.5]] * 3, np.float32)  # one row per abar
    draws = 20000
    noise = tf.random.stateless_normal([draws * 3, 3], seed=(0, 1))
    x_t = diffuse(tf.constant(np.tile(x0, (draws, 1))), np.tile(alpha_bar, draws), noise)
    x_t = x_t.numpy().reshape(draws, 3, 3)
    np.testing.assert_allclose(x_t.mean(0), np.sqrt(alpha_bar)[:, None] * x0, atol=0.02)
    np.testing.assert_allclose(x_t.var(0), np.broadcast_to((1 - alpha_bar)[:, None], (3, 3)),
                               rtol=0.05)


def test_the_velocity_gives_back_x0_and_the_noise():
    """v = sqrt(abar) eps - sqrt(1 - abar) x0 (Salimans & Ho 2022) of x_t: x0 and eps follow
    without division, even where abar is nearly 0."""
    x0 = tf.constant([[1.5, -0.5, 3.0]], tf.float64)
    noise = tf.constant([[0.3, 2.0, -1.0]], tf.float64)
    for alpha_bar in (0.999, 0.5, 1e-8):
        x_t = diffuse(x0, alpha_bar, noise)
        got_x0, got_eps = from_velocity(x_t, velocity(x0, noise, alpha_bar), alpha_bar)
        np.testing.assert_allclose(got_x0, x0, rtol=1e-9)
        np.testing.assert_allclose(got_eps, noise, rtol=1e-9)


def test_ddim_with_the_true_x0_and_noise_is_ddpms_posterior_and_lands_on_x0():
    """Given the true x_0 and eps: eta = 1 on consecutive steps is DDPM's posterior
    q(x_{t-1} | x_t, x_0) (Ho et al. Eqs. 6-7); eta = 0 keeps the same noise direction; the
    last step (abar_prev = 1) returns x_0."""
    abar = alpha_bars("linear", 1000)
    t = 500
    a, a_prev, beta = abar[t], abar[t - 1], 1 - abar[t] / abar[t - 1]
    x0, eps = np.array([[1.5, -0.5]]), np.array([[0.3, 2.0]])
    x_t = np.sqrt(a) * x0 + np.sqrt(1 - a) * eps
    mean = (np.sqrt(a_prev) * beta / (1 - a)) * x0 + (np.sqrt(1 - beta) * (1 - a_prev)
                                                     / (1 - a)) * x_t
    variance = (1 - a_prev) / (1 - a) * beta
    zero, one = np.zeros_like(x0), np.ones_like(x0)
    np.testing.assert_allclose(ddim_step(x0, eps, a, a_prev, 1.0, zero), mean, rtol=1e-9)
    np.testing.assert_allclose(ddim_step(x0, eps, a, a_prev, 1.0, one) - mean,
                               np.sqrt(variance) * one, rtol=1e-7)
    np.testing.assert_allclose(ddim_step(x0, eps, a, a_prev, 0.0, one),
                               np.sqrt(a_prev) * x0 + np.sqrt(1 - a_prev) * eps, rtol=1e-9)
    np.testing.assert_allclose(ddim_step(x0, eps, a, np.float64(1.0), 0.0, one), x0,
                               rtol=1e-9)


def test_sampling_visits_evenly_spaced_steps_from_the_last_to_the_first():
    times = sampling_times(1000, 50)
    assert len(times) == 50 and times[0] == 999 and times[-1] == 0
    assert np.all(np.diff(times) < 0)
    np.testing.assert_array_equal(sampling_times(20, 20), np.arange(19, -1, -1))


def test_bad_settings_fail_with_one_line():
    with pytest.raises(ConfigError, match="samplers.two_stage_vae: units must be a number > 0"):
        TwoStageVAESampler(units=0)
    with pytest.raises(ConfigError, match="ema_decay must be in"):
        TwoStageVAESampler(ema_decay=1.0)
    with pytest.raises(ConfigError, match="sampling_steps <= timesteps"):
        LatentDiffusionSampler(timesteps=10, sampling_steps=20)


def test_the_benchmark_fits_every_sampler_to_a_tiny_trained_run(tmp_path_factory, tmp_path):
    """benchmarks/samplers.py on a one-epoch demo run (16x16: 8 global numbers and a 2x2x8
    map): every sampler fitted to real posteriors, its draws decoded and measured, the learned
    ones saved where ``restore`` finds them."""
    run_dir = trained_run(tmp_path_factory, "demo")
    bindings = [f"--gin_param=samplers.{name}.{key} = {value!r}"
                for name, settings in TINY.items() for key, value in settings.items()]
    command = [sys.executable, str(REPO / "benchmarks" / "samplers.py"), str(run_dir),
               "--samples", "6", "--show", "4", "--no_quality", "--out", str(tmp_path),
               *bindings]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    rows = json.loads((tmp_path / f"{run_dir.name}.json").read_text())["samplers"]
    assert list(rows) == ["prior", "gaussian_mixture", "two_stage_vae", "latent_diffusion"]
    assert rows["latent_diffusion"]["fit steps"] == TINY["latent_diffusion"]["steps"]
    assert all(0.0 <= row["s-chroma"] and row["d-train"] > 0.0 for row in rows.values())
    assert (tmp_path / f"{run_dir.name}.png").is_file()
    restored = LatentDiffusionSampler(**TINY["latent_diffusion"]).restore(
        tmp_path / run_dir.name / "latent_diffusion")
    assert restored.layout == CodeLayout(8, (2, 2, 8))
