"""FactorVAE: a discriminator estimates the total correlation of q(z), ``@models.factor_vae``.

Kim & Mnih (2018), "Disentangling by Factorising", Sec. 3, add to the ELBO a penalty on the
**total correlation** TC = KL(q(z) || q̄(z)) of the aggregate posterior q(z), with
q̄(z) = prod_j q(z_j); their Eq. 2 per image, with the trainer's KL weight ``beta_t``
(``train.beta``, warmed up):

    loss = reconstruction + beta_t * KL(q(z|x) || p(z)) + γ * TC

TC has no closed form: a discriminator D(z) (a logit) learns to tell codes z ~ q(z) from
codes whose dimensions were shuffled independently across the batch (``permute_dims``, their
Alg. 1), which are draws of q̄(z). At its optimum the logit is the density ratio
log q(z) / q̄(z) (the density-ratio trick), so its mean over the batch estimates TC:

    TC ~ mean_i D(z_i)
    discriminator loss = mean_i 1/2 [softplus(-D(z_i)) + softplus(D(z~_i))]

(the binary cross-entropy of "from q(z)" against "permuted"). The discriminator is trained
on that loss with its own Adam optimizer in the same train step (the ``VAE.own_optimizers``
hook; ``acvae.training.steps``); the VAE's optimizer trains everything else on ``loss`` (the
discriminator is left out of ``VAE.objective_variables``), so the TC term's gradient reaches
the encoder only. One departure from the paper: the permuted codes come from the same batch
rather than a second one (as in disentanglement_lib). ``history.csv`` shows ``train_tc`` /
``val_tc`` (nats) and ``train_discriminator`` (log 2 ~ 0.693 when D cannot tell the two
apart). disentanglement_lib sweeps γ over 10-100; 10 is the default here.

Switch it on in a ``.gin`` file (``configs/factor_vae.gin``)::

    import plugins.factor_vae
    include 'configs/base.gin'
    build_vae.model = @models.factor_vae
    models.factor_vae.tc_weight = 10.0
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

from acvae.core import knobs, registry
from acvae.models import VAE

knobs.declare("models.factor_vae", tc_weight=knobs.number(at_least=0),
              units=knobs.LAYERS, learning_rate=knobs.POSITIVE,
              beta_1=knobs.number(at_least=0, below=1), beta_2=knobs.number(at_least=0, below=1))


def permute_dims(z: tf.Tensor, seed) -> tf.Tensor:
    """Each dimension of z [M, L] shuffled across the batch on its own (Kim & Mnih 2018,
    Alg. 1): a draw of prod_j q(z_j) when z is a draw of q(z).

    Args:
      z: [M, L] codes.
      seed: a ``keras.random.SeedGenerator`` or an int.
    """
    keys = keras.random.uniform(tf.shape(z), seed=seed)
    order = tf.transpose(tf.argsort(keys, axis=0))  # [L, M]: a permutation per dimension
    return tf.transpose(tf.gather(tf.transpose(z), order, batch_dims=1))


def discriminator_loss(logits: tf.Tensor, permuted_logits: tf.Tensor) -> tf.Tensor:
    """Per-image binary cross-entropy [M] of D: z is "real" (1), its permutation "fake" (0)."""
    return 0.5 * (tf.nn.softplus(-logits) + tf.nn.softplus(permuted_logits))


def discriminator(latent_dim: int, units: Sequence[int]) -> keras.Model:
    """D: [M, L] -> logits [M, 1]: dense layers of ``units`` with leaky ReLUs (slope 0.2, as
    the paper's), float32 whatever the precision policy."""
    z = keras.Input((latent_dim,), name="code", dtype="float32")
    x = z
    for i, width in enumerate(units):
        x = keras.layers.Dense(width, dtype="float32", name=f"dense{i}")(x)
        x = keras.layers.LeakyReLU(0.2, dtype="float32", name=f"leaky{i}")(x)
    logit = keras.layers.Dense(1, dtype="float32", name="logit")(x)
    return keras.Model(z, logit, name="discriminator")


@registry.register("models", "factor_vae")
class FactorVAE(VAE):
    """A VAE whose objective adds γ times a discriminator's estimate of TC (see the module
    docstring).

    Args:
      tc_weight: γ of Kim & Mnih (2018); 0 gives the plain ELBO.
      units: the discriminator's hidden widths (the paper's: six layers of 1000).
      learning_rate, beta_1, beta_2: the discriminator's Adam (the paper's: 1e-4, 0.5, 0.9).
      **kwargs: as for ``VAE``.
    """

    term_names = VAE.term_names + ("tc", "discriminator")

    def __init__(self, tc_weight: float = 10.0, units: Sequence[int] = (1000,) * 6,
                 learning_rate: float = 1e-4, beta_1: float = 0.5, beta_2: float = 0.9,
                 **kwargs):
        kwargs.setdefault("name", "factor_vae")
        super().__init__(**kwargs)
        knobs.check("models.factor_vae", tc_weight=tc_weight, units=units,
                    learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2)
        self.tc_weight = float(tc_weight)
        self.discriminator = discriminator(self.latent_dim, tuple(units))
        self.discriminator_optimizer = keras.optimizers.Adam(
            learning_rate, beta_1=beta_1, beta_2=beta_2, name="discriminator_adam")
        self.discriminator_optimizer.build(self.discriminator.trainable_variables)

    @property
    def own_optimizers(self) -> dict:
        return {"discriminator": (self.discriminator_optimizer,
                                  self.discriminator.trainable_variables)}

    def regulariser(self, mean, logvar, z) -> dict:
        """The KL, D's TC estimate at each code and D's loss on the codes and their
        permutation (the objective trains the encoder on the first, D's optimizer trains D on
        the second)."""
        logits = self.discriminator(z)[:, 0]
        permuted = permute_dims(tf.stop_gradient(z), self.noise_seed)
        return {**super().regulariser(mean, logvar, z), "tc": logits,
                "discriminator": discriminator_loss(logits, self.discriminator(permuted)[:, 0])}

    def objective(self, terms: dict, beta) -> tf.Tensor:
        """reconstruction + beta * KL + γ * TC; the discriminator's term is its own."""
        return terms["reconstruction"] + beta * terms["kl"] + self.tc_weight * terms["tc"]
