"""VQ-VAE: a code snapped to a learned codebook, sampled through a learned prior over its indices.

van den Oord, Vinyals & Kavukcuoglu (2017), "Neural Discrete Representation Learning", Sec.
3. The encoder's output z_e(x) [L] is read as N = L / D vectors of ``code_dim`` D numbers (with
``build_vae.map_channels = D`` and ``LATENT_DIM = 0``, a code that is all latent map, one per
cell of the map), and each is replaced by its nearest of K codebook vectors e_k: the code the
decoder sees is z_q(x) = e_{k(x)}, k(x) = argmin_k ||z_e(x) - e_k|| (their Eqs. 1-2). The
gradient passes the quantisation unchanged (straight-through: z_e + stop_gradient(z_q - z_e)).
Their loss (Eq. 3), summed over the N vectors as the reconstruction sums over pixels:

    loss = reconstruction + beta_t * N log K + β * ||z_e - sg(e)||^2 [+ ||sg(z_e) - e||^2]

``kl`` = N log K is the KL of the one-hot posterior to a uniform prior over the codes (Sec.
3.1: a constant), so -(reconstruction + kl) is the ELBO as for every model; ``commitment`` is
||z_e - sg(e)||^2 (weighted by β, ``commitment_weight``, 0.25 in the paper). The codebook
learns either from the bracketed codebook loss (``ema_decay = 0``; the term ``codebook``), or,
by default, as exponential moving averages (their App. A.1; Razavi et al. 2019, "Generating
Diverse High-Fidelity Images with VQ-VAE-2", App. A): with n_k the batch's vectors assigned
to code k and s_k their sum,

    N_k <- γ N_k + (1 - γ) n_k,   m_k <- γ m_k + (1 - γ) s_k,   e_k <- m_k / N_k~

with N_k~ = (N_k + ε) / (n + K ε) n, n = sum_k N_k (Laplace smoothing, as Sonnet's
``VectorQuantizerEMA``), applied in the train step's forward pass (``training=True``), like
batch normalisation's moving averages (on one replica: a strategy of several needs
``ema_decay = 0``, since no replica may synchronise inside the step's per-replica branch). The averages start at one observation of each initial
code, so a code no vector picks keeps its place (a start at zero would move it to the origin).
``code_entropy`` is the entropy (nats) of the batch's code histogram: log K when every code is
used alike, 0 when one code serves all (codebook collapse).

The hooks: ``encode`` returns z_e as a point posterior (log-variance -inf;
``gaussian_posterior = False``, so ``evaluate`` omits the IWAE bound and the per-dimension KL),
``reparameterize`` returns it, ``decoder_inputs`` quantises (so every decode — figures,
``generate``, ``export`` — snaps a code to the codebook), ``loss_terms`` adds the terms above.

Generation: a prior over the index sequence k_1..k_N (raster order) learned after training,
``@samplers.vq_code_prior`` (van den Oord et al. fit a PixelCNN over the index map): a GRU over
the positions in raster order gives p(k_t | k_<t) (``index_model``), fitted to the training
codes with ``learned_samplers.LearnedSampler`` (bounded, resumable, saved and restored with
identical draws) and sampled one position, one GRU step, at a time (N steps for n images at
once; a causal convolution stack trains as fast but must rerun the whole sequence for each
position it draws: N passes over N positions).

Switch it on in a ``.gin`` file (``configs/vq_vae.gin``)::

    import plugins.vq_vae
    include 'configs/base.gin'
    LATENT_DIM = 0
    build_vae.map_channels = 4
    build_vae.model = @models.vq_vae
    models.vq_vae.code_dim = 4
    experiment.sampler = @samplers.vq_code_prior()
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from acvae.core import knobs, registry
from acvae.core.errors import ConfigError
from acvae.models import VAE
from acvae.models.latent_diffusion import PositionBias
from acvae.models.learned_samplers import LearnedSampler, saved_state

knobs.declare("models.vq_vae", code_dim=knobs.COUNT, n_codes=knobs.integer(at_least=2),
              commitment_weight=knobs.number(at_least=0),
              ema_decay=knobs.number(at_least=0, below=1), epsilon=knobs.POSITIVE)
knobs.declare("samplers.vq_code_prior", width=knobs.COUNT, steps=knobs.COUNT,
              batch_size=knobs.COUNT, learning_rate=knobs.POSITIVE, max_seconds=knobs.POSITIVE,
              ema_decay=knobs.number(at_least=0, below=1), checkpoint_every=knobs.COUNT,
              seed=knobs.SEED)


def nearest_codes(vectors: tf.Tensor, codebook) -> tf.Tensor:
    """Indices int32 [..., N] of the nearest codebook row (Euclidean) to each vector.

    Args:
      vectors: [..., N, D].
      codebook: [K, D].
    """
    codebook = tf.cast(tf.convert_to_tensor(codebook), vectors.dtype)
    squared = (tf.reduce_sum(tf.square(codebook), -1)
               - 2.0 * tf.einsum("...d,kd->...k", vectors, codebook))  # ||v||^2 left out
    return tf.argmin(squared, axis=-1, output_type=tf.int32)


def code_entropy(indices: tf.Tensor, n_codes: int) -> tf.Tensor:
    """The entropy (nats, a scalar) of the histogram of ``indices`` over ``n_codes`` codes."""
    counts = tf.reduce_sum(tf.one_hot(tf.reshape(indices, [-1]), n_codes), 0)
    p = counts / tf.reduce_sum(counts)
    return -tf.reduce_sum(tf.math.multiply_no_nan(tf.math.log(p), p))


def ema_update(counts, sums, vectors, indices, decay: float, epsilon: float):
    """One EMA step of the codebook (see the module docstring).

    Args:
      counts: N_k [K], the moving average of the codes' counts.
      sums: m_k [K, D], the moving average of the sums of their vectors.
      vectors: [M, D] the batch's encoder vectors.
      indices: [M] their codes.
      decay: γ.
      epsilon: ε, the Laplace smoothing.

    Returns:
      (counts [K], sums [K, D], codebook [K, D]) after the step.
    """
    n_codes = tf.shape(counts)[0]
    one_hot = tf.one_hot(indices, n_codes, dtype=vectors.dtype)  # [M, K]
    counts = decay * counts + (1.0 - decay) * tf.reduce_sum(one_hot, 0)
    sums = decay * sums + (1.0 - decay) * tf.matmul(one_hot, vectors, transpose_a=True)
    total = tf.reduce_sum(counts)
    smoothed = (counts + epsilon) / (total + tf.cast(n_codes, counts.dtype) * epsilon) * total
    return counts, sums, sums / smoothed[:, None]


@registry.register("models", "vq_vae")
class VQVAE(VAE):
    """A VAE whose code is snapped to a learned codebook (see the module docstring).

    Args:
      code_dim: D, the numbers per code vector; the latent size L must be a multiple of it.
      n_codes: K, the codebook's size.
      commitment_weight: β of the commitment loss.
      ema_decay: γ of the codebook's moving averages; 0: the codebook is trained by gradient
        on the codebook loss instead.
      epsilon: ε, the Laplace smoothing of the moving averages' counts.
      **kwargs: as for ``VAE``.
    """

    gaussian_posterior = False

    def __init__(self, code_dim: int = 4, n_codes: int = 64, commitment_weight: float = 0.25,
                 ema_decay: float = 0.99, epsilon: float = 1e-5, **kwargs):
        kwargs.setdefault("name", "vq_vae")
        super().__init__(**kwargs)
        knobs.check("models.vq_vae", code_dim=code_dim, n_codes=n_codes,
                    commitment_weight=commitment_weight, ema_decay=ema_decay, epsilon=epsilon)
        if self.latent_dim % code_dim:
            raise ConfigError(f"models.vq_vae: latent_dim {self.latent_dim} is not a multiple "
                              f"of code_dim {code_dim}")
        if ema_decay and tf.distribute.get_strategy().num_replicas_in_sync > 1:
            raise ConfigError("models.vq_vae: the codebook's moving averages (ema_decay > 0) "
                              "are updated on one replica only; under a strategy of several "
                              "replicas set models.vq_vae.ema_decay = 0 (the codebook then "
                              "learns from its own loss)")
        self.code_dim, self.n_codes, self.n_positions = code_dim, n_codes, \
            self.latent_dim // code_dim
        self.commitment_weight, self.ema_decay, self.epsilon = \
            float(commitment_weight), float(ema_decay), float(epsilon)
        limit = math.sqrt(3.0 / code_dim)  # Sonnet's variance scaling, uniform, fan-in D
        self.codebook = self.add_weight(
            shape=(n_codes, code_dim), dtype="float32", name="codebook",
            initializer=keras.initializers.RandomUniform(-limit, limit),
            trainable=not self.ema_decay, aggregation="mean")
        if self.ema_decay:
            self.ema_counts = self.add_weight(shape=(n_codes,), dtype="float32", trainable=False,
                                              initializer="ones", name="ema_counts")
            self.ema_sums = self.add_weight(shape=(n_codes, code_dim), dtype="float32",
                                            trainable=False, initializer="zeros",
                                            name="ema_sums")
            self.ema_sums.assign(self.codebook.value)

    @property
    def term_names(self) -> tuple[str, ...]:
        """reconstruction, kl, commitment, code_entropy and, without EMA, codebook."""
        return (*VAE.term_names, "commitment", "code_entropy",
                *(() if self.ema_decay else ("codebook",)))

    def quantise(self, z) -> tuple[tf.Tensor, tf.Tensor]:
        """(indices int32 [B, N], the codebook vectors [B, L]) nearest to codes z [B, L]."""
        z = tf.cast(z, tf.float32)
        indices = nearest_codes(tf.reshape(z, [-1, self.n_positions, self.code_dim]),
                                self.codebook)
        return indices, tf.reshape(tf.gather(self.codebook, indices), tf.shape(z))

    def encode(self, images, condition=None, training: bool = False):
        """The encoder's z_e [B, L] as a point posterior: (z_e, log-variance -inf)."""
        z_e, _ = super().encode(images, condition, training=training)
        return z_e, tf.fill(tf.shape(z_e), -np.inf)

    def reparameterize(self, mean, logvar, seed=None):
        """The point posterior's only sample: its mean."""
        del logvar, seed
        return mean

    def decoder_inputs(self, z, condition=None):
        """The nearest codebook vectors, with the gradient passed straight through to z."""
        del condition
        _, codes = self.quantise(z)
        return z + tf.stop_gradient(codes - z)

    def loss_terms(self, images, condition=None, training: bool = False) -> dict:
        """Per-image terms [B] (see the module docstring); updates the codebook's moving
        averages when ``training`` (with EMA)."""
        images = tf.cast(images, tf.float32)
        z_e, _ = self.encode(images, condition, training=training)
        indices, codes = self.quantise(z_e)
        params = self.decode(z_e, condition, training=training)
        ones = tf.ones(tf.shape(z_e)[:1])
        terms = {"reconstruction": -self.likelihood.log_prob(images, params),
                 "kl": ones * (self.n_positions * math.log(self.n_codes)),
                 "commitment": tf.reduce_sum(tf.square(z_e - tf.stop_gradient(codes)), -1),
                 "code_entropy": ones * code_entropy(indices, self.n_codes)}
        if not self.ema_decay:
            terms["codebook"] = tf.reduce_sum(tf.square(tf.stop_gradient(z_e) - codes), -1)
        elif training:
            self._update_codebook(z_e, indices)
        return terms

    def _update_codebook(self, z_e, indices) -> None:
        vectors = tf.reshape(tf.stop_gradient(z_e), [-1, self.code_dim])
        counts, sums, codebook = ema_update(self.ema_counts.value, self.ema_sums.value, vectors,
                                            tf.reshape(indices, [-1]), self.ema_decay,
                                            self.epsilon)
        self.ema_counts.assign(counts)
        self.ema_sums.assign(sums)
        self.codebook.assign(codebook)

    def objective(self, terms: dict, beta) -> tf.Tensor:
        """reconstruction + beta * N log K + β * commitment [+ codebook]."""
        loss = (terms["reconstruction"] + beta * terms["kl"]
                + self.commitment_weight * terms["commitment"])
        return loss + terms["codebook"] if "codebook" in terms else loss


