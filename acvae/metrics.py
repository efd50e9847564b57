"""Evaluation metrics for a trained VAE: pure functions with known answers, used by ``evaluate``.

Likelihood bounds (nats per image): ``iwae_bound`` is the importance-weighted bound of Burda et
al. (2016) from a table of log importance weights, and ``vae_log_weights`` computes that table
for any ``acvae`` VAE in chunks of samples, so k = 1000 fits in memory. Latent-space
diagnostics: ``kl_per_dimension`` and ``active_units`` (posterior collapse; Burda et al. 2016,
Sec. 5.2), ``knn_accuracy`` and ``linear_probe_accuracy`` (how much label structure the latent
means carry), and pixel-space ``reconstruction_mse`` and ``nearest_distance`` (memorisation).
Array functions take and return numpy; only the log-weight computation runs the model.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from acvae import losses


def log_mean_exp(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(mean(exp(x), axis))``, stable in float64."""
    x = np.asarray(x, np.float64)
    peak = np.max(x, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    return np.log(np.mean(np.exp(x - peak), axis=axis)) + np.squeeze(peak, axis=axis)


def iwae_bound(log_weights: np.ndarray) -> np.ndarray:
    """The importance-weighted lower bound on log p(x) from k samples per example.

    ``L_k = log (1/k) sum_i p(x, z_i) / q(z_i|x)``, z_i ~ q(z|x) (Burda, Grosse & Salakhutdinov
    2016, "Importance Weighted Autoencoders", Eq. 8). ``L_1`` is the ELBO, ``L_k`` grows with k
    in expectation and tends to log p(x) (their Theorem 1).

    Args:
      log_weights: [B, k] ``log p(x|z_i) + log p(z_i) - log q(z_i|x)`` in nats.

    Returns:
      [B] the bound in nats (float64).
    """
    return log_mean_exp(log_weights, axis=-1)


def vae_log_weights(model, images, n_samples: int, chunk: int = 32, seed: int = 0,
                    labels: dict | None = None) -> np.ndarray:
    """Log importance weights of ``n_samples`` posterior samples for each image, in chunks.

    ``log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x)`` with z_i ~ q(z|x) from the encoder,
    ``p(x|z)`` from the decoder and likelihood, ``p(z)`` from the prior. Only ``chunk`` samples
    per image are decoded at a time ([chunk * B] images, one compiled call), so memory does not
    grow with k. A model may define ``importance_log_weights(images, n_samples, seed, labels)
    -> [B, k]`` (e.g. a conditional model that needs labels); it is used instead. With alpha
    weighting the "likelihood" is a tempered one and the bound is on its normaliser, not on
    log p(x).

    Args:
      model: an ``acvae.models.vae.VAE`` (``encode``, ``decode``, ``likelihood.log_prob``,
        ``prior.log_prob``) or any object with those (``decode`` and the log-probabilities
        traceable by ``tf.function``).
      images: [B, ...] one batch of images.
      n_samples: k, samples per image.
      chunk: samples per image decoded together.
      seed: noise seed; the same seed gives the same weights whatever the chunk size.
      labels: the batch's label ids by name (int32 [B]), passed to ``importance_log_weights``.

    Returns:
      [B, k] float64 log weights in nats.
    """
    if hasattr(model, "importance_log_weights"):
        weights = model.importance_log_weights(images, n_samples, seed=seed, labels=labels)
        return np.asarray(weights, np.float64)
    return posterior_log_weights(model, images, n_samples, chunk=chunk, seed=seed)


def posterior_log_weights(model, images, n_samples: int, chunk: int = 32, seed: int = 0,
                          conditions: dict | None = None) -> np.ndarray:
    """The log weights of ``vae_log_weights``, with optional conditioning tensors.

    Args:
      model: as for ``vae_log_weights``.
      images: [B, ...] one batch of images.
      n_samples: k, samples per image.
      chunk: samples per image decoded together.
      seed: noise seed.
      conditions: keyword tensors [B, ...] passed to ``model.encode`` and, repeated for each
        sample, to ``model.decode`` (e.g. ``{"species_ids": ids}`` for a conditional model).

    Returns:
      [B, k] float64 log weights in nats.
    """
    conditions = dict(conditions or {})
    images = tf.convert_to_tensor(images, tf.float32)
    mean, logvar = model.encode(images, **conditions)
    eps = tf.random.stateless_normal([n_samples, *mean.shape], seed=(int(seed), 0))
    columns = []
    for start in range(0, n_samples, chunk):
        table = _log_weights_chunk(model, images, mean, logvar, eps[start : start + chunk],
                                   conditions)
        columns.append(table.numpy().T)
    return np.concatenate(columns, axis=1).astype(np.float64)


@tf.function(reduce_retracing=True)
def _log_weights_chunk(model, images, mean, logvar, eps, conditions):
    """[S, B] log weights for the posterior samples ``mean + sigma * eps`` (eps [S, B, L])."""
    size = tf.shape(eps)[0]
    z = mean[None] + tf.exp(0.5 * logvar)[None] * eps  # [S, B, L]
    flat_z = tf.reshape(z, [-1, tf.shape(mean)[1]])  # sample-major: row s * B + b
    repeat = lambda t: tf.tile(t, tf.concat([[size], tf.ones([tf.rank(t) - 1], tf.int32)], 0))  # noqa: E731
    tiled = repeat(images)
    params = model.decode(flat_z, **{name: repeat(t) for name, t in conditions.items()})
    log_px = tf.cast(model.likelihood.log_prob(tiled, params), tf.float64)
    log_pz = tf.cast(model.prior.log_prob(flat_z), tf.float64)
    log_qz = tf.cast(losses.diagonal_gaussian_log_prob(z, mean[None], logvar[None]), tf.float64)
    return tf.reshape(log_px + log_pz, [size, -1]) - log_qz


def kl_per_dimension(mean: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """KL(q(z_j|x) || N(0, 1)) per latent dimension j, averaged over the examples.

    Closed form ``-1/2 (1 + logvar - mean^2 - exp(logvar))`` per dimension (Kingma & Welling
    2014, Appendix B). This is the KL to the standard normal whatever the model's prior: for
    a mixture or VampPrior it is a per-dimension diagnostic, not the model's KL term.

    Args:
      mean: [N, L] posterior means.
      logvar: [N, L] posterior log-variances.

    Returns:
      [L] nats per dimension (0 for a dimension whose posterior is N(0, 1) for every x).
    """
    mean, logvar = np.asarray(mean, np.float64), np.asarray(logvar, np.float64)
    return np.mean(-0.5 * (1.0 + logvar - mean**2 - np.exp(logvar)), axis=0)


def active_units(mean: np.ndarray, threshold: float = 0.01) -> tuple[int, np.ndarray]:
    """The number of latent dimensions the data moves: ``Cov_x(E_q[z_j|x]) > threshold``.

    Burda, Grosse & Salakhutdinov (2016), Sec. 5.2 (threshold 0.01). A collapsed dimension
    has the same posterior mean for every image, so its activity is ~0.

    Args:
      mean: [N, L] posterior means E_q[z|x] of N images.
      threshold: activity above which a unit counts as active.

    Returns:
      (number of active units, [L] activity = variance of the mean over the images).
    """
    activity = np.var(np.asarray(mean, np.float64), axis=0)
    return int(np.sum(activity > threshold)), activity


def knn_accuracy(train_z, train_y, val_z, val_y, k: int = 5) -> float:
    """Accuracy of a k-nearest-neighbour classifier (Euclidean) fitted on ``train_z``.

    Votes are counted per class; a tie goes to the class of the nearest tied neighbour.

    Args:
      train_z: [N, L] features (latent means) of labelled examples.
      train_y: [N] integer labels.
      val_z: [M, L] features to classify.
      val_y: [M] their true labels.
      k: neighbours (at most N are used).

    Returns:
      The fraction of ``val_y`` predicted correctly.
    """
    train_z, val_z = np.asarray(train_z, np.float64), np.asarray(val_z, np.float64)
    train_y, val_y = np.asarray(train_y), np.asarray(val_y)
    k = min(k, len(train_z))
    distance = _squared_distances(val_z, train_z)
    neighbours = np.argsort(distance, axis=1, kind="stable")[:, :k]  # nearest first
    labels = train_y[neighbours]  # [M, k]
    predictions = np.empty(len(val_z), train_y.dtype)
    for i, row in enumerate(labels):
        votes = {label: np.sum(row == label) for label in row}
        best = max(votes.values())
        predictions[i] = next(label for label in row if votes[label] == best)
    return float(np.mean(predictions == val_y))


def linear_probe_accuracy(train_z, train_y, val_z, val_y, steps: int = 500,
                          learning_rate: float = 0.5, l2: float = 1e-4) -> float:
    """Validation accuracy of a multinomial logistic regression fitted on ``train_z``.

    Features are standardised with the training mean and standard deviation; the weights
    start at zero and take ``steps`` full-batch gradient steps on the mean cross-entropy plus
    ``l2 * |W|^2``, so the result is deterministic (no seed involved).

    Args:
      train_z: [N, L] features; train_y: [N] integer labels.
      val_z: [M, L] features; val_y: [M] integer labels.
      steps, learning_rate, l2: the optimisation.

    Returns:
      The fraction of ``val_y`` predicted correctly.
    """
    train_z, val_z = np.asarray(train_z, np.float64), np.asarray(val_z, np.float64)
    train_y, val_y = np.asarray(train_y), np.asarray(val_y)
    classes = np.unique(train_y)
    centre, scale = train_z.mean(0), train_z.std(0) + 1e-8
    x = np.hstack([(train_z - centre) / scale, np.ones([len(train_z), 1])])
    onehot = (train_y[:, None] == classes[None]).astype(np.float64)
    weights = np.zeros([x.shape[1], len(classes)])
    for _ in range(steps):
        logits = x @ weights
        probs = np.exp(logits - logits.max(1, keepdims=True))
        probs /= probs.sum(1, keepdims=True)
        gradient = x.T @ (probs - onehot) / len(x) + 2.0 * l2 * weights
        weights -= learning_rate * gradient
    val_x = np.hstack([(val_z - centre) / scale, np.ones([len(val_z), 1])])
    predictions = classes[np.argmax(val_x @ weights, axis=1)]
    return float(np.mean(predictions == val_y))


def majority_accuracy(train_y, val_y) -> float:
    """Accuracy of always predicting the most frequent training label (the chance baseline)."""
    values, counts = np.unique(np.asarray(train_y), return_counts=True)
    return float(np.mean(np.asarray(val_y) == values[np.argmax(counts)]))


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[N, M] squared Euclidean distances between the rows of a [N, D] and b [M, D]."""
    squared = (a**2).sum(1)[:, None] - 2.0 * a @ b.T + (b**2).sum(1)[None, :]
    return np.maximum(squared, 0.0)


def nearest_distance(a, b, batch: int = 256) -> np.ndarray:
    """Per-pixel RMS distance from each image of ``a`` to its nearest image in ``b``.

    ``d(x, y) = sqrt(mean over pixels and channels of (x - y)^2)``: on images in [0, 1] it
    is in [0, 1] and does not depend on the image size. Computed ``batch`` rows of ``a`` at a
    time in float64 (exact 0 for an image that is in ``b``).

    Args:
      a: [N, ...] images (or any arrays) in [0, 1].
      b: [M, ...] images of the same shape.
      batch: rows of ``a`` per distance table.

    Returns:
      [N] distances.
    """
    a = np.asarray(a, np.float64).reshape(len(a), -1)
    b = np.asarray(b, np.float64).reshape(len(b), -1)
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"nearest_distance needs arrays of the same shape, got {a.shape} and {b.shape}")
    out = np.empty(len(a))
    for start in range(0, len(a), batch):
        block = a[start : start + batch]
        squared = _squared_distances(block, b)
        index = np.argmin(squared, axis=1)
        # recompute the winner exactly: the expanded form loses precision near 0
        exact = ((block - b[index]) ** 2).mean(1)
        out[start : start + batch] = np.sqrt(exact)
    return out


def reconstruction_mse(images, reconstructions) -> np.ndarray:
    """Mean squared error per pixel and channel between images and reconstructions.

    Independent of the likelihood, so comparable across models of the same data.

    Args:
      images: [B, H, W, C] in [0, 1].
      reconstructions: [B, H, W, C] in [0, 1] (e.g. ``VAE.reconstruct``).

    Returns:
      [B] MSE per image.
    """
    images = np.asarray(images, np.float64)
    diff = images - np.asarray(reconstructions, np.float64)
    return (diff**2).reshape(len(images), -1).mean(1)

