"""Registered latent samplers: where generated images come from once a VAE is trained.

A VAE trained on a few hundred images does not fill its prior: the posterior means of the
training images (the *aggregate posterior*) occupy a few clumps, and prior draws land in the
empty space between them, where the decoder draws nothing anyone has seen. Ghosh et al. (2020),
"From Variational to Deterministic Autoencoders", Sec. 4 ("ex-post density estimation"), fit a
simple density to the training codes after training and sample from it instead; pythae's
``GaussianMixtureSampler`` is the same idea as a thin layer over scikit-learn.

A sampler is built by gin (``experiment.sampler = @samplers.gaussian_mixture``, configured
with ``samplers.gaussian_mixture.n_components = 10``), ``fit`` on the training posteriors
(means and log-variances, ``training_posteriors``) of the trained model
(``experiment.Run.fit_sampler``), and then has ``sample(n, seed) -> [n, L]`` (TensorFlow, so it
also runs inside an exported SavedModel) and ``log_prob(z) -> [n]``. ``@samplers.prior``
samples the model's prior, as an untrained-for-generation VAE would.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from acvae.core import registry
from acvae.core.errors import ConfigError
from acvae.data import batches

MIN_FIT_ITEMS = 2  # training codes a sampler needs; with fewer, a run samples its prior
MAX_FIT_ITEMS = 10_000  # training codes used for a fit: enough for any mixture, bounded time
MAX_FIT_DRAWS = 4_000  # posterior draws in all (fewer per item on large sets): bounded time


@registry.register("samplers", "prior")
class PriorSampler:
    """Draws from the model's prior p(z): the textbook VAE sampler."""

    name = "prior"

    def __init__(self, prior=None):
        self.prior = prior

    def fit(self, model, means: np.ndarray, logvars: np.ndarray | None = None) -> "PriorSampler":
        """Takes the model's prior; the codes are not needed."""
        del means, logvars
        self.prior = model.prior
        return self

    def sample(self, n: int, seed: int | None = None) -> tf.Tensor:
        """[n, L] prior draws."""
        return self.prior.sample(n, seed=seed)

    def log_prob(self, z) -> tf.Tensor:
        """log p(z) [n]."""
        return self.prior.log_prob(z)


