"""Synthetic villagers: the embedded default dataset, drawn procedurally in the Kaggle layout.

``generate(out_dir, n, seed)`` draws ``n`` cartoon animal villagers (18 species, individual fur
and clothing, personality and gender visible in the face; ``records`` and ``art``) and writes
what the Kaggle download holds: ``out_dir/villagers.json`` and
``out_dir/images/<Name_With_Underscores>.png``; each JSON object also holds every generative
factor the villager was drawn from (``records.FACTORS``: 9 categorical, 7 continuous).
``cached_tfrecord`` runs that through the same importer as real data, keeping every factor as
a label (categorical, or continuous for numbers), once per (n, seed), into ``$ACVAE_CACHE`` or
``~/.cache/acvae``. The result depends only on the seed. ``python -m acvae synthetic OUT_DIR [--n] [--seed]``
writes the layout for a look (``python -m acvae synthetic``: ``acvae.commands.synthetic``).
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import tempfile

from acvae.core import cache
from acvae.data import tfrecord
from acvae.data.importers import kaggle
from acvae.data.synthetic import art, records

VERSION = 3  # bump when the drawings or the TFRecord change, so caches are rebuilt


def generate(out_dir: str | os.PathLike, n: int = 400, seed: int = 0) -> pathlib.Path:
    """Writes ``n`` synthetic villagers in the Kaggle layout.

    Args:
      out_dir: gets ``villagers.json`` and ``images/*.png``; ``images/`` must be empty or absent.
      n: the number of villagers.
      seed: the same seed gives the same villagers.

    Returns:
      The path of the JSON file.

    Raises:
      ValueError: ``n`` is not a positive integer, or ``images/`` is not empty.
      OSError: a file cannot be written.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    out_dir = pathlib.Path(out_dir)
    if (out_dir / "images").is_dir() and any((out_dir / "images").iterdir()):
        raise ValueError(f"{out_dir / 'images'} is not empty; choose a new folder for synthetic "
                         "villagers")
    made = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    # drawn in a hidden folder and moved into place, the JSON last: an interrupted or failed
    # run leaves nothing (and nothing that blocks running it again)
    staging = pathlib.Path(tempfile.mkdtemp(prefix=".villagers.", suffix=".tmp", dir=out_dir))
    try:
        (staging / "images").mkdir()
        written = []
        for record, look in records.villagers(n, seed):
            image = art.draw_villager(look)
            image.save(staging / "images" / f"{kaggle.image_stem(record['name'])}.png",
                       optimize=False)
            written.append(record)
        (staging / "villagers.json").write_text(
            json.dumps(written, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.replace(staging / "images", out_dir / "images")  # an empty images/ is replaced
        os.replace(staging / "villagers.json", out_dir / "villagers.json")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if made:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise
    staging.rmdir()
    return out_dir / "villagers.json"


def cached_tfrecord(n: int = 400, seed: int = 0, cache_dir=None, shards: int = 1) -> pathlib.Path:
    """The TFRecord of ``n`` synthetic villagers, generated and prepared on first use.

    Generation happens in a temporary folder renamed into place when complete
    (``acvae.core.cache.make_once``), so concurrent processes and interrupted runs never see a
    partial cache.

    Args:
      n: the number of villagers.
      seed: which villagers.
      cache_dir: cache root; defaults to ``$ACVAE_CACHE`` or ``~/.cache/acvae``.
      shards: TFRecord files to write (``villagers.tfrecord-0000i-of-0000N``); a large set
        in several shards is streamed by ``input_pipeline`` with interleaved reads.

    Returns:
      ``<cache root>/synthetic/v<VERSION>-n<n>-seed<seed>/villagers.tfrecord`` (the file);
      with ``shards > 1`` the stem of its shards in ``.../v<VERSION>-n<n>-seed<seed>-shards<N>/``
      (``tfrecord.resolve_files`` and the datasets accept either).

    Raises:
      WriteError: the cache cannot be written (disk full, read-only, ...); nothing is left.
    """
    if not isinstance(shards, int) or shards < 1:
        raise ValueError(f"shards must be a positive integer, got {shards!r}")
    suffix = f"-shards{shards}" if shards > 1 else ""
    final = cache.cache_root(cache_dir) / "synthetic" / f"v{VERSION}-n{n}-seed{seed}{suffix}"
    path = final / "villagers.tfrecord"

    def draw(folder: pathlib.Path) -> None:
        print(f"drawing {n} synthetic villagers into {final} (first use only)", flush=True)
        json_path = generate(folder, n, seed)
        kaggle.prepare(json_path, folder / "images", folder / "villagers.tfrecord",
                       shards=shards, labels=records.FACTORS)

    cache.make_once(final, draw, lambda: all(p.is_file() for p in tfrecord.shard_paths(path, shards)),
                    f"{n} synthetic villagers")
    return path
