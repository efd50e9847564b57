"""Latent samplers: a Gaussian mixture fitted to known codes recovers them and samples them."""

import numpy as np
import pytest
import tensorflow as tf

from acvae.core import registry
from acvae.core.errors import ConfigError
from acvae.models import samplers
from acvae.models.priors import StandardNormal


def _known_mixture(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    first = rng.normal([-4.0, 2.0], [0.5, 0.3], size=(3 * n // 4, 2))
    second = rng.normal([3.0, -1.0], [0.2, 0.8], size=(n // 4, 2))
    return np.concatenate([first, second]).astype(np.float32)


def test_mixture_recovers_a_known_mixture_and_samples_it():
    sampler = samplers.GaussianMixtureSampler(n_components=2).fit_codes(_known_mixture())
    order = np.argsort(sampler.means[:, 0])
    np.testing.assert_allclose(sampler.weights[order], [0.75, 0.25], atol=0.02)
    np.testing.assert_allclose(sampler.means[order], [[-4.0, 2.0], [3.0, -1.0]], atol=0.05)
    stds = np.sqrt(np.einsum("kij,kij->ki", sampler.cholesky, sampler.cholesky))[order]
    np.testing.assert_allclose(stds, [[0.5, 0.3], [0.2, 0.8]], rtol=0.06)
    draws = sampler.sample(8000, seed=1).numpy()
    assert draws.shape == (8000, 2)
    assert np.mean(draws[:, 0] < 0) == pytest.approx(0.75, abs=0.02)
    np.testing.assert_allclose(draws[draws[:, 0] > 0].std(0), [0.2, 0.8], rtol=0.06)
    np.testing.assert_array_equal(draws, sampler.sample(8000, seed=1).numpy())


def test_mixture_log_prob_is_the_mixture_density():
    sampler = samplers.GaussianMixtureSampler(n_components=2).fit_codes(_known_mixture())
    z = np.array([[-4.0, 2.0], [0.0, 0.0], [3.0, -1.5]], np.float32)
    expected = []
    for point in z:
        density = 0.0
        for w, m, chol in zip(sampler.weights, sampler.means, sampler.cholesky):
            cov = chol @ chol.T
            d = point - m
            density += w * np.exp(-0.5 * d @ np.linalg.solve(cov, d)) / (
                2 * np.pi * np.sqrt(np.linalg.det(cov)))
        expected.append(np.log(density))
    np.testing.assert_allclose(sampler.log_prob(z).numpy(), expected, rtol=1e-4)


def test_temperature_shrinks_each_component_towards_its_centre():
    codes = _known_mixture()
    fitted = samplers.GaussianMixtureSampler(n_components=2).fit_codes(codes)
    cool = samplers.GaussianMixtureSampler(n_components=2, temperature=0.5).fit_codes(codes)
    full, half = fitted.sample(8000, seed=1).numpy(), cool.sample(8000, seed=1).numpy()
    # the same components and noise: each draw lies halfway between its centre and the
    # fitted mixture's draw
    centre = fitted.means[np.argmin(np.abs(full[:, None, 0] - fitted.means[None, :, 0]), 1)]
    np.testing.assert_allclose(half, centre + 0.5 * (full - centre), atol=1e-5)
    right = half[:, 0] > 0
    np.testing.assert_allclose(half[right].std(0), [0.1, 0.4], rtol=0.06)
    np.testing.assert_allclose(cool.log_prob(half[:5]), fitted.log_prob(half[:5]), rtol=1e-6)
    assert cool.config["temperature"] == 0.5
    for bad in (0, -0.1, True, "0.5"):
        with pytest.raises(ConfigError, match="temperature must be > 0"):
            samplers.GaussianMixtureSampler(temperature=bad)


def test_collapsed_dimensions_do_not_break_the_fit():
    """Unused latent dimensions give near-constant codes: the fit must still succeed."""
    rng = np.random.default_rng(0)
    live = _known_mixture(n=400)
    dead = rng.normal(0.0, 1e-7, size=(len(live), 30)).astype(np.float32)
    codes = np.concatenate([live, dead], axis=1)
    sampler = samplers.GaussianMixtureSampler(n_components=10).fit_codes(codes)
    draws = sampler.sample(4000, seed=0).numpy()
    assert np.all(np.isfinite(draws))
    np.testing.assert_allclose(draws[:, :2].mean(0), live.mean(0), atol=0.2)
    assert np.abs(draws[:, 2:]).max() < 1e-2


def test_few_codes_get_few_components_and_bad_settings_fail():
    sampler = samplers.GaussianMixtureSampler(n_components=10).fit_codes(_known_mixture(n=40))
    assert len(sampler.weights) == 4  # a tenth of 40 codes
    with pytest.raises(RuntimeError, match="before fit_sampler"):
        samplers.GaussianMixtureSampler().sample(2)
    with pytest.raises(ConfigError, match="n_components"):
        samplers.GaussianMixtureSampler(n_components=0)
    with pytest.raises(ConfigError, match="covariance_type must be one of full, diag"):
        samplers.GaussianMixtureSampler(covariance_type="tied")


def test_posterior_draws_fit_the_aggregate_posterior_not_only_its_centres():
    """Items whose means sit on two points with posterior std 0.5: fitted to the means, each
    component is a point; fitted to posterior draws, each has the posteriors' spread."""
    means = np.repeat([[-4.0, 2.0], [3.0, -1.0]], 200, axis=0)
    means += np.random.default_rng(1).normal(0.0, 1e-3, means.shape)
    logvars = np.full_like(means, np.log(0.25))
    centres = samplers.GaussianMixtureSampler(n_components=2).fit(None, means, logvars)
    aggregate = samplers.GaussianMixtureSampler(n_components=2, posterior_draws=5).fit(
        None, means, logvars)
    spread = lambda sampler: np.sqrt(np.einsum("kij,kij->ki", sampler.cholesky,
                                               sampler.cholesky))
    assert spread(centres).max() < 0.01
    np.testing.assert_allclose(spread(aggregate), 0.5, rtol=0.08)
    np.testing.assert_allclose(np.sort(aggregate.means[:, 0]), [-4.0, 3.0], atol=0.05)
    few = samplers.GaussianMixtureSampler(n_components=10, posterior_draws=5).fit(
        None, means[:40], logvars[:40])
    assert len(few.weights) == 4  # a tenth of the 40 items, not of their 200 draws
    with pytest.raises(ValueError, match="log-variances"):
        samplers.GaussianMixtureSampler(posterior_draws=2).fit(None, means)
    with pytest.raises(ConfigError, match="posterior_draws must be an integer >= 0"):
        samplers.GaussianMixtureSampler(posterior_draws=-1)


def test_posterior_draws_are_bounded_in_all():
    """Many items: fewer draws each, so a large set does not make the fit slow."""
    means = np.random.default_rng(0).normal(size=(samplers.MAX_FIT_DRAWS // 2 + 1, 2))
    fitted = []

    class Recording(samplers.GaussianMixtureSampler):
        def fit_codes(self, codes, items=None):
            fitted.append((len(codes), items))
            return super().fit_codes(codes, items)

    Recording(n_components=2, posterior_draws=5).fit(None, means, np.zeros_like(means))
    assert fitted == [(len(means), len(means))]  # one draw per item, no more than the bound


def test_registered_and_the_prior_sampler_draws_the_prior():
    assert registry.get("samplers", "gaussian_mixture") is samplers.GaussianMixtureSampler
    prior = StandardNormal(3)

    class Model:  # what a sampler's fit reads of a model
        pass

    model = Model()
    model.prior = prior
    sampler = registry.get("samplers", "prior")().fit(model, np.zeros([5, 3]))
    np.testing.assert_array_equal(sampler.sample(4, seed=2), prior.sample(4, seed=2))
    np.testing.assert_allclose(sampler.log_prob(tf.zeros([1, 3])), prior.log_prob(tf.zeros([1, 3])))
