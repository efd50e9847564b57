"""Command line: Kaggle villager JSON + images folder -> training-ready TFRecord and a report.

    python -m acvae.prepare villagers.json images/ --out data/villagers.tfrecord [--shards N]

Prints how many villagers were written and one line for every record or file left out (no image,
no villager, unreadable, too large, duplicate, incomplete, ignored). Exits 0 when at least one
villager was written, otherwise prints a one-line ``error:`` reason and exits 1. The work is done
by ``acvae.data.kaggle.prepare``, re-exported here as ``prepare``.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter quiet

from acvae.data.kaggle import Report, prepare  # noqa: E402

__all__ = ["Report", "prepare", "run", "main"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m acvae.prepare",
        description="Turn the Kaggle villager JSON and image folder into a TFRecord.",
    )
    parser.add_argument("json", help="Nookipedia villager JSON (a list of villager objects)")
    parser.add_argument("images_dir", help="folder of villager PNGs named like Agent_S.png")
    parser.add_argument("--out", default="data/villagers.tfrecord", help="TFRecord to write")
    parser.add_argument("--shards", type=int, default=1, help="number of TFRecord files")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Runs the command; returns the exit status or raises SystemExit with a one-line error."""
    args = parse_args(argv)
    if args.shards < 1:
        raise SystemExit("error: --shards must be at least 1")
    try:
        report = prepare(args.json, args.images_dir, args.out, shards=args.shards)
    except (ValueError, OSError) as error:
        raise SystemExit(f"error: {error}") from None
    except KeyboardInterrupt:
        raise SystemExit(f"error: interrupted; nothing was written to {args.out}") from None
    print("\n".join(report.lines()))
    return 0


def run() -> None:
    """Console entry point (``acvae-prepare``)."""
    sys.exit(main())


if __name__ == "__main__":
    run()