def index_model(n_positions: int, n_codes: int, width: int) -> keras.Model:
    """p(k_t | k_<t): indices shifted right by one ([M, N] int32, ``n_codes`` as the start
    token) -> logits [M, N, K].

    An embedding of each previous index plus a learned one of each position, a GRU (Cho et al.
    2014) of ``width`` units over the positions in raster order, and a dense layer to the K
    logits. The GRU's state carries everything drawn so far, so sampling costs one cell step
    per position (``CodePrior``), not a pass over the whole sequence.
    """
    previous = keras.Input((n_positions,), dtype="int32", name="previous")
    x = keras.layers.Embedding(n_codes + 1, width, name="embed")(previous)
    x = PositionBias(name="position")(x)
    x = keras.layers.GRU(width, return_sequences=True, name="gru")(x)
    return keras.Model(previous, keras.layers.Dense(n_codes, name="logits")(x), name="code_prior")


def codebook_network(codebook: np.ndarray) -> keras.Model:
    """The codebook [K, D] as a frozen network (indices [M, N] -> vectors [M, N, D]), so the
    sampler saves and restores it with its weights."""
    n_codes, code_dim = codebook.shape
    indices = keras.Input((None,), dtype="int32", name="indices")
    table = keras.layers.Embedding(n_codes, code_dim, trainable=False, name="codebook",
                                   embeddings_initializer=keras.initializers.Constant(codebook))
    return keras.Model(indices, table(indices), name="codebook")


