"""Tiny untrained runs on synthetic villagers, for the visualiser tests.

Each ``tiny_run`` is a ``Run`` of 16x16 images built by ``build_vae`` with a few filters and
the shared 24-villager TFRecord, for one (latent dimensions, channels) combination; together
they cover latent dimensions 1, 2, 3 and channels 1, 3, 4. The models are untrained on purpose:
every figure must work before training too.
"""

import functools

import keras

from acvae.data.pipeline import input_pipeline
from acvae.models import build_vae, decoders, encoders
from acvae.runs import experiment

COMBINATIONS = ((1, 4), (2, 3), (3, 1))  # (latent_dim, n_channels)
IMAGE = 16
DPI = 30  # small figures keep the tests fast


def fake_history(n_epochs: int) -> list[dict[str, float]]:
    """History rows shaped like ``history.csv`` with decreasing losses."""
    return [
        {"epoch": e, "train_loss": 100.0 - e, "val_loss": 105.0 - e / 2,
         "train_reconstruction": 95.0 - e, "val_reconstruction": 99.0 - e / 2,
         "train_kl": 5.0 + e / 10, "val_kl": 6.0, "train_elbo": e - 100.0,
         "val_elbo": e / 2 - 105.0, "beta": 1.0, "seconds": 0.5}
        for e in range(1, n_epochs + 1)
    ]


def make_run(run_dir, tfrecord, latent_dim: int, n_channels: int,
             n_epochs: int = 3) -> experiment.Run:
    """An untrained tiny ``Run`` in ``run_dir`` with a fake ``n_epochs``-epoch history."""
    keras.utils.set_random_seed(0)
    data = input_pipeline([str(tfrecord)], image_shape=(IMAGE, IMAGE), n_channels=n_channels,
                          batch_size=8)
    model = build_vae(
        (IMAGE, IMAGE), n_channels, latent_dim=latent_dim,
        encoder=functools.partial(encoders.conv, filters=(4, 8)),
        decoder=functools.partial(decoders.conv, filters=(4, 8)),
    )
    return experiment.Run(run_dir=run_dir, model=model, data=data, history=fake_history(n_epochs),
                    epoch=n_epochs)
