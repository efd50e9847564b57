"""The valid range of every numeric knob, in one table, checked before anything is built.

A knob is a numeric parameter of a configurable: ``train.n_epochs``,
``optimizers.adam.learning_rate``, ``input_pipeline.image_shape``, ... ``RANGES`` maps each
configurable (by the name a ``.gin`` file uses) to its knobs' ranges. ``acvae.core.config`` checks
every binding of a knob whenever a config is parsed, macros included (``N_EPOCHS = 0`` through
``train.n_epochs = %N_EPOCHS``), so a value out of range is one ``ConfigError`` naming the
binding, its value and its range before a run folder exists; ``check`` applies the same
ranges to arguments given in Python (``train`` calls it). A plugin adds the ranges of its own
knobs with ``declare``. Values that are objects (``@schedules.cosine()`` as a learning rate)
are not numbers and are left to the component that receives them. A number must be finite
(``1e999`` is infinity, never a valid knob). ``Name`` knobs are names a library must know (a
Keras activation). ``COMPONENTS`` names the parameters that take a registered component and its
kind (``train.optimizer``: an ``@optimizers...()``), which ``acvae.core.config`` checks as well.
"""

from __future__ import annotations

import dataclasses
import math
import numbers as numeric
from collections.abc import Callable

from acvae.core import registry
from acvae.core.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class Number:
    """A number in a range, or one of a few values.

    Build one with ``integer``, ``number`` or ``one_of``.

    Attributes:
      integral: only integers (bools never count as numbers).
      low, high: the bounds, None for none.
      low_open, high_open: the bound itself is excluded.
      optional: None is accepted as well.
      choices: the only values accepted, when given.
    """

    integral: bool = False
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    optional: bool = False
    choices: tuple = ()

    def accepts(self, value) -> bool:
        """Whether ``value`` is in range."""
        if value is None:
            return self.optional
        if isinstance(value, bool) or not isinstance(value, numeric.Real):
            return False
        if not math.isfinite(value):
            return False
        if self.choices:
            return value in self.choices
        if self.integral and not isinstance(value, numeric.Integral):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or (value < self.high if self.high_open else value <= self.high)

    def describe(self, plural: bool = False) -> str:
        """``"an integer >= 1"``, ``"a number in [0, 1)"``, ``"one of 1, 3, 4"`` (or plural)."""
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        kind = ("integers" if plural else "an integer") if self.integral else (
            "numbers" if plural else "a number")
        if self.low is not None and self.high is not None:
            text = (f"{kind} in {'(' if self.low_open else '['}{self.low:g}, "
                    f"{self.high:g}{')' if self.high_open else ']'}")
        elif self.low is not None:
            text = f"{kind} {'>' if self.low_open else '>='} {self.low:g}"
        elif self.high is not None:
            text = f"{kind} {'<' if self.high_open else '<='} {self.high:g}"
        else:
            text = kind
        return text + (" or None" if self.optional else "")


@dataclasses.dataclass(frozen=True)
class Numbers:
    """A tuple or list of numbers, each in ``item``'s range.

    Attributes:
      item: the range of every entry.
      length: the exact number of entries, when fixed (an image shape has 2).
      min_length: the fewest entries.
      optional: None is accepted as well.
    """

    item: Number
    length: int | None = None
    min_length: int = 0
    optional: bool = False

    def accepts(self, value) -> bool:
        """Whether ``value`` is a tuple or list of the right length, every entry in range."""
        if value is None:
            return self.optional
        if not isinstance(value, (tuple, list)):
            return False
        if len(value) < self.min_length or self.length not in (None, len(value)):
            return False
        return all(self.item.accepts(entry) for entry in value)

    def describe(self, plural: bool = False) -> str:
        """``"a tuple of 2 integers >= 1"``, ``"a tuple of at least 1 integers >= 1"``."""
        del plural
        count = (f"{self.length} " if self.length is not None else
                 f"at least {self.min_length} " if self.min_length else "")
        return (f"a tuple of {count}{self.item.describe(plural=True)}"
                + (" or None" if self.optional else ""))


