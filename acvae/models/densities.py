"""Pure TensorFlow log-densities, KL divergences and the KL warm-up schedule of the ELBO.

Every function here is stateless, returns one value per example in nats (summed over all
non-batch axes unless stated otherwise) and is safe inside ``tf.function(jit_compile=True)``.
Models (``acvae.models``) compose them; the trainer turns them into
``loss = reconstruction + beta * kl`` (Kingma & Welling 2014, "Auto-Encoding Variational
Bayes", Eq. 10; Higgins et al. 2017 for beta). Each function cites the equation it implements
and is tested against a closed form or a hand-derived numpy value in ``tests/models/test_densities.py``.
"""

from __future__ import annotations

import math

import tensorflow as tf

LOG_2PI = math.log(2.0 * math.pi)


def _sum_non_batch(x: tf.Tensor) -> tf.Tensor:
    """Sums ``x`` [B, ...] over every axis but the first; returns [B]."""
    return tf.reduce_sum(x, axis=list(range(1, x.shape.rank)))


def _weighted(pointwise: tf.Tensor, weights: tf.Tensor | None) -> tf.Tensor:
    return pointwise if weights is None else pointwise * tf.cast(weights, pointwise.dtype)


def gaussian_kl_standard_normal(mean: tf.Tensor, logvar: tf.Tensor) -> tf.Tensor:
    """KL(N(mean, diag(exp(logvar))) || N(0, I)) in closed form.

    Kingma & Welling (2014), Appendix B / Eq. 10:
    ``-KL = 1/2 * sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2)``.

    Args:
      mean: [B, L] posterior means.
      logvar: [B, L] posterior log-variances.

    Returns:
      [B] KL divergence in nats.
    """
    return -0.5 * tf.reduce_sum(1.0 + logvar - tf.square(mean) - tf.exp(logvar), axis=-1)


def diagonal_gaussian_log_prob(z: tf.Tensor, mean: tf.Tensor, logvar: tf.Tensor) -> tf.Tensor:
    """log N(z; mean, diag(exp(logvar))), summed over the last axis only.

    ``log N = -1/2 * sum_j (log 2 pi + logvar_j + (z_j - mean_j)^2 / exp(logvar_j))``.
    Inputs broadcast, so ``z[:, None, :]`` against ``mean[None, :, :]`` gives a [B, K] table
    (used by the mixture and VampPrior).

    Args:
      z: [..., L] points.
      mean: [..., L] means (broadcastable with ``z``).
      logvar: [..., L] log-variances (broadcastable with ``z``).

    Returns:
      [...] log-density in nats ([B] for [B, L] inputs).
    """
    return -0.5 * tf.reduce_sum(
        LOG_2PI + logvar + tf.square(z - mean) * tf.exp(-logvar), axis=-1
    )


def log_mean_exp(x: tf.Tensor, axis: int = -1) -> tf.Tensor:
    """``log(mean(exp(x), axis))`` computed stably as ``logsumexp(x) - log n``.

    Args:
      x: any tensor with a static size along ``axis``.
      axis: the axis to average over.

    Returns:
      ``x`` with ``axis`` removed.
    """
    n = x.shape[axis]
    return tf.reduce_logsumexp(x, axis=axis) - math.log(n)


def mixture_log_prob(
    z: tf.Tensor, logits: tf.Tensor, means: tf.Tensor, logvars: tf.Tensor
) -> tf.Tensor:
    """Log-density of a mixture of diagonal Gaussians.

    ``log p(z) = logsumexp_k (log pi_k + log N(z; mu_k, diag(sigma_k^2)))`` with
    ``pi = softmax(logits)``.

    Args:
      z: [B, L] points.
      logits: [K] unnormalised log mixture weights.
      means: [K, L] component means.
      logvars: [K, L] component log-variances.

    Returns:
      [B] log-density in nats.
    """
    log_weights = tf.nn.log_softmax(logits)  # [K]
    table = diagonal_gaussian_log_prob(z[:, None, :], means[None], logvars[None])  # [B, K]
    return tf.reduce_logsumexp(table + log_weights[None], axis=-1)


def monte_carlo_kl(log_q: tf.Tensor, log_p: tf.Tensor) -> tf.Tensor:
    """Single-sample Monte Carlo KL(q || p) ≈ log q(z|x) - log p(z), with z ~ q(z|x).

    Kingma & Welling (2014), Eq. 6-7 (the generic SGVB estimator); unbiased, may be negative
    for a single sample.

    Args:
      log_q: [B] log q(z|x) at the sample.
      log_p: [B] log p(z) at the same sample.

    Returns:
      [B] KL estimate in nats.
    """
    return log_q - log_p


