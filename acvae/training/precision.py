"""The numeric precision of training: ``train.precision = 'auto'`` or ``'fast'`` picks it for
the hardware.

``auto`` is ``mixed_float16`` on a GPU (with loss scaling) and ``float32`` on every CPU.
``fast`` is the same but ``mixed_bfloat16`` on a CPU whose flags include ``avx512_bf16`` or
``amx_bf16`` (bfloat16 units). bfloat16 is faster there (1.55x the float32 step on a 2-core
AMD EPYC with AVX512_BF16; on a 2-core Intel Xeon with AMX, 1.6x the demo's epochs) but not
safe for every config: on the synthetic villagers it raised the validation MSE of
``latent1d.gin`` and ``latent2d.gin`` by 2-12 % (two seeds each, 100 epochs), while
``villagers.gin``'s held (300 epochs: val MSE 0.00190 either way; the demo after 90 epochs:
0.0022 and chroma 0.96 against 0.0022 and 0.95), so ``villagers.gin`` asks for ``fast`` and
the 1-2D configs keep ``auto``. A CPU without those units emulates bfloat16, 6-8x slower than
float32, so neither picks it there. Variables, the loss and its parts stay float32 under
every policy.
"""

from __future__ import annotations

import contextlib
import functools
import pathlib
import platform

import keras
import tensorflow as tf

from acvae.core.errors import ConfigError

POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")
CHOOSERS = ("auto", "fast")  # values that pick one of POLICIES for the hardware
BF16_FLAGS = ("avx512_bf16", "amx_bf16")
CPUINFO = pathlib.Path("/proc/cpuinfo")


@functools.cache
def cpu() -> tuple[str, frozenset[str]]:
    """``(model name, flags)`` of this machine's CPU (``/proc/cpuinfo`` on Linux; the
    platform's processor string and no flags elsewhere)."""
    name, flags = platform.processor() or platform.machine(), frozenset()
    try:
        text = CPUINFO.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return name, flags
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and value.strip():
            name = value.strip()
        elif key == "flags":
            flags = frozenset(value.split())
        if key == "" and flags:  # the first processor is described
            break
    return name, flags


def resolve(precision: str | None) -> tuple[str, str]:
    """``(Keras policy, why)`` for a ``train.precision`` value (None: float32; ``auto`` and
    ``fast`` as the module docstring).

    Raises:
      ConfigError: an unknown value.
    """
    if precision is None:
        return "float32", "train.precision = None"
    if precision in POLICIES:
        return precision, f"train.precision = {precision!r}"
    if precision not in CHOOSERS:
        raise ConfigError(f"train.precision must be 'auto', 'fast', None or one of "
                          f"{', '.join(POLICIES)}, got {precision!r}")
    if tf.config.list_physical_devices("GPU"):
        return "mixed_float16", f"{precision}: a GPU is present"
    name, flags = cpu()
    native = sorted(flags.intersection(BF16_FLAGS))
    if native and precision == "fast":
        return "mixed_bfloat16", f"fast: the CPU has bfloat16 units ({', '.join(native)})"
    if native:
        return "float32", (f"auto: float32 on a CPU; its {', '.join(native)} would run "
                           "train.precision = 'fast' (mixed_bfloat16) faster, at a higher "
                           "validation error for some configs (docs/training.md: Mixed "
                           "precision)")
    return "float32", (f"{precision}: the CPU ({name}) has no bfloat16 units "
                       f"({' or '.join(BF16_FLAGS)})")


@contextlib.contextmanager
def applied(precision: str | None):
    """Sets Keras's global policy to ``precision``'s (``resolve``), saying which and why, and
    puts the previous policy back on exit; yields the policy's name.

    Raises:
      ConfigError: an unknown value.
    """
    policy, why = resolve(precision)
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    print(f"precision: {policy} ({why})", flush=True)
    try:
        yield policy
    finally:
        keras.mixed_precision.set_global_policy(previous)
