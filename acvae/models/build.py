"""``build_vae``: a VAE (or a registered variant) from component factories, checked part by part.

The builder makes the model first (``build_vae.model``, a ``VAE`` subclass; its hooks say what
the networks see), then calls the selected factories by keyword (gin bindings such as
``encoders.conv.filters`` apply, also to the defaults) and runs one dummy batch of two images
through every part, so a plugin that breaks the interface fails at build time with one line
naming it, not inside a ``tf.function`` trace.

The code's size is set here once: ``latent_dim`` global numbers and, with ``map_channels`` c > 0,
a latent map of c numbers per cell of the encoder's last feature map, (H / 2**n, W / 2**n) for
its n stride-2 layers (one per entry of its ``filters``). The model, its prior and the
factories see the whole code, L = latent_dim + h * w * c (``VAE.latent_dim``); the encoder
and decoder, given ``map_channels``, carve the map out of its last h * w * c numbers. Runs
saved before ``build_vae.map_channels`` existed bound ``map_channels`` on the encoder and
decoder themselves and gave ``latent_dim`` as the whole code; without
``build_vae.map_channels`` that is still what happens, so they load unchanged.

Errors: a framework component (from ``acvae``) raises ``ConfigError`` for a bad configured
value and anything else is a bug, left unwrapped with its traceback; a plugin's component
(any other module) that raises or returns the wrong thing becomes one ``ConfigError`` line
naming it by its registered name.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence

import gin
import keras
import tensorflow as tf

from acvae.core import registry
from acvae.core.errors import ConfigError, UserError, first_line
from acvae.models import decoders, encoders, likelihoods, priors
from acvae.models.vae import VAE

N_CHANNELS = (1, 3, 4)


def _origin(fn):
    """The function or class behind partials and gin wrappers."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    return inspect.unwrap(fn)


def component_name(kind: str, fn) -> str:
    """``kind.name`` of a registered callable (plain, partial, gin-wrapped or gin-subclassed)."""
    target = _origin(fn)
    for name in registry.names(kind):
        obj = registry.get(kind, name)
        if obj is fn or obj is target:
            return f"{kind}.{name}"
        if (inspect.isclass(target) and inspect.isclass(obj) and issubclass(target, obj)
                and target.__name__ == obj.__name__ and target.__module__ == obj.__module__):
            return f"{kind}.{name}"
    return f"{kind}.{getattr(target, '__name__', repr(fn))}"


def _is_framework(fn) -> bool:
    module = getattr(_origin(fn), "__module__", None) or ""
    return module == "acvae" or module.startswith("acvae.")


def _configured(fn):
    """Gin's configured version of a registered ``fn`` (so bindings apply to defaults too)."""
    try:
        return gin.get_configurable(fn)
    except ValueError:  # not registered with gin: a plain callable
        return fn


def _call(name: str, what: str, fn, *args, **kwargs):
    """Calls a component; a plugin's failure becomes one ``ConfigError`` line naming it.

    Gin appends "In call to configurable ..." lines to errors raised through it; only the
    first line is kept.
    """
    try:
        return fn(*args, **kwargs)
    except UserError:
        raise
    except Exception as error:  # a plugin may raise anything: report it as the plugin's fault
        if _is_framework(fn):
            raise
        message = first_line(error)
        if not (isinstance(error, ValueError) and message.startswith(name)):
            message = f"{name} failed to {what}: {first_line(error, with_type=True)}"
        raise ConfigError(message) from error


def _check_shape(name: str, what: str, tensor, expected: tuple, described: str) -> None:
    shape = tuple(getattr(tensor, "shape", ()))
    if shape != expected:
        raise ConfigError(f"{name} {what} shape {shape}; expected {described} = {expected}")


def _check_methods(name: str, obj, methods: Sequence[str], base: str) -> None:
    missing = [m for m in methods if not callable(getattr(obj, m, None))]
    if missing:
        raise ConfigError(
            f"{name} returned {type(obj).__name__} without {', '.join(missing)}; expected a "
            f"{base} with {', '.join(methods)}")
    if not isinstance(obj, keras.layers.Layer):
        raise ConfigError(
            f"{name} returned {type(obj).__name__}; expected a keras.layers.Layer ({base}) "
            "so that its variables are trained and checkpointed")


def _check_arguments(image_shape, n_channels, latent_dim,
                     map_channels) -> tuple[tuple[int, int], int, int]:
    try:
        shape = tuple(int(s) for s in image_shape)
    except (TypeError, ValueError):
        shape = ()
    if len(shape) != 2 or min(shape) < 1:
        raise ConfigError(f"build_vae: image_shape must be (H, W) with H, W >= 1, "
                          f"got {image_shape!r}")
    if n_channels not in N_CHANNELS:
        raise ConfigError(f"build_vae: n_channels must be one of "
                          f"{', '.join(map(str, N_CHANNELS))}, got {n_channels!r}")
    if not _is_count(map_channels, 0):
        raise ConfigError(f"build_vae: map_channels must be an integer >= 0, "
                          f"got {map_channels!r}")
    if not _is_count(latent_dim, 0 if map_channels else 1):
        raise ConfigError(f"build_vae: latent_dim must be an integer >= "
                          f"{0 if map_channels else 1}, got {latent_dim!r}"
                          + ("" if map_channels else " (0 needs a latent map: map_channels)"))
    return shape, int(n_channels), latent_dim