def bernoulli_log_prob(
    x: tf.Tensor, logits: tf.Tensor, weights: tf.Tensor | None = None
) -> tf.Tensor:
    """Bernoulli log-likelihood from logits, for (continuous) targets in [0, 1].

    ``log p(x) = x * log sigmoid(l) + (1 - x) * log(1 - sigmoid(l))`` per element
    (Kingma & Welling 2014, Appendix C.1), i.e. minus the sigmoid cross-entropy, computed
    stably. For non-binary x this is the "continuous Bernoulli" objective without its
    normalising constant, as in the usual image VAE.

    Args:
      x: [B, ...] targets in [0, 1].
      logits: [B, ...] logits, same shape as ``x``.
      weights: optional per-element weights broadcastable to ``x`` (e.g. [B, H, W, 1]).

    Returns:
      [B] (weighted) log-likelihood in nats, summed over all non-batch axes.
    """
    pointwise = -tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits)
    return _sum_non_batch(_weighted(pointwise, weights))


def gaussian_log_prob(
    x: tf.Tensor,
    mean: tf.Tensor,
    log_sigma: tf.Tensor | float,
    weights: tf.Tensor | None = None,
) -> tf.Tensor:
    """Gaussian log-likelihood with per-element mean and (broadcast) standard deviation.

    ``log N(x; mu, sigma^2) = -1/2 log 2 pi - log sigma - (x - mu)^2 / (2 sigma^2)``
    per element (Kingma & Welling 2014, Appendix C.2).

    Args:
      x: [B, ...] targets.
      mean: [B, ...] means, same shape as ``x``.
      log_sigma: log standard deviation, a scalar or broadcastable to ``x`` (e.g. [C]).
      weights: optional per-element weights broadcastable to ``x`` (e.g. [B, H, W, 1]).

    Returns:
      [B] (weighted) log-likelihood in nats, summed over all non-batch axes.
    """
    log_sigma = tf.cast(log_sigma, x.dtype)
    pointwise = (
        -0.5 * LOG_2PI - log_sigma - 0.5 * tf.square((x - mean) * tf.exp(-log_sigma))
    )
    return _sum_non_batch(_weighted(pointwise, weights))


def optimal_sigma_gaussian_log_prob(
    x: tf.Tensor,
    mean: tf.Tensor,
    weights: tf.Tensor | None = None,
    min_sigma: float = 1e-3,
    per_channel: bool = True,
    over_batch: bool = False,
) -> tf.Tensor:
    """Gaussian log-likelihood with sigma set to its maximum-likelihood value per image and channel.

    The "optimal sigma" calibrated decoder of Rybkin, Daniilidis & Levine (2021), "Simple and
    Effective VAE Training with Calibrated Decoders", Sec. 3.2: for each image b and channel c,
    ``sigma*_bc^2 = sum_hw w (x - mu)^2 / sum_hw w`` (the weighted MSE), at which
    ``log p = -sum_c W_bc / 2 * (log(2 pi sigma*_bc^2) + 1)`` with ``W_bc = sum_hw w``. The
    reconstruction term is then logarithmic in the MSE, so the decoder keeps improving detail
    and colour instead of settling, as a fixed sigma does, and no sigma has to be tuned.
    ``sigma*`` is bounded below by ``min_sigma`` (a perfect fit would give an infinite density).

    Args:
      x: [B, H, W, C] targets.
      mean: [B, H, W, C] means.
      weights: optional per-element weights broadcastable to ``x`` (see ``colour_weights``).
      min_sigma: lower bound on sigma.
      per_channel: one sigma per image and channel; False: one sigma per image, shared by
        its channels (``c`` above runs over a single group of all channels).
      over_batch: sigma fitted to the whole batch (per channel, or one), shared by its images,
        as in the paper's code: every image's error then weighs the same, where a sigma per
        image rewards fitting an image it already fits well ever more (memorising it).

    Returns:
      [B] (weighted) log-likelihood in nats.
    """
    squared = tf.square(x - mean)
    weights = tf.ones_like(x) if weights is None else tf.broadcast_to(
        tf.cast(weights, x.dtype), tf.shape(x))
    axes = [1, 2] if per_channel else [1, 2, 3]
    count = tf.reduce_sum(weights, axis=axes)  # [B, C] or [B]
    sums = tf.reduce_sum(weights * squared, axis=axes)
    mse = tf.math.divide_no_nan(sums, count)
    if not per_channel:
        count, sums, mse = count[:, None], sums[:, None], mse[:, None]
    fitted = (tf.math.divide_no_nan(tf.reduce_sum(sums, 0), tf.reduce_sum(count, 0))[None]
              if over_batch else mse)
    log_var = tf.math.log(tf.maximum(fitted, min_sigma**2))
    # at sigma^2 = mse the squared term is exactly 1/2 per unit weight; otherwise mse / (2
    # sigma^2)
    ratio = mse / tf.exp(log_var)
    return -0.5 * tf.reduce_sum(count * (LOG_2PI + log_var + ratio), axis=-1)


