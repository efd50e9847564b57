"""The visualiser protocol: what a figure declares, when it runs, and its argument checks.

A visualiser is a plain Python class registered under the gin kind ``visualisers``. The trainer
calls ``on_epoch_end(run, epoch)`` every ``EPOCH_STEP`` epochs (and after the last epoch) and
``on_train_end(run)`` once at the end; ``python -m acvae visualise`` calls ``on_train_end`` on a
finished run. Every file a visualiser writes is declared (``filename`` and ``outputs``), so the
run folder's owner (``acvae.runs.run_folder.RunFolder``) knows it; figures are written through
``run.folder.write_figure`` with a writer from ``acvae.visualise.files``. The helpers live by
job: ``images`` (displayable pixels), ``latents`` (latent points and decoding), ``plots``
(matplotlib layouts), ``files`` (PNG, GIF, figure encoders).
"""

from __future__ import annotations

import pathlib
from typing import Iterable

from acvae.core.errors import ConfigError
from acvae.runs import run_folder

SPLITS = ("train_eval", "validation")  # InputData fields in a fixed order


class Visualiser:
    """Base class with no-op hooks; subclasses set ``filename`` and override ``on_train_end``.

    Attributes:
      filename: the main file written under ``RUN/figures/``.
      outputs: further files it writes there (globs relative to ``figures/``).
      order: visualisers finish in increasing ``order``; the index page (100) comes last so it
        can embed every other figure.
    """

    filename: str = ""
    outputs: tuple[str, ...] = ()
    order: int = 0

    def __init_subclass__(cls, **kwargs):
        """Declares the subclass's figures with the run folder's owner, which writes them."""
        super().__init_subclass__(**kwargs)
        for output in cls.declared_outputs():
            run_folder.declare(f"{run_folder.FIGURES_DIR}/{output}")

    @classmethod
    def declared_outputs(cls) -> tuple[str, ...]:
        """Every file (glob) this visualiser may write under ``figures/``."""
        return tuple(name for name in (cls.filename, *cls.outputs) if name)

    def on_epoch_end(self, run, epoch: int) -> None:
        """Called every ``EPOCH_STEP`` epochs and after the last one; does nothing by default."""
        del run, epoch

    def on_train_end(self, run) -> list[pathlib.Path]:
        """Writes this visualiser's figure(s) and returns their paths."""
        raise NotImplementedError(f"{type(self).__name__} must implement on_train_end")


def in_order(visualisers: Iterable[Visualiser]) -> list[Visualiser]:
    """The visualisers in the order they finish (``order``)."""
    return sorted(visualisers, key=lambda v: getattr(v, "order", 0))


def train_end(visualisers: Iterable[Visualiser], run) -> list[pathlib.Path]:
    """Calls ``on_train_end`` on every visualiser in ``order``; returns all paths written."""
    paths = []
    for visualiser in in_order(visualisers):
        paths.extend(visualiser.on_train_end(run))
    return paths


def check_choice(what: str, value, valid) -> None:
    """Raises a one-line ``ConfigError`` listing ``valid`` when ``value`` is not one of them."""
    if value not in valid:
        raise ConfigError(f"unknown {what} {value!r}; valid: {', '.join(map(str, valid))}")
