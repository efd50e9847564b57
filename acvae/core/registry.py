"""Component registries: one gin module per kind of component, listed by ``--list``.

Every encoder, decoder, prior, likelihood, sampler, dataset, visualiser, optimizer,
learning-rate schedule and distribution strategy registers itself here, built-in or plugin
alike::

    @registry.register("encoders")
    def conv(input_shape, latent_dim, filters=(32, 64, 128)):
        ...

after which a ``.gin`` file selects it by reference (``build_vae.encoder = @encoders.conv``)
and configures it (``encoders.conv.filters = (16, 32)``). Components of the ``CALLED`` kinds are
objects a config builds by calling them (``train.optimizer = @optimizers.adam()``); the others
are factories the framework calls itself (``@encoders.conv``, no parentheses): ``reference``
writes each the way a config must.

The built-in components register when a module first asks the registry or parses a config
(``load_built_ins``): no caller imports them by hand. They are named here by module path, the
way a plugin is, so this lowest layer never imports the packages above it.
"""

from __future__ import annotations

import importlib

import gin

KINDS = (
    "datasets",
    "models",
    "encoders",
    "decoders",
    "priors",
    "likelihoods",
    "samplers",
    "augmentations",
    "visualisers",
    "optimizers",
    "schedules",
    "strategies",
)

# the kinds whose components a config calls (``@optimizers.adam()``); the others are passed
# uncalled and called by the framework with shape arguments (``@encoders.conv``)
CALLED = frozenset({"datasets", "samplers", "augmentations", "visualisers", "optimizers",
                    "schedules", "strategies"})

# the modules whose import registers every built-in component and the ``train`` root
BUILT_IN_MODULES = (
    "acvae.data",  # datasets
    "acvae.models",  # encoders, decoders, priors, likelihoods, models, samplers, build_vae
    "acvae.models.latent_diffusion",  # learned samplers
    "acvae.models.two_stage",
    "acvae.training.augment",  # augmentations
    "acvae.training.distribute",  # strategies
    "acvae.training.optimizers",  # optimizers, schedules
    "acvae.training.loop",  # the train root
    "acvae.visualise",  # visualisers
)

_COMPONENTS: dict[str, dict[str, object]] = {kind: {} for kind in KINDS}
_built_ins_loaded = False


def load_built_ins() -> None:
    """Imports every module of ``BUILT_IN_MODULES`` once, registering the built-in components
    with gin, so that any ``.gin`` file (a saved ``operative_config.gin`` too) can name them."""
    global _built_ins_loaded
    if _built_ins_loaded:
        return
    _built_ins_loaded = True  # first: the modules register while they import
    for module in BUILT_IN_MODULES:
        importlib.import_module(module)


def register(kind: str, name: str | None = None):
    """Returns a decorator registering a function or class with gin under ``kind``.

    Args:
      kind: one of ``KINDS``; becomes the gin module (``@encoders.conv``).
      name: the name in ``.gin`` files; defaults to the object's ``__name__``.

    Raises:
      ValueError: for an unknown kind, or a name already taken by another object.
    """
    if kind not in _COMPONENTS:
        raise ValueError(f"unknown component kind {kind!r}; valid kinds: {', '.join(KINDS)}")

    def decorator(obj):
        key = name or obj.__name__
        known = _COMPONENTS[kind].get(key)
        if known is obj:
            return obj
        if known is not None:
            raise ValueError(
                f"{kind}.{key} is already registered by {known.__module__}; choose another name"
            )
        gin.register(key, module=kind)(obj)
        _COMPONENTS[kind][key] = obj
        return obj

    return decorator


def reference(kind: str, name: str) -> str:
    """How a config refers to component ``kind.name``: ``@optimizers.adam()``, ``@encoders.conv``."""
    return f"@{kind}.{name}" + ("()" if kind in CALLED else "")


def names(kind: str) -> list[str]:
    """Sorted names registered under ``kind`` (built-ins loaded first)."""
    load_built_ins()
    return sorted(_COMPONENTS[kind])


def get(kind: str, name: str):
    """The object registered as ``kind.name``; a ValueError lists valid names otherwise."""
    load_built_ins()
    try:
        return _COMPONENTS[kind][name]
    except KeyError:
        raise ValueError(
            f"no {kind} component named {name!r}; valid names: {', '.join(names(kind)) or 'none'}"
        ) from None


def describe(obj) -> str:
    """The first line of an object's docstring, or an empty string."""
    doc = (obj.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""


def listing() -> str:
    """A human-readable table of every registered component, by kind."""
    load_built_ins()
    lines = []
    for kind in KINDS:
        lines.append(f"{kind}:")
        for key in names(kind):
            lines.append(f"  @{kind}.{key:<22} {describe(_COMPONENTS[kind][key])}")
        if not _COMPONENTS[kind]:
            lines.append("  (none)")
    return "\n".join(lines)