def discretized_logistic_log_prob(
    x: tf.Tensor,
    mean: tf.Tensor,
    log_scale: tf.Tensor,
    weights: tf.Tensor | None = None,
    bins: int = 256,
) -> tf.Tensor:
    """Log-probability of 8-bit pixel values under a discretised logistic distribution.

    Salimans et al. (2017), "PixelCNN++", Sec. 2.1 (Eq. 2 with one component): the probability
    of the bin ``[x - h, x + h]`` (``h = 1 / (2 (bins - 1))``) is
    ``sigmoid((x + h - mu) / s) - sigmoid((x - h - mu) / s)``; the first and last bins take
    the whole tail below 0 and above 1, so the probabilities of all ``bins`` values sum to 1.
    Values in [0, 1]; a sharp, heavy-tailed density whose location follows the most likely
    colour rather than the average of several.

    Args:
      x: [B, ...] targets in [0, 1] (multiples of 1 / (bins - 1) for 8-bit images).
      mean: [B, ...] locations mu in [0, 1].
      log_scale: [B, ...] log s (bounded below at -7 for stability).
      weights: optional per-element weights broadcastable to ``x``.
      bins: number of discrete values.

    Returns:
      [B] (weighted) log-probability in nats.
    """
    half = 0.5 / (bins - 1)
    log_scale = tf.maximum(log_scale, -7.0)
    inverse = tf.exp(-log_scale)
    centred = x - mean
    upper = inverse * (centred + half)
    lower = inverse * (centred - half)
    log_cdf_upper = upper - tf.nn.softplus(upper)  # log sigmoid(upper)
    log_survival_lower = -tf.nn.softplus(lower)  # log (1 - sigmoid(lower))
    mass = tf.sigmoid(upper) - tf.sigmoid(lower)
    middle = inverse * centred
    # for a tiny mass, the density at the centre times the bin width (avoids log 0)
    log_density_width = middle - log_scale - 2.0 * tf.nn.softplus(middle) + math.log(2 * half)
    interior = tf.where(mass > 1e-5, tf.math.log(tf.maximum(mass, 1e-12)), log_density_width)
    pointwise = tf.where(x < half, log_cdf_upper,
                         tf.where(x > 1.0 - half, log_survival_lower, interior))
    return _sum_non_batch(_weighted(pointwise, weights))


def colour_weights(images: tf.Tensor, transparent_weight: float) -> tf.Tensor:
    """Per-element weights that make colour count where the art is opaque.

    RGB elements weigh ``w = t + (1 - t) * alpha`` (``t = transparent_weight``): the colour
    of a fully transparent pixel is undefined in the art, so it counts only ``t``; the alpha
    channel always weighs 1, so the outline is learned everywhere. Like any weighting, this
    turns the log-likelihood into a tempered one (not comparable with unweighted ELBOs).

    Args:
      images: [B, H, W, 4] straight RGBA targets in [0, 1].
      transparent_weight: t in [0, 1].

    Returns:
      [B, H, W, 4] weights.
    """
    alpha = images[..., 3:4]
    rgb = transparent_weight + (1.0 - transparent_weight) * alpha
    return tf.concat([tf.repeat(rgb, 3, axis=-1), tf.ones_like(alpha)], axis=-1)


def kl_warmup_beta(epoch: float, beta: float, warmup_epochs: float) -> float:
    """KL weight for ``epoch`` under a linear warm-up (Bowman et al. 2016; Sønderby et al. 2016).

    ``beta_t = beta * min(1, epoch / warmup_epochs)``: 0 at epoch 0 (no epoch finished yet),
    ``beta`` from ``epoch == warmup_epochs`` on. ``warmup_epochs == 0`` means constant ``beta``.
    Fractional epochs are allowed for per-step warm-up.

    Args:
      epoch: number of completed epochs (0-based index of the epoch being trained), >= 0.
      beta: final KL weight (1 gives the ELBO).
      warmup_epochs: length of the warm-up, >= 0.

    Returns:
      The KL weight as a Python float.

    Raises:
      ValueError: for a negative epoch or warm-up length.
    """
    if warmup_epochs < 0 or epoch < 0:
        raise ValueError(
            f"kl_warmup_beta needs epoch >= 0 and warmup_epochs >= 0, got {epoch} and "
            f"{warmup_epochs}"
        )
    if warmup_epochs == 0:
        return float(beta)
    return float(beta) * min(1.0, float(epoch) / float(warmup_epochs))
