"""Who the synthetic villagers are: made-up names, looks and their Nookipedia-style records.

``villagers(n, seed)`` yields ``(record, look)`` pairs: the record is what the villager JSON
holds for the importer (``name``, ``species``, ``personality``, ``gender``); the look is what
``art.draw_villager`` paints. The species are balanced; names are unique (ignoring case) and,
like the real ones, a few have spaces, apostrophes, hyphens or accents.
"""

from __future__ import annotations

import random

from acvae.data.synthetic import art
from acvae.data.synthetic.painter import INK, hsv, shade

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


def make_look(rng: random.Random, species_name: str) -> art.Look:
    """Random colours, clothing, gender and personality for one villager of a species."""
    species = art.SPECIES[species_name]
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
    return art.Look(
        species=species_name, gender=gender,
        personality=rng.choice(art.PERSONALITIES[gender]),
        fur=fur, fur2=shade(fur, species.secondary), eye=eye, shirt=shirt, shirt2=shirt2,
        pattern=rng.choice(PATTERNS), garment=garment, accessory=accessory,
        accessory_colour=hsv(rng.random(), 0.6, 0.95), head_scale=rng.uniform(0.94, 1.06),
        markings=rng.random() < 0.3,
    )


def make_record(name: str, look: art.Look) -> dict:
    """The villager JSON object of one villager: the fields the importer reads."""
    return {"name": name, "species": look.species, "personality": look.personality,
            "gender": look.gender}


def _keep_the_stream(rng: random.Random) -> None:
    """Draws what earlier versions drew for fields no longer written (birthday, catchphrase,
    sub-personality), so that a seed still gives the same villagers (names, looks, split)."""
    rng.randrange(12), rng.randint(1, 28), _word(rng), rng.choice("AB")


def villagers(n: int, seed: int):
    """Yields ``(record, look)`` for ``n`` villagers; the species are balanced."""
    rng = random.Random(f"acvae-synthetic-{seed}")
    names: set[str] = set()
    species: list[str] = []
    for _ in range(n):
        if not species:
            species = sorted(art.SPECIES)
            rng.shuffle(species)
        name = make_name(rng)
        while name.casefold() in names:
            name = make_name(rng)
        names.add(name.casefold())
        look = make_look(rng, species.pop())
        _keep_the_stream(rng)
        yield make_record(name, look), look