@registry.register("samplers", "gaussian_mixture")
class GaussianMixtureSampler:
    """A Gaussian mixture fitted to the training codes (Ghosh et al. 2020, Sec. 4).

    Fitted with scikit-learn's ``GaussianMixture`` (EM, k-means initialisation, ``seed``);
    sampled in TensorFlow: a component k ~ Categorical(weights), then
    ``z = mean_k + chol_k @ eps`` with ``eps ~ N(0, I)``.

    Args:
      n_components: K; reduced to a tenth of the training items when there are fewer than
        ``10 K`` (a component per handful of points would only memorise them), saying so when
        there are fewer items than K. A run with fewer than ``MIN_FIT_ITEMS`` training
        items samples its prior instead (``experiment.Run.fit_sampler``).
      covariance_type: ``"full"`` or ``"diag"`` (scikit-learn's meaning).
      seed: the fit's random state (and that of the posterior draws).
      posterior_draws: 0 fits the posterior means, as Ghosh et al.; d > 0 fits d draws per
        item from its posterior q(z|x) (at most ``MAX_FIT_DRAWS`` in all, at least one per
        item), so the mixture models the aggregate posterior the decoder was trained on,
        posterior noise included, not only its centres.
      temperature: draws are ``mean_k + temperature * chol_k @ eps``: 1 samples the fitted
        mixture; below 1 each component's spread shrinks towards its centre (reduced-
        temperature sampling, as Glow, Kingma & Dhariwal 2018, and NVAE, Vahdat & Kautz 2020),
        above 1 it widens. ``log_prob`` stays the fitted mixture's density. On villagers.gin's
        520-number codes a colder mixture draws greyer, easier-told samples and a warmer one
        more colourful, less precise ones (docs/samplers.md).
    """

    name = "gaussian_mixture"
    COVARIANCES = ("full", "diag")

    def __init__(self, n_components: int = 10, covariance_type: str = "full", seed: int = 0,
                 posterior_draws: int = 0, temperature: float = 1.0):
        if not isinstance(n_components, int) or n_components < 1:
            raise ConfigError(
                f"samplers.gaussian_mixture: n_components must be an integer >= 1, got "
                f"{n_components!r}")
        if (not isinstance(posterior_draws, int) or isinstance(posterior_draws, bool)
                or posterior_draws < 0):
            raise ConfigError(
                f"samplers.gaussian_mixture: posterior_draws must be an integer >= 0, got "
                f"{posterior_draws!r}")
        if covariance_type not in self.COVARIANCES:
            raise ConfigError(
                f"samplers.gaussian_mixture: covariance_type must be one of "
                f"{', '.join(self.COVARIANCES)}, got {covariance_type!r}")
        self.n_components, self.covariance_type, self.seed = n_components, covariance_type, seed
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not (
                temperature > 0):
            raise ConfigError(f"samplers.gaussian_mixture: temperature must be > 0, got "
                              f"{temperature!r}")
        self.posterior_draws, self.temperature = posterior_draws, float(temperature)
        self.weights = self.means = self.cholesky = None

    def fit(self, model, means: np.ndarray,
            logvars: np.ndarray | None = None) -> "GaussianMixtureSampler":
        """Fits the mixture to the training posteriors: ``means`` [N, L] and, for
        ``posterior_draws``, their ``logvars`` [N, L] (the model is not needed)."""
        del model
        if not self.posterior_draws:
            return self.fit_codes(means)
        if logvars is None:
            raise ValueError("posterior_draws needs the posteriors' log-variances")
        means = np.asarray(means, np.float64)
        per_item = max(1, min(self.posterior_draws, MAX_FIT_DRAWS // len(means)))
        noise = np.random.default_rng(self.seed).standard_normal((per_item, *means.shape))
        draws = means + np.exp(0.5 * np.asarray(logvars, np.float64)) * noise
        return self.fit_codes(draws.reshape(-1, means.shape[1]), items=len(means))

    def fit_codes(self, codes: np.ndarray, items: int | None = None) -> "GaussianMixtureSampler":
        """Fits the mixture to codes [M, L] (M >= 2) of ``items`` training items (M)."""
        from sklearn.mixture import GaussianMixture

        codes = np.asarray(codes, np.float64)
        if codes.ndim != 2 or len(codes) < 2:
            raise ValueError(f"need at least 2 codes [N, L] to fit a mixture, got {codes.shape}")
        items = items or len(codes)
        k = max(1, min(self.n_components, items // 10))
        if items < self.n_components:
            print(f"note: {items} training items are fewer than the {self.n_components} "
                  f"mixture components configured; the mixture has {k}", flush=True)
        # Fitted on standardised codes: a collapsed (unused) dimension has a near-zero spread
        # that would make every component's covariance singular.
        scale = np.maximum(codes.std(axis=0), 1e-3)
        distinct = len(np.unique(np.round(codes / scale, 4), axis=0))
        if distinct < k:  # identical images give identical codes: no more components than points
            print(f"note: the training codes hold {distinct} distinct point(s) (identical "
                  f"images?); the mixture has {distinct} component(s), not {k}", flush=True)
            k = distinct
        mixture = GaussianMixture(k, covariance_type=self.covariance_type, reg_covar=1e-6,
                                  random_state=self.seed).fit(codes / scale)
        covariances = mixture.covariances_
        if self.covariance_type == "diag":
            covariances = np.stack([np.diag(c) for c in covariances])
        covariances = covariances * scale[:, None] * scale[None, :]
        self.weights = mixture.weights_.astype(np.float32)
        self.means = (mixture.means_ * scale).astype(np.float32)
        self.cholesky = np.linalg.cholesky(covariances).astype(np.float32)
        return self

    @property
    def config(self) -> dict:
        """The settings: two samplers with the same name and config draw alike once fitted to
        the same codes."""
        return {"n_components": self.n_components, "covariance_type": self.covariance_type,
                "seed": self.seed, "posterior_draws": self.posterior_draws,
                "temperature": self.temperature}

    @property
    def fitted(self) -> bool:
        """Whether ``fit`` has run."""
        return self.weights is not None

    def _check_fitted(self) -> None:
        if not self.fitted:
            raise RuntimeError("the mixture sampler is used before fit_sampler fitted it")

    def sample(self, n: int, seed: int | None = None) -> tf.Tensor:
        """[n, L] draws; reproducible when ``seed`` is given."""
        self._check_fitted()
        logits = tf.math.log(tf.constant(self.weights))[None]
        latent_dim = self.means.shape[1]
        if seed is None:
            components = tf.random.categorical(logits, n, dtype=tf.int32)[0]
            eps = tf.random.normal([n, latent_dim])
        else:
            components = tf.random.stateless_categorical(logits, n, seed=(int(seed), 2),
                                                         dtype=tf.int32)[0]
            eps = tf.random.stateless_normal([n, latent_dim], seed=(int(seed), 3))
        chol = tf.gather(tf.constant(self.cholesky), components)  # [n, L, L]
        return (tf.gather(tf.constant(self.means), components)
                + self.temperature * tf.linalg.matvec(chol, eps))

    def log_prob(self, z) -> tf.Tensor:
        """log of the mixture density at z [n, L]; [n] in nats."""
        self._check_fitted()
        z = tf.cast(z, tf.float32)
        chol = tf.constant(self.cholesky)  # [K, L, L]
        centred = z[:, None, :] - tf.constant(self.means)[None]  # [n, K, L]
        solved = tf.linalg.triangular_solve(
            tf.broadcast_to(chol[None], [tf.shape(z)[0], *chol.shape]), centred[..., None])
        mahalanobis = tf.reduce_sum(tf.square(solved[..., 0]), -1)  # [n, K]
        log_det = 2.0 * tf.reduce_sum(tf.math.log(tf.linalg.diag_part(chol)), -1)  # [K]
        latent_dim = float(self.means.shape[1])
        log_normal = -0.5 * (latent_dim * np.log(2 * np.pi) + log_det[None] + mahalanobis)
        return tf.reduce_logsumexp(log_normal + tf.math.log(tf.constant(self.weights))[None], -1)


def training_posteriors(model, data,
                        limit: int = MAX_FIT_ITEMS) -> tuple[np.ndarray, np.ndarray]:
    """Posterior means and log-variances [N, L] of (up to ``limit``) training items, in the
    split's fixed order."""
    encoded = batches.collect(data.train_eval, limit=limit, add=batches.posterior(model),
                              keep=())
    return encoded["z"], encoded["logvar"]
