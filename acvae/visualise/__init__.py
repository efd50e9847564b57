"""Figures of a run: registered visualisers, run during training and post hoc.

Importing this package registers every built-in visualiser under the gin kind ``visualisers``
(``@visualisers.loss()`` etc.); plugins register more the same way. ``create`` instantiates
visualisers by name through gin, so bindings such as ``visualisers.latent_grid.n = 15`` apply.
``python -m acvae visualise --run_dir=RUN`` runs them on a finished run.
"""

from __future__ import annotations

import gin

from acvae.core import registry
from acvae.core.errors import ConfigError
from acvae.visualise import (  # importing each registers its visualiser
    base,
    embedding,
    factors,
    index_html,
    latent_grid,
    latent_traversals,
    latent_walk,
    loss,
    nearest_train,
    reconstructions,
    samples,
    training_movie,
)
from acvae.visualise.base import Visualiser, train_end

__all__ = ["ALL", "Visualiser", "available", "create", "train_end", "base", "embedding",
           "factors", "index_html", "latent_grid", "latent_traversals", "latent_walk", "loss",
           "nearest_train", "reconstructions", "samples", "training_movie"]

# Every built-in visualiser, in the order their figures are read; index_html runs last.
ALL = ("samples", "loss", "latent_grid", "latent_traversals", "factors", "embedding",
       "latent_walk", "training_movie", "reconstructions", "nearest_train", "index_html")


def available() -> list[str]:
    """Registered visualiser names: the built-ins in ``ALL`` order, then plugins by name."""
    return list(ALL) + [name for name in registry.names("visualisers") if name not in ALL]


def create(names=None) -> list[Visualiser]:
    """Instantiates visualisers by registered name (all of them by default), applying gin bindings.

    Raises:
      ConfigError: for unknown names, listing the valid ones.
    """
    names = available() if names is None else list(names)
    unknown = [name for name in names if name not in registry.names("visualisers")]
    if unknown:
        raise ConfigError(
            f"unknown visualiser(s) {', '.join(unknown)}; valid names: {', '.join(available())}"
        )
    return [gin.get_configurable(f"visualisers.{name}")() for name in names]
