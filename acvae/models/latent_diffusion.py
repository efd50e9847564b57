"""A latent diffusion prior: a DDPM over the VAE's codes, sampled with DDIM.

Latent diffusion (Vahdat et al. 2021, "Score-based Generative Modeling in Latent Space";
Rombach et al. 2022, "High-Resolution Image Synthesis with Latent Diffusion Models") trains a
denoising diffusion model (Ho et al. 2020) on the codes of a trained autoencoder instead of
on pixels. Here it is fitted after training to posterior draws of the training codes,
normalised per dimension to zero mean and unit variance (``learned_samplers``):

- forward process (Ho et al. Eq. 4): q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I) with
  abar_t = prod_{s <= t} (1 - beta_s), over ``timesteps`` T steps of a ``"cosine"`` (Nichol &
  Dhariwal 2021, Eq. 17) or ``"linear"`` (Ho et al.: beta from 1e-4 to 0.02 at T = 1000)
  schedule;
- training: the network predicts the velocity v = sqrt(abar_t) eps - sqrt(1 - abar_t) x_0
  (Salimans & Ho 2022, "Progressive Distillation for Fast Sampling of Diffusion Models",
  Sec. 4) with the squared error ||v - v_theta(x_t, t)||^2, t uniform. Ho et al.'s noise
  prediction (Eq. 14) was tried first: its x_0 = (x_t - sqrt(1 - abar) eps) / sqrt(abar)
  multiplies the network's errors by 1 / sqrt(abar), thousands at the cosine schedule's last
  steps, and the codes it sampled for the demo were ~10x too large (white pages with
  saturated specks). From v, x_0 = sqrt(abar) x_t - sqrt(1 - abar) v and eps = sqrt(1 - abar)
  x_t + sqrt(abar) v, with no division;
- denoiser: convolutional over the latent map where the code has one (``CodeLayout``): the
  map's cells are a (h, w, c) image for residual 3x3 convolutions with a learned position
  bias, modulated (FiLM) by the time and the noisy global code; the global code is denoised
  jointly by a residual MLP that also sees the map's pooled features. A code without a map is
  denoised by the MLP alone;
- sampling: DDIM (Song et al. 2021, Eq. 12) from the predicted x_0 and eps on
  ``sampling_steps`` S evenly spaced steps with
  noise scale ``eta`` (0: deterministic DDIM; with S = T and eta = 1 it is DDPM's ancestral
  sampler with the posterior variance beta-tilde, Ho et al. Eqs. 6-7); the weights sampled
  with are an exponential moving average of the trained ones. The default, eta = 1 on 100
  steps, was measured on the demo (``benchmarks/samplers.py``, one fit): deterministic DDIM
  (eta = 0, 50 steps) drew duller, less real villagers (classifier two-sample AUC 0.69
  against 0.61, precision 0.54 against 0.70, sample chroma 0.79 against 0.86); 200 steps
  cost twice the time of 100 for no clear gain.

The density is not tractable in closed form (it needs the probability-flow ODE's trace), so
this sampler has no ``log_prob``. Selected in gin with
``experiment.sampler = @samplers.latent_diffusion()``.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from acvae.core import registry
from acvae.core.errors import ConfigError
from acvae.models import blocks
from acvae.models.learned_samplers import CodeLayout, LearnedSampler, check_positive

SCHEDULES = ("cosine", "linear")


def alpha_bars(schedule: str, timesteps: int) -> np.ndarray:
    """abar_t [T] (float64) for t = 1..T of a noise schedule.

    Args:
      schedule: ``"cosine"`` (Nichol & Dhariwal 2021, Eq. 17, s = 0.008, beta clipped at
        0.999) or ``"linear"`` (Ho et al. 2020; the betas scaled by 1000 / T, as Nichol &
        Dhariwal do for other T).
      timesteps: T.
    """
    if schedule == "linear":
        scale = 1000.0 / timesteps
        betas = np.linspace(scale * 1e-4, scale * 0.02, timesteps)
    elif schedule == "cosine":
        f = np.cos((np.arange(timesteps + 1) / timesteps + 0.008) / 1.008 * np.pi / 2) ** 2
        betas = np.clip(1.0 - f[1:] / f[:-1], 0.0, 0.999)
    else:
        raise ConfigError(f"samplers.latent_diffusion: schedule must be one of "
                          f"{', '.join(SCHEDULES)}, got {schedule!r}")
    return np.cumprod(1.0 - betas)


def diffuse(x0: tf.Tensor, alpha_bar: tf.Tensor, noise: tf.Tensor) -> tf.Tensor:
    """A draw of x_t ~ q(x_t | x_0) (Ho et al. Eq. 4): sqrt(abar) x0 + sqrt(1 - abar) noise,
    for x0 and noise [B, L] and abar [B] (or a scalar)."""
    alpha_bar = tf.reshape(tf.cast(alpha_bar, x0.dtype), [-1, 1])
    return tf.sqrt(alpha_bar) * x0 + tf.sqrt(1.0 - alpha_bar) * noise


def velocity(x0: tf.Tensor, noise: tf.Tensor, alpha_bar) -> tf.Tensor:
    """The training target v = sqrt(abar) noise - sqrt(1 - abar) x0 (Salimans & Ho 2022,
    Sec. 4) of x_t = ``diffuse(x0, abar, noise)``; abar [B] or a scalar."""
    alpha_bar = tf.reshape(tf.cast(alpha_bar, x0.dtype), [-1, 1])
    return tf.sqrt(alpha_bar) * noise - tf.sqrt(1.0 - alpha_bar) * x0


def from_velocity(x_t, v, alpha_bar) -> tuple[tf.Tensor, tf.Tensor]:
    """(x0, eps) [B, L] that x_t and its velocity v [B, L] imply at abar (a scalar)."""
    alpha_bar = tf.cast(alpha_bar, tf.convert_to_tensor(x_t).dtype)
    return (tf.sqrt(alpha_bar) * x_t - tf.sqrt(1.0 - alpha_bar) * v,
            tf.sqrt(1.0 - alpha_bar) * x_t + tf.sqrt(alpha_bar) * v)


def ddim_step(x0, eps, alpha_bar, alpha_bar_prev, eta: float, noise):
    """One DDIM update (Song et al. 2021, Eq. 12) from step t to the previous sampled step.

    Args:
      x0: [B, L] the predicted clean codes.
      eps: [B, L] the predicted noise (x_t = sqrt(abar) x0 + sqrt(1 - abar) eps).
      alpha_bar, alpha_bar_prev: abar at t and at the previous step (1 after the last).
      eta: the noise scale: sigma = eta sqrt((1 - abar_prev) / (1 - abar))
        sqrt(1 - abar / abar_prev).
      noise: [B, L] standard normal.

    Returns:
      x at the previous step [B, L].
    """
    sigma = eta * tf.sqrt((1.0 - alpha_bar_prev) / (1.0 - alpha_bar)
                          * (1.0 - alpha_bar / alpha_bar_prev))
    direction = tf.sqrt(tf.maximum(1.0 - alpha_bar_prev - sigma**2, 0.0)) * eps
    return tf.sqrt(alpha_bar_prev) * x0 + direction + sigma * noise


def sampling_times(timesteps: int, steps: int) -> np.ndarray:
    """The ``steps`` step indices (0-based, t - 1) a sampler visits, from T - 1 down to 0."""
    return np.unique(np.linspace(0, timesteps - 1, steps).round().astype(np.int64))[::-1]


class TimeEmbedding(keras.layers.Layer):
    """Sinusoidal features of the diffusion time (Vaswani et al. 2017; Ho et al. 2020, App. B):
    t in [0, 1] [B] -> [B, dim]."""

    def __init__(self, dim: int, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim

    def call(self, t):
        half = self.dim // 2
        frequencies = keras.ops.exp(-math.log(10_000.0) * keras.ops.arange(half, dtype="float32")
                                    / half)
        angles = 1000.0 * keras.ops.expand_dims(t, -1) * frequencies
        return keras.ops.concatenate([keras.ops.sin(angles), keras.ops.cos(angles)], -1)


class PositionBias(keras.layers.Layer):
    """A learned bias per cell and channel of a feature map [B, h, w, C], so that the
    convolutions know where on the map they are (a villager's ears are not its chin)."""

    def build(self, input_shape):
        self.bias = self.add_weight(shape=tuple(input_shape[1:]), name="bias",
                                    initializer=keras.initializers.RandomNormal(stddev=0.02))

    def call(self, x):
        return x + self.bias


def _map_block(h, condition, name: str):
    """A residual block of two 3x3 convolutions, the first one's output modulated (FiLM)."""
    width = h.shape[-1]
    r = keras.layers.GroupNormalization(8, name=f"{name}_norm0")(h)
    r = keras.layers.Conv2D(width, 3, padding="same", name=f"{name}_conv0")(
        keras.layers.Activation("silu", name=f"{name}_act0")(r))
    r = blocks.modulate(r, condition, name)
    r = keras.layers.GroupNormalization(8, name=f"{name}_norm1")(r)
    r = keras.layers.Conv2D(width, 3, padding="same", name=f"{name}_conv1")(
        keras.layers.Activation("silu", name=f"{name}_act1")(r))
    return keras.layers.Add(name=f"{name}_add")([h, r])


def _dense_block(h, name: str):
    """A residual block of two dense layers with layer normalisation and SiLU."""
    units = h.shape[-1]
    r = keras.layers.LayerNormalization(name=f"{name}_norm")(h)
    r = keras.layers.Dense(units, activation="silu", name=f"{name}_dense0")(r)
    r = keras.layers.Dense(units, name=f"{name}_dense1")(r)
    return keras.layers.Add(name=f"{name}_add")([h, r])


def denoiser(layout: CodeLayout, width: int = 64, depth: int = 3, units: int = 256,
             time_dim: int = 128) -> keras.Model:
    """v_theta: (x_t [B, L], t [B] in [0, 1]) -> predicted velocity [B, L] (see the module
    docstring); ``width`` channels and ``depth`` residual blocks on the map, ``units`` and
    ``depth`` residual blocks in the MLP. The outputs start at zero."""
    x = keras.Input((layout.size,), name="x")
    t = keras.Input((), name="t")
    time = keras.layers.Dense(time_dim, activation="silu", name="time")(
        TimeEmbedding(time_dim, name="time_features")(t))
    inputs = [time] + ([x[:, :layout.global_dim]] if layout.global_dim else [])
    h = keras.layers.Dense(units, activation="silu", name="global_in")(
        keras.layers.Concatenate(name="global_inputs")(inputs) if len(inputs) > 1 else time)
    outputs = []
    if layout.map_shape:
        condition = keras.layers.Dense(time_dim, activation="silu", name="condition")(h)
        m = keras.layers.Reshape(layout.map_shape, name="map")(x[:, layout.global_dim:])
        m = PositionBias(name="position")(
            keras.layers.Conv2D(width, 3, padding="same", name="map_in")(m))
        for i in range(depth):
            m = _map_block(m, condition, f"map_block{i}")
        pooled = keras.layers.GlobalAveragePooling2D(name="pool")(m)
        h = keras.layers.Dense(units, activation="silu", name="global_join")(
            keras.layers.Concatenate(name="joined")([h, pooled]))
        m = keras.layers.Activation("silu", name="map_out_act")(
            keras.layers.GroupNormalization(8, name="map_out_norm")(m))
        m = keras.layers.Conv2D(layout.map_shape[-1], 3, padding="same",
                                kernel_initializer="zeros", name="map_out")(m)
        outputs.append(keras.layers.Flatten(name="map_v")(m))
    for i in range(depth):
        h = _dense_block(h, f"global_block{i}")
    if layout.global_dim:
        outputs.insert(0, keras.layers.Dense(layout.global_dim, kernel_initializer="zeros",
                                             name="global_out")(h))
    v = keras.layers.Concatenate(name="v")(outputs) if len(outputs) > 1 else outputs[0]
    return keras.Model([x, t], v, name="denoiser")


@registry.register("samplers", "latent_diffusion")
class LatentDiffusionSampler(LearnedSampler):
    """A DDPM over the normalised codes, sampled with DDIM (see the module docstring).

    Args:
      timesteps: T, the diffusion's steps.
      schedule: ``"cosine"`` or ``"linear"``.
      sampling_steps: S <= T, the steps DDIM takes when sampling.
      eta: DDIM's noise scale (0 deterministic; 1 with S = T: DDPM).
      width, depth, units, time_dim: the denoiser (``denoiser``).
      steps, batch_size, learning_rate, max_seconds, ema_decay, posterior_draws,
        checkpoint_every, seed: the fit (``learned_samplers.LearnedSampler``).
    """

    name = "latent_diffusion"

    def __init__(self, timesteps: int = 1000, schedule: str = "cosine",
                 sampling_steps: int = 100, eta: float = 1.0, width: int = 64, depth: int = 3,
                 units: int = 256, time_dim: int = 128, steps: int = 3000,
                 batch_size: int = 64, learning_rate: float = 1e-3, max_seconds: float = 600.0,
                 ema_decay: float = 0.999, posterior_draws: bool = True,
                 checkpoint_every: int = 500, seed: int = 0):
        super().__init__(steps, batch_size, learning_rate, max_seconds, ema_decay,
                         posterior_draws, checkpoint_every, seed)
        check_positive(self.name, timesteps=timesteps, sampling_steps=sampling_steps,
                       width=width, depth=depth, units=units, time_dim=time_dim)
        if sampling_steps > timesteps or not 0.0 <= eta <= 1.0 or width % 8:
            raise ConfigError(f"samplers.latent_diffusion: need sampling_steps <= timesteps, "
                              f"0 <= eta <= 1 and width a multiple of 8 (group norm), got "
                              f"{sampling_steps}, {timesteps}, {eta}, {width}")
        self.settings.update(timesteps=int(timesteps), schedule=schedule,
                             sampling_steps=int(sampling_steps), eta=float(eta),
                             width=int(width), depth=int(depth), units=int(units),
                             time_dim=int(time_dim))
        self.alpha_bars = alpha_bars(schedule, int(timesteps)).astype(np.float32)

    def _networks(self, layout: CodeLayout) -> dict:
        keys = ("width", "depth", "units", "time_dim")
        return {"denoiser": denoiser(layout, **{k: self.settings[k] for k in keys})}

    def _loss(self, networks: dict, x: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """The mean squared error of the predicted velocity (Salimans & Ho 2022)."""
        batch, timesteps = tf.shape(x)[0], self.settings["timesteps"]
        t = tf.random.stateless_uniform([batch], seed, maxval=timesteps, dtype=tf.int32)
        noise = tf.random.stateless_normal(tf.shape(x),
                                           tf.random.experimental.stateless_fold_in(seed, 1))
        alpha_bar = tf.gather(self.alpha_bars, t)
        v = networks["denoiser"]([diffuse(x, alpha_bar, noise),
                                  tf.cast(t, tf.float32) / timesteps])
        return tf.reduce_mean(tf.square(velocity(x, noise, alpha_bar) - v))

    def _generate(self, n, seed: tf.Tensor) -> tf.Tensor:
        """DDIM from x_T ~ N(0, I) over ``sampling_times``, all in one graph loop."""
        times = sampling_times(self.settings["timesteps"], self.settings["sampling_steps"])
        alpha = self.alpha_bars[times]
        alpha_prev = np.append(self.alpha_bars[times[1:]], 1.0).astype(np.float32)
        return self._denoise(tf.random.stateless_normal(tf.stack([n, self.layout.size]), seed),
                             seed, tf.constant(times / self.settings["timesteps"], tf.float32),
                             tf.constant(alpha), tf.constant(alpha_prev),
                             tf.constant(self.settings["eta"], tf.float32))

    def _build(self, layout: CodeLayout, mean: np.ndarray, std: np.ndarray) -> None:
        super()._build(layout, mean, std)
        # compiled afresh for the new networks: a traced function keeps those it traced
        self._denoise = tf.function(self._denoise_steps, reduce_retracing=True)

    def _denoise_steps(self, x, seed, times, alpha, alpha_prev, eta):
        """The DDIM loop (``ddim_step`` with x_0 and eps from the predicted velocity) from
        x [n, L] at ``times[0]`` to x_0."""
        network = self.networks["denoiser"]
        for i in tf.range(tf.shape(times)[0]):
            x0, eps = from_velocity(x, network([x, tf.fill(tf.shape(x)[:1], times[i])]),
                                    alpha[i])
            noise = tf.random.stateless_normal(
                tf.shape(x), tf.random.experimental.stateless_fold_in(seed, i + 1))
            x = ddim_step(x0, eps, alpha[i], alpha_prev[i], eta, noise)
        return x