@dataclasses.dataclass(frozen=True)
class Name:
    """A name some library must know, such as a Keras activation.

    Attributes:
      what: the kind of name, for messages (``"a Keras activation such as relu or gelu"``).
      known: whether a string names one.
    """

    what: str
    known: Callable[[str], bool]

    def accepts(self, value) -> bool:
        """Whether ``value`` is a string ``known`` accepts."""
        return isinstance(value, str) and self.known(value)

    def describe(self, plural: bool = False) -> str:
        """``what``."""
        del plural
        return self.what


def _keras_activation(name: str) -> bool:
    import keras

    try:
        keras.activations.get(name)
    except (ValueError, TypeError):
        return False
    return True


def integer(at_least: int | None = None, at_most: int | None = None,
            optional: bool = False) -> Number:
    """An integer in [``at_least``, ``at_most``] (either bound may be left out)."""
    return Number(integral=True, low=at_least, high=at_most, optional=optional)


def number(at_least: float | None = None, above: float | None = None,
           at_most: float | None = None, below: float | None = None,
           optional: bool = False) -> Number:
    """A real number with inclusive (``at_least``, ``at_most``) or exclusive (``above``,
    ``below``) bounds."""
    return Number(low=above if above is not None else at_least,
                  high=below if below is not None else at_most,
                  low_open=above is not None, high_open=below is not None, optional=optional)


def one_of(*values) -> Number:
    """One of ``values`` (numbers)."""
    return Number(choices=tuple(values))


COUNT = integer(at_least=1)
SEED = integer(at_least=0)
POSITIVE = number(above=0)
FRACTION = number(at_least=0, at_most=1)
QUANTILES = Numbers(FRACTION, length=2)
PERCENTILES = Numbers(number(at_least=0, at_most=100), length=2)
LAYERS = Numbers(COUNT, min_length=1)
# figures: pictures shown, cells per side of a grid, draws, frames, sizes; bounded so that a
# figure fits in memory and opens (a larger one is refused when drawn: acvae.visualise.files)
PICTURES = integer(at_least=1, at_most=1024)
SIDE = integer(at_least=1, at_most=100)
DRAWS = integer(at_least=1, at_most=1_000_000)
FRAMES = integer(at_least=2, at_most=10_000)
DPI = number(above=0, at_most=1000)
INCHES = number(above=0, at_most=100)
PADDING = integer(at_least=0, at_most=100)
ACTIVATION = Name("the name of a Keras activation such as relu, gelu or swish", _keras_activation)

_OPTIMIZER = {
    "learning_rate": POSITIVE, "beta_1": number(at_least=0, below=1),
    "beta_2": number(at_least=0, below=1), "epsilon": POSITIVE, "rho": number(at_least=0, below=1),
    "momentum": FRACTION, "weight_decay": number(at_least=0, optional=True),
    "clipnorm": number(above=0, optional=True), "clipvalue": number(above=0, optional=True),
    "global_clipnorm": number(above=0, optional=True), "ema_momentum": FRACTION,
    "ema_overwrite_frequency": integer(at_least=1, optional=True),
    "loss_scale_factor": number(above=0, optional=True),
    "gradient_accumulation_steps": integer(at_least=1, optional=True),
}
_CONV = {"filters": LAYERS, "kernel_size": COUNT, "map_channels": integer(at_least=0),
         "latent_mlp": Numbers(COUNT), "blocks_per_stage": COUNT, "activation": ACTIVATION}
_LIKELIHOOD = {"alpha_weighting": number(at_least=0, at_most=1, optional=True)}
_LEARNED_SAMPLER = {"steps": COUNT, "batch_size": COUNT, "learning_rate": POSITIVE,
                    "max_seconds": POSITIVE, "ema_decay": number(at_least=0, below=1),
                    "checkpoint_every": COUNT, "seed": SEED}

