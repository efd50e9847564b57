"""Mixed precision: training images/s of the latent1d model in float32 and in mixed precision.

The latent1d model (64x64x4, batch 16, conv encoder/decoder 32-64-128, standard normal prior,
Bernoulli likelihood) is built under each Keras policy and trained by acvae's own compiled
steps (``acvae.training.steps.Steps``, 8 steps per call) on in-memory batches, so only the arithmetic
differs. ``mixed_bfloat16`` pays off on CPUs with AVX512_BF16/AMX and on TPUs;
``mixed_float16`` (with loss scaling) on NVIDIA GPUs.

    python benchmarks/mixed_precision.py [--steps 96] [--repeats 3] \
        [--policies float32 mixed_bfloat16 mixed_float16]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from acvae.models import build_vae  # noqa: E402
from acvae.training.steps import Steps  # noqa: E402


def images_per_second(policy: str, steps: int, repeats: int, batch: int, size: int) -> float:
    """Best of ``repeats`` timings of ``steps`` train steps under ``policy``."""
    keras.mixed_precision.set_global_policy(policy)
    try:
        keras.utils.set_random_seed(0)
        model = build_vae(image_shape=(size, size), n_channels=4, latent_dim=1)
        optimizer = keras.optimizers.Adam(1e-3)
        if policy == "mixed_float16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        optimizer.build(model.trainable_variables)
        images = tf.random.uniform([batch * 8, size, size, 4], seed=0)
        data = tf.data.Dataset.from_tensor_slices({"image": images}).batch(batch).repeat()
        train_steps, beta = Steps(model, optimizer, jit_compile=False), tf.constant(1.0)
        iterator = iter(train_steps.distribute(data))
        per_call = tf.constant(8)
        float(train_steps.train_steps(iterator, per_call, beta)["loss"])  # trace and warm up
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(steps // 8):
                totals = train_steps.train_steps(iterator, per_call, beta)
            float(totals["loss"])
            best = min(best, time.perf_counter() - start)
        return (steps // 8) * 8 * batch / best
    finally:
        keras.mixed_precision.set_global_policy("float32")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=96)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--image", type=int, default=64)
    parser.add_argument("--policies", nargs="+", default=["float32", "mixed_bfloat16"])
    args = parser.parse_args()
    device = "GPU" if tf.config.list_physical_devices("GPU") else "CPU"
    print(f"latent1d model, {args.image}x{args.image}x4, batch {args.batch}, on {device}")
    baseline = None
    for policy in args.policies:
        rate = images_per_second(policy, args.steps, args.repeats, args.batch, args.image)
        baseline = baseline or rate
        print(f"{policy:>15}: {rate:8.1f} images/s  ({rate / baseline:.2f}x {args.policies[0]})"
              if policy != args.policies[0] else f"{policy:>15}: {rate:8.1f} images/s",
              flush=True)


if __name__ == "__main__":
    main()
