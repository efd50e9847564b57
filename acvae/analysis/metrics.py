"""Evaluation metrics for a trained VAE: pure functions with known answers, used by ``evaluate``.

Likelihood bounds (nats per image): ``iwae_bound`` is the importance-weighted bound of Burda et
al. (2016) from a table of log importance weights, and ``vae_log_weights`` computes that table
for any ``acvae`` VAE in chunks of samples, so k = 1000 fits in memory. Latent-space
diagnostics: ``kl_per_dimension`` and ``active_units`` (posterior collapse; Burda et al. 2016,
Sec. 5.2), ``knn_accuracy`` and ``linear_probe_accuracy`` (scikit-learn probes: how much label
structure the latent means carry), and pixel-space ``reconstruction_mse``, ``nearest`` and
``memorisation`` (do samples copy training images?). Array functions take and return numpy;
only the log-weight computation runs the model.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from acvae.models import densities


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
    return densities.log_mean_exp(tf.constant(log_weights, tf.float64), axis=-1).numpy()


def vae_log_weights(model, images, n_samples: int, chunk: int = 32, seed: int = 0,
                    condition=None) -> np.ndarray:
    """Log importance weights of ``n_samples`` posterior samples for each image, in chunks.

    ``log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x)`` with z_i ~ q(z|x) from the encoder,
    ``p(x|z)`` from the decoder and likelihood, ``p(z)`` from the prior; a conditional model
    gets each image's ``condition`` in both ``q`` and ``p(x|z)``. Only ``chunk`` samples per
    image are decoded at a time ([chunk * B] images, one compiled call), so memory does not
    grow with k. With alpha weighting the "likelihood" is a tempered one and the bound is on
    its normaliser, not on log p(x).

    Args:
      model: an ``acvae.models.VAE`` (``encode``, ``decode``, ``likelihood.log_prob``,
        ``prior.log_prob``) or any object with those (``decode`` and the log-probabilities
        traceable by ``tf.function``).
      images: [B, ...] one batch of images.
      n_samples: k, samples per image.
      chunk: samples per image decoded together.
      seed: noise seed; the same seed gives the same weights whatever the chunk size.
      condition: the batch's condition (``model.condition_of(batch)``), or None.

    Returns:
      [B, k] float64 log weights in nats.
    """
    images = tf.convert_to_tensor(images, tf.float32)
    mean, logvar = model.encode(images, condition)
    eps = tf.random.stateless_normal([n_samples, *mean.shape], seed=(int(seed), 0))
    columns = []
    for start in range(0, n_samples, chunk):
        table = _log_weights_chunk(model, images, mean, logvar, eps[start : start + chunk],
                                   condition)
        columns.append(table.numpy().T)
    return np.concatenate(columns, axis=1).astype(np.float64)


@tf.function(reduce_retracing=True)
def _log_weights_chunk(model, images, mean, logvar, eps, condition):
    """[S, B] log weights for the posterior samples ``mean + sigma * eps`` (eps [S, B, L])."""
    size = tf.shape(eps)[0]
    z = mean[None] + tf.exp(0.5 * logvar)[None] * eps  # [S, B, L]
    flat_z = tf.reshape(z, [-1, tf.shape(mean)[1]])  # sample-major: row s * B + b
    repeat = lambda t: tf.tile(t, tf.concat([[size], tf.ones([tf.rank(t) - 1], tf.int32)], 0))  # noqa: E731
    params = model.decode(flat_z, None if condition is None else repeat(condition))
    log_px = tf.cast(model.likelihood.log_prob(repeat(images), params), tf.float64)
    log_pz = tf.cast(model.prior.log_prob(flat_z), tf.float64)
    log_qz = tf.cast(densities.diagonal_gaussian_log_prob(z, mean[None], logvar[None]), tf.float64)
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


def _prefer_nearer(distances: np.ndarray) -> np.ndarray:
    """k-NN vote weights: 1 each, less a hair for farther voters, so that a tie in votes goes
    to the class whose voters are nearer in total."""
    return 1.0 - 1e-6 * distances / (distances.max(axis=1, keepdims=True) + 1e-12)


def knn_accuracy(train_z, train_y, val_z, val_y, k: int = 5) -> float:
    """Accuracy of scikit-learn's k-nearest-neighbour classifier (Euclidean) fitted on
    ``train_z``; one vote per neighbour, a tie to the class whose voters are nearer.

    Args:
      train_z: [N, L] features (latent means) of labelled examples.
      train_y: [N] integer labels.
      val_z: [M, L] features to classify.
      val_y: [M] their true labels.
      k: neighbours (at most N are used).

    Returns:
      The fraction of ``val_y`` predicted correctly.
    """
    from sklearn.neighbors import KNeighborsClassifier

    train_z = np.asarray(train_z, np.float64)
    classifier = KNeighborsClassifier(n_neighbors=min(k, len(train_z)), weights=_prefer_nearer)
    classifier.fit(train_z, np.asarray(train_y))
    return float(classifier.score(np.asarray(val_z, np.float64), np.asarray(val_y)))


def linear_probe_accuracy(train_z, train_y, val_z, val_y, c: float = 1.0) -> float:
    """Validation accuracy of scikit-learn's multinomial logistic regression fitted on
    ``train_z`` standardised with the training mean and standard deviation (L2 penalty with
    inverse strength ``c``; L-BFGS, deterministic). A single training class is predicted
    for every example.

    Args:
      train_z: [N, L] features; train_y: [N] integer labels.
      val_z: [M, L] features; val_y: [M] integer labels.
      c: inverse regularisation strength (scikit-learn's ``C``).

    Returns:
      The fraction of ``val_y`` predicted correctly.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train_y, val_y = np.asarray(train_y), np.asarray(val_y)
    if len(np.unique(train_y)) < 2:
        return majority_accuracy(train_y, val_y)
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000))
    probe.fit(np.asarray(train_z, np.float64), train_y)
    return float(probe.score(np.asarray(val_z, np.float64), val_y))


