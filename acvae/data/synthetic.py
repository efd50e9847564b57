"""Synthetic villagers: the embedded default dataset, written in the Kaggle layout.

``generate(out_dir, n, seed)`` draws ``n`` cartoon animal villagers (18 species, individual fur
and clothing, personality and gender visible in the face) with made-up names and writes exactly
what the Kaggle download holds: ``out_dir/villagers.json`` (Nookipedia fields) and
``out_dir/images/<Name_With_Underscores>.png``. ``cached_tfrecord`` runs that through the same
``prepare`` code as real data, once per (n, seed), into ``$ACVAE_CACHE`` or ``~/.cache/acvae``.
The result depends only on the seed.

    python -m acvae.data.synthetic OUT_DIR [--n 400] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import shutil
import tempfile

from acvae.data import kaggle, tfrecord, villager_art
from acvae.data.painter import INK, hsv, shade

VERSION = 1  # bump when the drawings change, so caches are rebuilt
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
SIGNS = ((20, "Capricorn"), (19, "Aquarius"), (20, "Pisces"), (20, "Aries"), (21, "Taurus"),
         (21, "Gemini"), (22, "Cancer"), (23, "Leo"), (23, "Virgo"), (23, "Libra"),
         (22, "Scorpio"), (22, "Sagittarius"))
ONSETS = ("b", "ch", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "qu", "r", "s", "sh", "t",
          "v", "w", "z", "br", "cl", "fl", "gr", "pr", "st", "tr", "")
VOWELS = ("a", "e", "i", "o", "u", "ee", "oo", "ai", "ie", "y")
CODAS = ("", "", "", "n", "l", "r", "s", "x", "ck", "m", "t", "nk", "ff", "sh")
ACCENTS = {"e": "é", "a": "á", "i": "ï", "o": "ö", "u": "ü", "n": "ñ"}
PATTERNS = ("solid", "solid", "stripes", "dots", "two_tone", "check", "emblem")


def _word(rng: random.Random) -> str:
    syllables = rng.choice((1, 2, 2, 2, 3))
    word = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(syllables))
    return (word + rng.choice(CODAS)).capitalize()


def make_name(rng: random.Random) -> str:
    """A made-up villager name; a few have spaces, apostrophes, hyphens or accents."""
    word, roll = _word(rng), rng.random()
    if roll < 0.04:
        return f"{word} {rng.choice('ABCDJKMRSTXZ')}"
    if roll < 0.07:
        return f"{rng.choice('OD')}'{_word(rng)}"
    if roll < 0.10:
        return f"{rng.choice('BJKT')}-{_word(rng)}"
    if roll < 0.14:
        positions = [i for i, char in enumerate(word) if char in ACCENTS]
        if positions:
            i = rng.choice(positions)
            return word[:i] + ACCENTS[word[i]] + word[i + 1:]
    return word


def _colour(rng, hue, sat, val, jitter=(0.02, 0.08, 0.06)):
    return hsv(hue + rng.uniform(-jitter[0], jitter[0]), sat + rng.uniform(-jitter[1], jitter[1]),
               val + rng.uniform(-jitter[2], jitter[2]))


def make_look(rng: random.Random, species_name: str) -> villager_art.Look:
    """Random colours, clothing, gender and personality for one villager of a species."""
    species = villager_art.SPECIES[species_name]
    gender = rng.choice(species.genders)
    fur = _colour(rng, *rng.choice(species.palette))
    shirt = hsv(rng.random(), rng.uniform(0.35, 0.85), rng.uniform(0.6, 0.95))
    shirt2 = rng.choice((shade(shirt, 1.75), shade(shirt, 0.55), (250, 250, 250),
                         hsv(rng.random(), 0.7, 0.9)))
    if gender == "Female":
        garment = rng.choice(("tee", "tee", "dress"))
        accessory = rng.choice(("bow", "bow", "flower", "none"))
    else:
        garment, accessory = rng.choice(("tee", "tee", "tie")), "none"
    eye = INK if rng.random() < 0.8 else hsv(rng.random(), 0.6, 0.45)
    return villager_art.Look(
        species=species_name, gender=gender,
        personality=rng.choice(villager_art.PERSONALITIES[gender]),
        fur=fur, fur2=shade(fur, species.secondary), eye=eye, shirt=shirt, shirt2=shirt2,
        pattern=rng.choice(PATTERNS), garment=garment, accessory=accessory,
        accessory_colour=hsv(rng.random(), 0.6, 0.95), head_scale=rng.uniform(0.94, 1.06),
        markings=rng.random() < 0.3,
    )


def _hex(colour) -> str:
    return "".join(f"{c:02x}" for c in colour)


def make_record(rng: random.Random, name: str, look: villager_art.Look, index: int) -> dict:
    """A Nookipedia-style JSON object for one villager."""
    month, day = rng.randrange(12), rng.randint(1, 28)
    sign = SIGNS[month][1] if day < SIGNS[month][0] else SIGNS[(month + 1) % 12][1]
    stem = kaggle.image_stem(name)
    phrase = _word(rng).lower()
    clothing = f"{look.pattern.replace('_', '-')} {look.garment}"
    return {
        "name": name, "url": f"https://nookipedia.com/wiki/{stem}", "alt_name": "",
        "title_color": _hex(look.shirt), "text_color": _hex(shade(look.shirt, 1.8)),
        "id": f"syn{index:03d}", "image_url": f"https://example.invalid/synthetic/{stem}.png",
        "species": look.species, "personality": look.personality, "gender": look.gender,
        "birthday_month": MONTHS[month], "birthday_day": str(day), "sign": sign,
        "quote": f"{phrase.capitalize()} is my middle name.", "phrase": phrase,
        "clothing": clothing, "islander": False, "debut": "SYN", "prev_phrases": [],
        "nh_details": {"catchphrase": phrase, "clothing": clothing,
                       "sub-personality": rng.choice("AB"),
                       "fav_colors": [_hex(look.shirt)], "synthetic_seed_index": index},
        "appearances": ["SYN"],
    }


def villagers(n: int, seed: int):
    """Yields ``(record, look)`` for ``n`` villagers; the species are balanced."""
    rng = random.Random(f"acvae-synthetic-{seed}")
    names: set[str] = set()
    species: list[str] = []
    for index in range(n):
        if not species:
            species = sorted(villager_art.SPECIES)
            rng.shuffle(species)
        name = make_name(rng)
        while name.casefold() in names:
            name = make_name(rng)
        names.add(name.casefold())
        look = make_look(rng, species.pop())
        yield make_record(rng, name, look, index), look


def generate(out_dir: str | os.PathLike, n: int = 400, seed: int = 0) -> pathlib.Path:
    """Writes ``n`` synthetic villagers in the Kaggle layout.

    Args:
      out_dir: gets ``villagers.json`` and ``images/*.png``; ``images/`` must be empty or absent.
      n: the number of villagers.
      seed: the same seed gives the same villagers.

    Returns:
      The path of the JSON file.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    images_dir = pathlib.Path(out_dir) / "images"
    images_dir.mkdir(parents=True, exist_ok=True)
    if any(images_dir.iterdir()):
        raise ValueError(f"{images_dir} is not empty; choose a new folder for synthetic villagers")
    records = []
    for record, look in villagers(n, seed):
        image = villager_art.draw_villager(look)
        image.save(images_dir / f"{kaggle.image_stem(record['name'])}.png", optimize=False)
        records.append(record)
    json_path = pathlib.Path(out_dir) / "villagers.json"
    json_path.write_text(json.dumps(records, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return json_path


def cache_root(cache_dir: str | os.PathLike | None = None) -> pathlib.Path:
    """``cache_dir``, else ``$ACVAE_CACHE``, else ``~/.cache/acvae``."""
    root = cache_dir or os.environ.get("ACVAE_CACHE") or pathlib.Path.home() / ".cache" / "acvae"
    return pathlib.Path(root).expanduser()


def cached_tfrecord(n: int = 400, seed: int = 0, cache_dir=None, shards: int = 1) -> pathlib.Path:
    """The TFRecord of ``n`` synthetic villagers, generated and prepared on first use.

    Generation happens in a temporary folder renamed into place when complete, so concurrent
    processes and interrupted runs never see a partial cache.

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
    """
    if not isinstance(shards, int) or shards < 1:
        raise ValueError(f"shards must be a positive integer, got {shards!r}")
    suffix = f"-shards{shards}" if shards > 1 else ""
    final = cache_root(cache_dir) / "synthetic" / f"v{VERSION}-n{n}-seed{seed}{suffix}"
    path = final / "villagers.tfrecord"
    complete = lambda: all(p.is_file() for p in tfrecord.shard_paths(path, shards))  # noqa: E731
    if complete():
        return path
    final.parent.mkdir(parents=True, exist_ok=True)
    print(f"drawing {n} synthetic villagers into {final} (first use only)", flush=True)
    temp = pathlib.Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        json_path = generate(temp, n, seed)
        kaggle.prepare(json_path, temp / "images", temp / "villagers.tfrecord", shards=shards)
        if final.exists() and not complete():
            shutil.rmtree(final, ignore_errors=True)  # a broken cache left by hand
        try:
            os.rename(temp, final)
        except OSError:
            if not complete():  # not a lost race: a real failure
                raise
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m acvae.data.synthetic",
                                     description="Write synthetic villagers in the Kaggle layout.")
    parser.add_argument("out_dir", help="folder to create (villagers.json and images/)")
    parser.add_argument("--n", type=int, default=400, help="number of villagers")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args(argv)
    try:
        json_path = generate(args.out_dir, args.n, args.seed)
    except (ValueError, OSError) as error:
        raise SystemExit(f"error: {error}") from None
    print(f"wrote {args.n} villagers: {json_path} and {json_path.parent / 'images'}/\n"
          f"next: python -m acvae.prepare {json_path} {json_path.parent / 'images'} "
          f"--out {json_path.parent / 'villagers.tfrecord'}")


if __name__ == "__main__":
    main()
