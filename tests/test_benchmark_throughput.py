"""benchmarks/throughput.py's measuring parts: the step's FLOPs and the profile's op times."""

import argparse

import tensorflow as tf

from tests import benchmark_scripts


def _throughput():
    return benchmark_scripts.load("throughput")


def test_step_flops_counts_every_convolution_and_dense_layer_of_the_reference_net():
    throughput = _throughput()
    throughput._configure(argparse.Namespace(n=24), "float32", 1)
    _, model = throughput.experiment.build()
    encoder = (32 * 32 * 9 * 4 * 32 + 16 * 16 * 9 * 32 * 64 + 8 * 8 * 9 * 64 * 128  # conv0-2
               + 8 * 8 * 128 * 2)  # posterior: mean and log sigma of 1 latent
    decoder = (1 * 8 * 8 * 64  # dense
               + 8 * 8 * 9 * 64 * 128 + 16 * 16 * 9 * 128 * 64 + 32 * 32 * 9 * 64 * 32
               + 64 * 64 * 9 * 32 * 4)  # stride-2 transposed convolutions, then params
    assert throughput.step_flops(model, 16) == 3 * 2 * 16 * (encoder + decoder)


def test_trace_times_finds_the_ops_and_the_compiled_call_of_a_profiled_function(tmp_path):
    throughput = _throughput()
    product = tf.function(lambda a: tf.linalg.matmul(a, a) + 1.0)
    matrix = tf.random.normal([256, 256])
    product(matrix).numpy()
    tf.profiler.experimental.start(str(tmp_path))
    for _ in range(3):
        product(matrix).numpy()
    tf.profiler.experimental.stop()
    ops, python = throughput._trace_times(str(tmp_path))
    assert any("MatMul" in name for name in ops), ops
    assert all(picoseconds >= 0 for picoseconds in ops.values())
    assert any("lambda" in name for name in python), python