def majority_accuracy(train_y, val_y) -> float:
    """Accuracy of always predicting the most frequent training label (the chance baseline)."""
    values, counts = np.unique(np.asarray(train_y), return_counts=True)
    return float(np.mean(np.asarray(val_y) == values[np.argmax(counts)]))


def nearest(a, b, batch: int = 256, chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Index and per-pixel RMS distance of the nearest image of ``b`` for each image of ``a``.

    ``d(x, y) = sqrt(mean over pixels and channels of (x - y)^2)``: on images in [0, 1] it
    is in [0, 1] and does not depend on the image size. Computed in float64 on tables of
    ``batch`` rows of ``a`` by ``chunk`` rows of ``b`` (memory stays bounded for a training
    set of any size); exact 0 for an image that is in ``b``.

    Args:
      a: [N, ...] images (or any arrays) in [0, 1].
      b: [M, ...] images of the same shape.
      batch: rows of ``a`` per distance table.
      chunk: rows of ``b`` per distance table.

    Returns:
      ([N] indices into ``b``, [N] distances).
    """
    a = np.asarray(a).reshape(len(a), -1)
    b = np.asarray(b).reshape(len(b), -1)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"nearest needs arrays of the same shape, got {a.shape} and {b.shape}")
    index, distance = np.empty(len(a), np.int64), np.empty(len(a))
    for start in range(0, len(a), batch):
        block = a[start : start + batch].astype(np.float64)
        best = np.full(len(block), np.inf)
        winner = np.zeros(len(block), np.int64)
        for offset in range(0, len(b), chunk):
            part = b[offset : offset + chunk].astype(np.float64)
            squared = (block**2).sum(1)[:, None] - 2.0 * block @ part.T + (part**2).sum(1)[None]
            closest = np.argmin(squared, axis=1)
            value = squared[np.arange(len(block)), closest]
            better = value < best
            best[better], winner[better] = value[better], closest[better] + offset
        # recompute the winner exactly: the expanded form loses precision near 0
        index[start : start + batch] = winner
        distance[start : start + batch] = np.sqrt(
            ((block - b[winner].astype(np.float64)) ** 2).mean(1))
    return index, distance


def memorisation(samples, train_images, val_images) -> dict:
    """Do generated images copy the training set? Their distance to the nearest training
    image, against that of real held-out images.

    Every training image is a reference (``nearest``, chunked), so a sample that copies any
    of them is found. Real held-out images were drawn from the same distribution as the
    training images but are not in the training set: their median distance to the nearest
    training image is what a sampler that does not copy should reach (the "data-copying" test
    of Meehan et al. 2020, "A Non-Parametric Test to Detect Data-Copying in Generative
    Models", compares the same two distances). The summary statistic is the **median**:
    memorisation shows in the typical sample, and a mean lets a few off-manifold samples
    (far from everything) pull the ratio up and hide copying.

    Args:
      samples: [S, H, W, C] generated images in [0, 1].
      train_images, val_images: [N, H, W, C] and [M, H, W, C] dataset images.

    Returns:
      ``samples_to_train`` and ``validation_to_train`` (medians of the distance to the
      nearest training image), their ``ratio`` (about 1 or above: samples are no closer to
      training images than unseen real images are; well below 1: samples copy training
      images; a set that copies training images scores 0), ``n_samples``, ``n_train`` and
      ``n_validation``.
    """
    to_train = float(np.median(nearest(samples, train_images)[1]))
    real_to_train = float(np.median(nearest(val_images, train_images)[1]))
    return {
        "samples_to_train": to_train,
        "validation_to_train": real_to_train,
        "ratio": to_train / max(real_to_train, 1e-12),
        "n_samples": int(len(samples)),
        "n_train": int(len(train_images)),
        "n_validation": int(len(val_images)),
    }


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


def flatten(result, sep: str = ".", expand_lists: bool = False, prefix: str = "") -> dict:
    """Nested metric dicts as one level: ``{"validation.elbo": x, ...}``.

    Args:
      result: a dict of numbers, strings, lists and dicts.
      sep: joins the keys of nested levels.
      expand_lists: give list items their own keys (``kl_per_dimension.0``); otherwise a
        list is one value.
      prefix: prepended to every key.
    """
    if isinstance(result, dict) or (expand_lists and isinstance(result, list)):
        items = result.items() if isinstance(result, dict) else enumerate(result)
        flat = {}
        for key, value in items:
            flat.update(flatten(value, sep, expand_lists, f"{prefix}{sep}{key}" if prefix
                                else str(key)))
        return flat
    return {prefix: result}