@registry.register("samplers", "vq_code_prior")
class CodePrior(LearnedSampler):
    """An autoregressive prior over a VQ-VAE's code indices (see the module docstring),
    fitted to the training codes after training.

    Args:
      width: units of the GRU (and of the index and position embeddings).
      steps, batch_size, learning_rate, max_seconds, ema_decay, checkpoint_every, seed: the
        fit (``learned_samplers.LearnedSampler``; a point posterior has no draws to fit).
    """

    name = "vq_code_prior"

    def __init__(self, width: int = 128, steps: int = 2000, batch_size: int = 64,
                 learning_rate: float = 1e-3, max_seconds: float = 300.0,
                 ema_decay: float = 0.0, checkpoint_every: int = 500, seed: int = 0):
        super().__init__(steps, batch_size, learning_rate, max_seconds, ema_decay, False,
                         checkpoint_every, seed)
        knobs.check("samplers.vq_code_prior", width=width)
        self.settings.update(width=int(width))
        self.codebook = None  # [K, D] numpy: the model's at fit, zeros before a restore

    def fit(self, model, means, logvars=None, **kwargs) -> "CodePrior":
        """Fits the prior to the code indices of ``model`` (a ``VQVAE``) at the training
        posterior means [N, L]; as ``LearnedSampler.fit`` otherwise."""
        if not isinstance(model, VQVAE):
            raise ConfigError(f"samplers.{self.name} needs a VQ-VAE (@models.vq_vae), not "
                              f"{type(model).__name__}")
        self.codebook = np.asarray(model.codebook.value, np.float32)
        return super().fit(model, means, logvars, **kwargs)

    def _networks(self, layout) -> dict:
        n_codes, code_dim = self.codebook.shape
        return {"prior": index_model(layout.size // code_dim, n_codes, self.settings["width"]),
                "codebook": codebook_network(self.codebook)}

    def _build(self, layout, mean, std) -> None:
        super()._build(layout, mean, std)
        # compiled afresh for the new networks: a traced function keeps those it traced
        self._draw = tf.function(self._draw_indices, reduce_retracing=True)

    def _indices(self, networks: dict, x: tf.Tensor) -> tf.Tensor:
        """The code indices [M, N] of normalised codes x [M, L]."""
        table = networks["codebook"].get_layer("codebook").embeddings
        vectors = tf.reshape(x * self.std + self.mean, [tf.shape(x)[0], -1, table.shape[1]])
        return nearest_codes(vectors, table)

    def _shifted(self, indices: tf.Tensor) -> tf.Tensor:
        """[M, N] indices moved one position right behind the start token (K)."""
        start = tf.fill(tf.stack([tf.shape(indices)[0], 1]), self.codebook.shape[0])
        return tf.concat([start, indices[:, :-1]], axis=1)

    def _log_likelihoods(self, networks: dict, indices: tf.Tensor) -> tf.Tensor:
        """log p(k_t | k_<t) [M, N] of index sequences [M, N]."""
        logits = networks["prior"](self._shifted(indices))
        return -tf.nn.sparse_softmax_cross_entropy_with_logits(indices, logits)

    def _loss(self, networks: dict, x: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """Nats per position: the mean negative log-likelihood of the codes' indices."""
        del seed
        return -tf.reduce_mean(self._log_likelihoods(networks, self._indices(networks, x)))

    def _draw_indices(self, n, seed: tf.Tensor) -> tf.Tensor:
        """[n, N] index sequences drawn position by position, one GRU step each (stateless,
        from ``seed``)."""
        network = self.networks["prior"]
        embed, head = network.get_layer("embed"), network.get_layer("logits")
        positions, cell = network.get_layer("position").bias, network.get_layer("gru").cell
        previous = tf.fill(tf.stack([n]), self.codebook.shape[0])  # the start token
        state = tf.zeros(tf.stack([n, self.settings["width"]]))
        drawn = tf.TensorArray(tf.int32, size=positions.shape[0])
        for t in tf.range(positions.shape[0]):
            state, _ = cell(embed(previous) + tf.gather(positions, t), [state])
            previous = tf.random.stateless_categorical(
                head(state), 1, tf.random.experimental.stateless_fold_in(seed, t),
                dtype=tf.int32)[:, 0]
            drawn = drawn.write(t, previous)
        return tf.transpose(drawn.stack())

    def _generate(self, n, seed: tf.Tensor) -> tf.Tensor:
        vectors = self.networks["codebook"](self._draw(n, seed))
        return (tf.reshape(vectors, tf.stack([n, self.layout.size])) - self.mean) / self.std

    def log_prob(self, z) -> tf.Tensor:
        """log p of the index sequence [n] (nats, a probability mass) of the codes nearest
        z [n, L]."""
        x = (tf.cast(z, tf.float32) - self.mean) / self.std
        indices = self._indices(self.networks, x)
        return tf.reduce_sum(self._log_likelihoods(self.networks, indices), -1)

    def save(self, directory):
        """As ``LearnedSampler.save``, with the codebook's shape in ``sampler.json``."""
        self.fit_info = {**self.fit_info, "codebook_shape": list(self.codebook.shape)}
        return super().save(directory)

    def restore(self, directory) -> "CodePrior":
        """As ``LearnedSampler.restore`` (the codebook comes with the weights)."""
        shape = ((saved_state(directory) or {}).get("fit") or {}).get("codebook_shape")
        self.codebook = np.zeros(shape or (1, 1), np.float32)  # its values come with the weights
        return super().restore(directory)
