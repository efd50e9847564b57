"""Input-pipeline throughput: images/s of ``input_pipeline`` alone, and the process's peak memory.

Iterates the training split of synthetic villagers (no model) and prints images/s for:
  * the first epoch with the in-memory cache on (reading, PNG decoding, resizing, filling it);
  * later epochs served from the cache;
  * epochs streamed from the (sharded) TFRecords with the cache off (decoding every epoch);
and the peak resident set size of the process (``ru_maxrss``; tracemalloc does not see
TensorFlow's allocations). Each configuration runs in a fresh subprocess so its peak memory is
its own; the cached run is skipped when the decoded images exceed 1 GB (as ``input_pipeline``
decides by default). A script that prints figures, not a test.

    python benchmarks/pipeline.py [--n 400] [--image 64] [--batch 16] [--shards 16] [--epochs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

CACHE_BUDGET_MB = 1024  # the in-memory cache is used when the decoded images fit


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports ru_maxrss in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """Current resident set size of this process in MB (from /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def epoch_rate(dataset, limit: int | None = None) -> tuple[float, int]:
    """(images/s, images) of one pass over ``dataset`` (at most ``limit`` batches)."""
    start, images = time.perf_counter(), 0
    for i, batch in enumerate(dataset):
        images += int(batch["image"].shape[0])
        if limit is not None and i + 1 >= limit:
            break
    return images / (time.perf_counter() - start), images


def measure(n: int, image: int, batch: int, shards: int, epochs: int, cache: bool,
            limit: int | None) -> dict:
    """One configuration in this process: setup seconds, images/s by epoch, peak RSS."""
    from acvae.data import synthetic
    from acvae.data.pipeline import input_pipeline

    files = str(synthetic.cached_tfrecord(n=n, shards=shards))
    baseline = current_rss_mb()
    start = time.perf_counter()
    data = input_pipeline([files], image_shape=(image, image), n_channels=4, batch_size=batch,
                          cache=cache)
    setup = time.perf_counter() - start
    rates = [epoch_rate(data.train, limit)[0] for _ in range(epochs)]
    return {"n": n, "image": image, "cache": cache, "n_train": data.n_train, "setup_s": setup,
            "rates": rates, "baseline_rss_mb": baseline, "peak_rss_mb": peak_rss_mb()}


def _in_subprocess(args, cache: bool) -> dict:
    command = [sys.executable, __file__, "--worker", "--n", str(args.n), "--image",
               str(args.image), "--batch", str(args.batch), "--shards", str(args.shards),
               "--epochs", str(args.epochs), "--limit", str(args.limit)]
    command += ["--cache"] if cache else []
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400, help="synthetic villagers")
    parser.add_argument("--image", type=int, default=64, help="image height and width")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--shards", type=int, default=16, help="TFRecord shards")
    parser.add_argument("--epochs", type=int, default=3, help="passes over the training split")
    parser.add_argument("--limit", type=int, default=0, help="batches per pass (0: all)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cache", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    limit = args.limit or None
    if args.worker:
        print(json.dumps(measure(args.n, args.image, args.batch, args.shards, args.epochs,
                                 args.cache, limit)))
        return
    import tensorflow as tf

    print(f"input pipeline: {args.n} synthetic villagers in {args.shards} shards, "
          f"{args.image}x{args.image}x4, batch {args.batch}, {os.cpu_count()} CPU cores, "
          f"TensorFlow {tf.__version__}; load average {os.getloadavg()[0]:.2f}")
    decoded_mb = args.n * args.image**2 * 4 * 4 / 2**20
    fits = decoded_mb <= CACHE_BUDGET_MB and not args.limit
    streamed = _in_subprocess(args, cache=False)
    results = [("cache off", streamed)]
    print(f"{streamed['n_train']} training images ({decoded_mb:.0f} MB decoded, both splits); "
          f"setup (label scan) {streamed['setup_s']:.2f}s")
    rows = []
    if fits:
        cached = _in_subprocess(args, cache=True)
        results.insert(0, ("cache on", cached))
        rows += [("first epoch, decoding into the cache", cached["rates"][0]),
                 ("cached epochs (mean)",
                  sum(cached["rates"][1:]) / max(1, len(cached["rates"]) - 1))]
    else:
        print(f"(no in-memory cache: over the {CACHE_BUDGET_MB} MB budget, or --limit set)")
    streamed_rate = sum(streamed["rates"]) / len(streamed["rates"])
    rows.append(("streamed epochs, no cache (mean)", streamed_rate))
    for label, rate in rows:
        print(f"{label:<40} {rate:9.0f} images/s")
    for label, result in results:
        print(f"peak RSS, {label:<30} {result['peak_rss_mb']:9.0f} MB "
              f"(after imports {result['baseline_rss_mb']:.0f} MB)")


if __name__ == "__main__":
    main()