def _is_count(value, at_least: int) -> bool:
    """Whether ``value`` is an integer (not a bool) >= ``at_least``."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= at_least


def _argument(fn, name: str):
    """The value ``fn`` is called with for the keyword ``name`` when the caller omits it:
    a ``functools.partial``'s keyword, else its gin binding, else its default (None: none)."""
    while isinstance(fn, functools.partial):
        if name in fn.keywords:
            return fn.keywords[name]
        fn = fn.func
    target = inspect.unwrap(fn)
    try:
        bindings = gin.get_bindings(target)
    except (ValueError, TypeError):  # not a gin configurable: a plain callable
        bindings = {}
    if name in bindings:
        return bindings[name]
    parameter = inspect.signature(target).parameters.get(name)
    return None if parameter is None else parameter.default


def _map_grid(names: dict, factories: dict, image_shape: tuple[int, int]) -> tuple[int, int]:
    """(h, w) of the latent map: the image over ``2**n`` for the encoder's n stride-2 layers.

    Args:
      names: ``kind -> registered name`` of ``factories``.
      factories: ``kind -> factory``; the encoder and decoder must take ``map_channels`` and
        ``filters`` (one stride-2 layer each), with as many layers on both sides.
      image_shape: (H, W).

    Raises:
      ConfigError: a factory without a latent map, or encoder and decoder of other depths.
    """
    depths = []
    for kind in ("encoders", "decoders"):
        target = _origin(factories[kind])
        parameters = inspect.signature(target).parameters
        filters = _argument(factories[kind], "filters")
        if "map_channels" not in parameters or not isinstance(filters, Sequence):
            raise ConfigError(f"build_vae: map_channels needs an encoder and a decoder with a "
                              f"latent map (map_channels and filters); {names[kind]} has "
                              f"none: set MAP_CHANNELS = 0 or use @{kind}.conv")
        depths.append(len(filters))
    if depths[0] != depths[1]:
        raise ConfigError(f"build_vae: {names['encoders']} has {depths[0]} stride-2 layers and "
                          f"{names['decoders']} {depths[1]}; the latent map needs both on one "
                          f"grid (give them filters of one length)")
    return tuple(size // 2 ** depths[0] for size in image_shape)


def _parts(model: VAE, names: dict, factories: dict, map_channels: int):
    """Builds and checks the likelihood, encoder, decoder and prior for ``model``'s hooks
    (``map_channels`` > 0: given to the encoder and decoder, which carve the map out of L)."""
    height, width = model.image_shape
    channels, dim = model.n_channels, model.latent_dim
    lik_name, enc_name = names["likelihoods"], names["encoders"]
    dec_name, prior_name = names["decoders"], names["priors"]
    lik = _call(lik_name, "build", _configured(factories["likelihoods"]), n_channels=channels)
    _check_methods(lik_name, lik, ("log_prob", "mean"), "Likelihood")
    per_channel = getattr(lik, "params_per_channel", None)
    if not isinstance(per_channel, int) or per_channel < 1:
        raise ConfigError(f"{lik_name} has params_per_channel={per_channel!r}; expected an "
                          "integer >= 1")
    output_shape = (height, width, channels * per_channel)
    input_shape = tuple(model.encoder_input_shape)
    local = {"map_channels": map_channels} if map_channels else {}
    enc = _call(enc_name, "build", _configured(factories["encoders"]),
                input_shape=input_shape, latent_dim=dim, **local)
    dec = _call(dec_name, "build", _configured(factories["decoders"]),
                latent_dim=model.decoder_input_size, output_shape=output_shape, **local)
    for name, part in ((enc_name, enc), (dec_name, dec)):
        if not isinstance(part, keras.layers.Layer):
            raise ConfigError(f"{name} returned {type(part).__name__}; expected a keras.Model")
    pri = _call(prior_name, "build", _configured(factories["priors"]),
                latent_dim=dim, encoder=enc, input_shape=input_shape)
    _check_methods(prior_name, pri, ("kl", "log_prob", "sample"), "Prior")

    batch = 2
    posterior = _call(enc_name, "encode a dummy batch", enc, tf.fill([batch, *input_shape], 0.5))
    _check_shape(enc_name, "returned", posterior, (batch, 2 * dim), "(batch, 2 * latent_dim)")
    params = _call(dec_name, "decode a dummy batch", dec,
                   tf.zeros([batch, model.decoder_input_size]))
    _check_shape(dec_name, "returned", params, (batch, *output_shape),
                 "(batch, H, W, n_channels * params_per_channel)")
    params, images = tf.cast(params, tf.float32), tf.fill([batch, height, width, channels], 0.5)
    log_prob = _call(lik_name, "compute log_prob", lik.log_prob, images, params)
    _check_shape(lik_name, "log_prob returned", log_prob, (batch,), "(batch,)")
    mean = _call(lik_name, "compute mean", lik.mean, params)
    _check_shape(lik_name, "mean returned", mean, (batch, height, width, channels),
                 "(batch, H, W, C)")
    z = tf.zeros([batch, dim])
    kl = _call(prior_name, "compute kl", pri.kl, z, z, z)
    _check_shape(prior_name, "kl returned", kl, (batch,), "(batch,)")
    prior_log_prob = _call(prior_name, "compute log_prob", pri.log_prob, z)
    _check_shape(prior_name, "log_prob returned", prior_log_prob, (batch,), "(batch,)")
    samples = _call(prior_name, "sample", pri.sample, 3, seed=0)
    _check_shape(prior_name, "sample(3) returned", samples, (3, dim), "(n, latent_dim)")
    return enc, dec, pri, lik


def _model(name: str, model, code_size: int, image_shape: tuple[int, int], n_channels: int,
           schema, map_channels: int) -> VAE:
    """The ``model`` class called for a code of ``code_size`` numbers, checked: a VAE, and
    with a latent map (``map_channels``), one whose decoder sees the code alone (the
    factories read the map from its last numbers)."""
    vae = _call(name, "build", _configured(model), latent_dim=code_size,
                image_shape=image_shape, n_channels=n_channels, schema=schema)
    if not isinstance(vae, VAE):
        raise ConfigError(f"{name} returned {type(vae).__name__}; expected a VAE subclass")
    if map_channels and vae.decoder_input_size != code_size:
        raise ConfigError(f"build_vae: {name} feeds its decoder more than the code, and a "
                          f"latent map must be the decoder input's last numbers; set "
                          f"MAP_CHANNELS = 0")
    return vae


@gin.configurable(module="acvae")
def build_vae(
    image_shape: Sequence[int],
    n_channels: int,
    latent_dim: int = 1,
    map_channels: int = 0,
    encoder=encoders.conv,
    decoder=decoders.conv,
    prior=priors.StandardNormal,
    likelihood=likelihoods.Bernoulli,
    model=VAE,
    schema=None,
) -> VAE:
    """Builds a VAE (or the variant ``model``) from component factories and checks them.

    Args:
      image_shape: (H, W).
      n_channels: C, one of 1, 3, 4.
      latent_dim: G, the global code's size: >= 1, or >= 0 beside a latent map.
      map_channels: c >= 0, latent channels per cell of the encoder's last feature map
        (h, w); the code then has L = G + h * w * c numbers, the map last (0: L = G, no map).
      encoder: ``fn(input_shape, latent_dim) -> keras.Model`` [B, H, W, C'] -> [B, 2L]
        (with ``map_channels=c`` as well when c > 0).
      decoder: ``fn(latent_dim, output_shape) -> keras.Model`` [B, L'] -> [B, H, W, C * P].
      prior: ``fn(latent_dim, encoder, input_shape) -> Prior``.
      likelihood: ``fn(n_channels) -> Likelihood`` with ``params_per_channel`` P.
      model: the ``VAE`` class or a registered variant (``@models.conditional_vae``), called
        as ``model(latent_dim=L, image_shape=, n_channels=, schema=)``; its hooks give C' and
        L' (C and L for the plain VAE).
      schema: the dataset's schema (``acvae.runs.experiment.experiment`` passes it), for variants
        that use its labels.

    Returns:
      A built model (all variables exist, so checkpoints restore into it) whose
      ``latent_dim`` is the whole code's size L.

    Raises:
      ConfigError: one line, for bad arguments or a component that breaks the interface
        (naming the component by its registered name and what was expected).
    """
    (height, width), channels, dim = _check_arguments(image_shape, n_channels, latent_dim,
                                                      map_channels)
    factories = {"encoders": encoder, "decoders": decoder, "priors": prior,
                 "likelihoods": likelihood}
    names = {kind: component_name(kind, fn) for kind, fn in factories.items()}
    if map_channels:
        grid = _map_grid(names, factories, (height, width))
        dim += grid[0] * grid[1] * map_channels
    model_name = component_name("models", model)
    vae = _model(model_name, model, dim, (height, width), channels, schema, map_channels)
    vae.compose(*_parts(vae, names, factories, map_channels))
    images = tf.fill([2, height, width, channels], 0.5)
    vae(images)
    terms = _call(model_name, "compute loss_terms", vae.loss_terms, images)
    if tuple(sorted(terms)) != tuple(sorted(vae.term_names)):
        raise ConfigError(f"{model_name}.loss_terms returned {', '.join(sorted(terms))}; "
                          f"expected its term_names {', '.join(vae.term_names)}")
    return vae