RANGES: dict[str, dict[str, Number | Numbers | Name]] = {
    "train": {"n_epochs": COUNT, "epoch_step": COUNT, "validate_every": COUNT,
              "beta": number(at_least=0), "kl_warmup_epochs": integer(at_least=0), "seed": SEED,
              "steps_per_call": COUNT, "summary_images": COUNT, "checkpoints_to_keep": COUNT,
              "early_stopping_patience": integer(at_least=1, optional=True),
              "early_stopping_min_delta": number(at_least=0)},
    "input_pipeline": {"image_shape": Numbers(COUNT, length=2), "n_channels": one_of(1, 3, 4),
                       "batch_size": COUNT, "validation_fraction": number(above=0, below=1),
                       "validation_batch_size": integer(at_least=1, optional=True),
                       "shuffle_buffer": COUNT, "seed": SEED,
                       "cache_budget_mb": number(at_least=0)},
    "build_vae": {"image_shape": Numbers(COUNT, length=2), "n_channels": one_of(1, 3, 4),
                  "latent_dim": integer(at_least=0), "map_channels": integer(at_least=0)},
    **{f"optimizers.{name}": _OPTIMIZER for name in ("adam", "adamw", "sgd", "rmsprop", "lion")},
    "schedules.cosine": {"final_fraction": FRACTION, "warmup_epochs": integer(at_least=0)},
    "augmentations.shift": {"max_pixels": integer(at_least=0)},
    "samplers.gaussian_mixture": {"n_components": COUNT, "seed": SEED,
                                  "posterior_draws": integer(at_least=0),
                                  "temperature": number(above=0)},
    "samplers.two_stage_vae": {**_LEARNED_SAMPLER, "latent_dim": integer(at_least=1,
                                                                         optional=True),
                               "units": COUNT, "depth": COUNT},
    "samplers.latent_diffusion": {**_LEARNED_SAMPLER, "timesteps": COUNT,
                                  "sampling_steps": COUNT, "eta": FRACTION, "width": COUNT,
                                  "depth": COUNT, "units": COUNT, "time_dim": COUNT},
    "datasets.synthetic": {"n": COUNT, "seed": SEED},
    "datasets.shapes": {"image_size": COUNT},
    "encoders.conv": _CONV, "decoders.conv": _CONV,
    "encoders.residual": _CONV, "decoders.residual": _CONV,
    "encoders.dense": {"units": LAYERS, "activation": ACTIVATION},
    "decoders.dense": {"units": LAYERS, "activation": ACTIVATION},
    "priors.mixture": {"n_components": COUNT, "initial_spread": POSITIVE},
    "priors.vamp": {"n_pseudo_inputs": COUNT, "initial_noise": number(at_least=0)},
    "likelihoods.bernoulli": _LIKELIHOOD, "likelihoods.discretized_logistic": _LIKELIHOOD,
    "likelihoods.reference_mse": _LIKELIHOOD,
    "likelihoods.gaussian": {**_LIKELIHOOD, "sigma": POSITIVE},
    "likelihoods.learned_gaussian": {**_LIKELIHOOD, "initial_sigma": POSITIVE,
                                     "min_sigma": POSITIVE},
    "likelihoods.sigma_vae": {**_LIKELIHOOD, "min_sigma": POSITIVE},
    "visualisers.samples": {"n": PICTURES, "cols": PICTURES, "dpi": DPI},
    "visualisers.loss": {"width": INCHES, "height": INCHES, "dpi": DPI},
    "visualisers.reconstructions": {"n": PICTURES, "cols": PICTURES, "dpi": DPI},
    "visualisers.nearest_train": {"n": PICTURES, "cols": PICTURES, "seed": SEED, "dpi": DPI},
    "visualisers.embedding": {"n_decodes": integer(at_least=0, at_most=1024),
                              "grid_percentiles": PERCENTILES, "dpi": DPI},
    "visualisers.latent_grid": {"n": SIDE, "percentiles": PERCENTILES, "quantiles": QUANTILES,
                                "pad": PADDING, "cell_inches": INCHES, "dpi": DPI,
                                "pool": DRAWS, "seed": SEED,
                                "panel_inches": number(at_least=0, at_most=100)},
    "visualisers.latent_traversals": {"n": SIDE, "percentiles": PERCENTILES,
                                      "quantiles": QUANTILES, "pad": PADDING,
                                      "cell_inches": INCHES, "dpi": DPI, "max_rows": PICTURES},
    "visualisers.factors": {"n": SIDE, "percentiles": PERCENTILES, "quantiles": QUANTILES,
                            "pad": PADDING, "cell_inches": INCHES, "dpi": DPI,
                            "max_columns": PICTURES, "seed": SEED},
    "visualisers.latent_walk": {"n_frames": FRAMES, "fps": POSITIVE, "quantiles": QUANTILES,
                                "min_size": integer(at_least=1, at_most=4096)},
    "visualisers.training_movie": {"n": SIDE, "fps": POSITIVE, "quantiles": QUANTILES,
                                   "max_frames": FRAMES, "pad": PADDING},
    "visualisers.index_html": {"steps": integer(at_least=1, at_most=1000), "grid": SIDE,
                               "max_items": integer(at_least=1, at_most=100_000),
                               "max_dimensions": integer(at_least=0, at_most=1024),
                               "pool": DRAWS, "seed": SEED},
}


