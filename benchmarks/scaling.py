"""How training throughput and memory grow with dataset size and image size.

Trains the latent1d model of ``benchmarks/throughput.py`` (conv 32/64/128, 1D latent, Bernoulli,
batch 16, acvae's ``tf.function`` loop, 8 steps per call, no XLA) on synthetic villagers streamed
from 16-shard TFRecords:
  * dataset size: 400, 4,000 and 40,000 villagers at 64x64x4 (the in-memory cache on when the
    decoded images fit in 1 GB, so off for 40,000: 2.6 GB; those epochs decode every image);
  * image size: 32, 64 and 128 at 400 villagers (cache on).
Each configuration runs in a fresh subprocess, so its peak resident memory (``ru_maxrss``) is
its own. Printed per configuration: setup seconds (label scan), images/s of the first pass over
the data, steady-state training images/s (``--steps`` steps timed after one warm-up epoch when
cached, otherwise after ``--warmup`` steps) and peak RSS. The synthetic data is
generated once into the cache (``$ACVAE_CACHE`` or ``~/.cache/acvae``): about 10 minutes on one
core for 40,000. A script that prints figures, not a test.

    python benchmarks/scaling.py [--sizes 400 4000 40000] [--images 32 64 128] [--steps 240]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SHARDS = 16
STEPS_PER_CALL = 8


def measure(n: int, image: int, batch: int, steps: int, warmup: int) -> dict:
    """Trains one configuration in this process; returns its figures."""
    import math

    import keras
    import tensorflow as tf

    from acvae.data import synthetic
    from acvae.data.pipeline import input_pipeline
    from acvae.training.steps import Steps
    from pipeline import CACHE_BUDGET_MB, peak_rss_mb  # benchmarks/pipeline.py
    from throughput import _model  # benchmarks/throughput.py: the same latent1d model

    megabytes = n * image * image * 4 * 4 / 2**20
    cache = megabytes <= CACHE_BUDGET_MB
    files = str(synthetic.cached_tfrecord(n=n, shards=SHARDS))
    start = time.perf_counter()
    data = input_pipeline([files], image_shape=(image, image), n_channels=4, batch_size=batch,
                          cache=cache)
    setup = time.perf_counter() - start
    model = _model(data)
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build(model.trainable_variables)
    loop = Steps(model, optimizer, jit_compile=False)
    beta = tf.constant(1.0)
    iterator = iter(loop.distribute(data.train.repeat()))
    steps_per_epoch = math.ceil(data.n_train / batch)

    def run(n_steps: int) -> float:
        begin = time.perf_counter()
        for done in range(0, n_steps, STEPS_PER_CALL):
            totals = loop.train_steps(iterator, tf.constant(min(STEPS_PER_CALL, n_steps - done)),
                                      beta)
        float(totals["loss"])
        return time.perf_counter() - begin

    first = min(steps_per_epoch if cache else warmup, steps_per_epoch)
    first_seconds = run(first)  # includes tracing and, when cached, filling the cache
    seconds = run(steps)
    return {
        "n": n, "image": image, "cache": cache, "n_train": data.n_train, "setup_s": setup,
        "first_pass_images_s": first * batch / first_seconds, "first_steps": first,
        "images_s": steps * batch / seconds, "timed_steps": steps,
        "peak_rss_mb": peak_rss_mb(), "decoded_mb": megabytes,
    }


def _in_subprocess(n: int, image: int, args) -> dict:
    command = [sys.executable, __file__, "--worker", "--sizes", str(n), "--images", str(image),
               "--batch", str(args.batch), "--steps", str(args.steps),
               "--warmup", str(args.warmup)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"error: n={n} image={image} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[400, 4000, 40000],
                        help="villagers, at 64x64")
    parser.add_argument("--images", type=int, nargs="+", default=[32, 64, 128],
                        help="image sizes, at 400 villagers")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--steps", type=int, default=240, help="timed train steps")
    parser.add_argument("--warmup", type=int, default=24, help="untimed steps when streaming")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.sizes[0], args.images[0], args.batch, args.steps,
                                 args.warmup)))
        return
    configurations = [(n, 64) for n in args.sizes]
    configurations += [(400, image) for image in args.images if (400, image) not in configurations]
    print(f"training throughput by dataset and image size: batch {args.batch}, "
          f"{os.cpu_count()} CPU cores; load average {os.getloadavg()[0]:.2f}")
    print(f"{'villagers':>9} {'image':>6} {'train':>6} {'cache':>6} {'setup s':>8} "
          f"{'1st pass img/s':>14} {'train img/s':>11} {'peak RSS MB':>11}", flush=True)
    for n, image in configurations:
        r = _in_subprocess(n, image, args)
        print(f"{n:>9} {image:>6} {r['n_train']:>6} {'on' if r['cache'] else 'off':>6} "
              f"{r['setup_s']:>8.1f} {r['first_pass_images_s']:>14.0f} {r['images_s']:>11.0f} "
              f"{r['peak_rss_mb']:>11.0f}", flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
