"""What every benchmark prints about the machine and its clocks: the CPU, the load, the time.

Imported by the benchmark scripts beside it (``benchmarks/`` is the script's own folder on
``sys.path``), so each describes the machine and reads its clocks the same way.
"""

from __future__ import annotations

import math
import os
import time

FLAGS_SHOWN = ("avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


def clock() -> tuple[float, float]:
    """(wall seconds, this process's CPU seconds, every thread) now."""
    return time.perf_counter(), time.process_time()


def load_average() -> float:
    """The 1-minute load average (nan where the system has none)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan


def describe() -> str:
    """The CPU's name (``/proc/cpuinfo``), its logical CPUs and the vector and matrix flags that
    decide float32 and bfloat16 speed, and TensorFlow's version."""
    import tensorflow as tf

    from acvae.training import precision

    name, flags = precision.cpu()
    shown = " ".join(flag for flag in FLAGS_SHOWN if flag in flags) or (
        "none of " + ", ".join(FLAGS_SHOWN))
    return f"{name}, {os.cpu_count()} logical CPUs, flags: {shown}; TensorFlow {tf.__version__}"
