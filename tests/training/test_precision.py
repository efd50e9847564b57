"""train.precision = 'auto': the policy follows the hardware; unknown values fail in one line."""

import pytest
import tensorflow as tf

from acvae.core.errors import ConfigError
from acvae.training import precision


@pytest.fixture
def cpu_with(monkeypatch):
    def set_flags(*flags, gpu=False):
        monkeypatch.setattr(precision, "cpu", lambda: ("Test CPU", frozenset(flags)))
        monkeypatch.setattr(tf.config, "list_physical_devices",
                            lambda kind=None: ["GPU:0"] if gpu and kind == "GPU" else [])
    return set_flags


@pytest.mark.parametrize("flags, says", [
    (("avx2", "avx512f"), "no bfloat16 units"),
    (("avx2", "avx512_bf16"), "its avx512_bf16 would run train.precision = 'fast'"),
    (("amx_bf16", "amx_tile"), "its amx_bf16 would run train.precision = 'fast'"),
])
def test_auto_is_float32_on_every_cpu_and_names_bfloat16_units(cpu_with, flags, says):
    cpu_with(*flags)
    chosen, why = precision.resolve("auto")
    assert chosen == "float32"
    assert why.startswith("auto: ") and says in why


def test_auto_on_a_gpu_is_float16_and_explicit_values_are_kept(cpu_with):
    cpu_with("amx_bf16", gpu=True)
    assert precision.resolve("auto")[0] == "mixed_float16"
    for value in precision.POLICIES:
        assert precision.resolve(value)[0] == value
    assert precision.resolve(None)[0] == "float32"
    with pytest.raises(ConfigError, match="'auto', 'fast', None or one of float32"):
        precision.resolve("float8")


@pytest.mark.parametrize("flags, gpu, chosen", [
    (("avx2", "avx512_bf16"), False, "mixed_bfloat16"),
    (("amx_bf16",), False, "mixed_bfloat16"),
    (("avx2", "avx512f"), False, "float32"),
    (("amx_bf16",), True, "mixed_float16"),
])
def test_fast_takes_bfloat16_units_where_the_cpu_has_them(cpu_with, flags, gpu, chosen):
    cpu_with(*flags, gpu=gpu)
    policy, why = precision.resolve("fast")
    assert policy == chosen and why.startswith("fast: ")


def test_cpuinfo_is_read_for_name_and_flags(tmp_path, monkeypatch):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: Example Xeon\nflags\t\t: fpu avx2 amx_bf16\n\n"
                    "processor\t: 1\nmodel name\t: Other\nflags\t\t: fpu\n")
    monkeypatch.setattr(precision, "CPUINFO", info)
    precision.cpu.cache_clear()
    try:
        assert precision.cpu() == ("Example Xeon", frozenset({"fpu", "avx2", "amx_bf16"}))
    finally:
        precision.cpu.cache_clear()