@dataclasses.dataclass(frozen=True)
class Component:
    """A parameter that takes a registered component of ``kind`` (a list of them when ``many``;
    also None when ``optional``), written as ``registry.reference`` shows."""

    kind: str
    many: bool = False
    optional: bool = False

    def describe(self) -> str:
        """``"a reference such as @optimizers.adam() (or None)"``."""
        example = registry.reference(self.kind, (registry.names(self.kind) or ["NAME"])[0])
        text = f"a list of references such as [{example}]" if self.many else (
            f"a reference such as {example}")
        return text + (" (or None)" if self.optional else "")


COMPONENTS: dict[str, dict[str, Component]] = {
    "train": {"optimizer": Component("optimizers", optional=True),
              "visualisers": Component("visualisers", many=True),
              "augment": Component("augmentations", optional=True),
              "learning_rate_schedule": Component("schedules", optional=True),
              "strategy": Component("strategies", optional=True)},
    "experiment": {"dataset": Component("datasets"),
                   "sampler": Component("samplers", optional=True)},
    "build_vae": {"encoder": Component("encoders"), "decoder": Component("decoders"),
                  "prior": Component("priors"), "likelihood": Component("likelihoods"),
                  "model": Component("models")},
}


def declare(configurable: str, **ranges: Number | Numbers | Name) -> None:
    """Adds (or replaces) the ranges of ``configurable``'s knobs: a plugin's own.

    Args:
      configurable: the name a ``.gin`` file uses, e.g. ``"encoders.my_encoder"``.
      **ranges: parameter name -> ``Number`` or ``Numbers``.
    """
    RANGES[configurable] = {**RANGES.get(configurable, {}), **ranges}


def problem(binding: str, value, spec: Number | Numbers | Name,
            macro: str | None = None) -> str | None:
    """The one-line complaint about ``binding = value`` when ``spec`` rejects it, else None.

    Args:
      binding: ``"train.n_epochs"``.
      value: its value (a macro already replaced by its value).
      spec: the knob's range.
      macro: the macro that gave the value, named in the message.
    """
    if spec.accepts(value):
        return None
    hint = (" (a string: write the number without quotes)"
            if isinstance(value, str) and not isinstance(spec, Name) else "")
    source = f" ({macro})" if macro else ""
    return f"{binding}{source} must be {spec.describe()}, got {value!r}{hint}"


def check(configurable: str, **values) -> None:
    """Checks arguments given in Python against ``configurable``'s ranges.

    Raises:
      ConfigError: one line naming the first value out of range.
    """
    ranges = RANGES.get(configurable, {})
    for name, value in values.items():
        complaint = problem(f"{configurable}.{name}", value, ranges[name])
        if complaint:
            raise ConfigError(complaint)
