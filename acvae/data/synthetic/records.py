"""Who the synthetic villagers are: made-up names, looks, the causes drawn, and their records.

``villagers(n, seed)`` yields ``(record, look)`` pairs: the look is what ``art.draw_villager``
paints; the record is what the villager JSON holds for the importer: ``name`` and every
generative factor the look was drawn from (``FACTORS``), the categorical ones as text and the
continuous ones as JSON numbers, which the importer keeps as continuous labels. Together they
are every random choice that changes a picture: species, personality and gender; the
garment, its pattern, the colour of the pattern (``trim``), the accessory, the eye colour,
markings (drawn on a few species); the hue, saturation and value of the fur and of the shirt;
and the head's size. Hues that colour only some villagers (a coloured eye, an accessory, a
contrasting trim) are not recorded: a continuous factor means something for every villager;
nor are ear and snout shapes, which each species has its own of (``species`` records them).
The species are balanced; names are unique (ignoring case) and, like the real ones, a few have
spaces, apostrophes, hyphens or accents.
"""

from __future__ import annotations

import random

from acvae.data.synthetic import art
from acvae.data.synthetic.painter import INK, hsv, painted_hsv, shade

ONSETS = ("b", "ch", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "qu", "r", "s", "sh", "t",
          "v", "w", "z", "br", "cl", "fl", "gr", "pr", "st", "tr", "")
VOWELS = ("a", "e", "i", "o", "u", "ee", "oo", "ai", "ie", "y")
CODAS = ("", "", "", "n", "l", "r", "s", "x", "ck", "m", "t", "nk", "ff", "sh")
ACCENTS = {"e": "é", "a": "á", "i": "ï", "o": "ö", "u": "ü", "n": "ñ"}
PATTERNS = ("solid", "solid", "stripes", "dots", "two_tone", "check", "emblem")
TRIMS = ("lighter", "darker", "white", "contrast")  # the pattern's colour beside the shirt's
HSV = ("hue", "saturation", "value")
# every generative factor, in record order: categorical (text), then continuous (numbers)
CATEGORICAL = ("species", "personality", "gender", "garment", "pattern", "trim", "accessory",
               "eyes", "markings")
CONTINUOUS = tuple(f"{part}_{name}" for part in ("fur", "shirt") for name in HSV) + ("head_size",)
FACTORS = CATEGORICAL + CONTINUOUS
DIGITS = 4  # decimals kept of a continuous factor


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


def _jittered(rng, hue, sat, val, jitter=(0.02, 0.08, 0.06)) -> tuple[float, float, float]:
    return (hue + rng.uniform(-jitter[0], jitter[0]), sat + rng.uniform(-jitter[1], jitter[1]),
            val + rng.uniform(-jitter[2], jitter[2]))


def _hsv_factors(part: str, hue: float, sat: float, val: float) -> dict[str, float]:
    """``<part>_hue``, ``_saturation`` and ``_value`` as painted (``painted_hsv``), rounded."""
    painted = painted_hsv(hue, sat, val)
    return {f"{part}_{name}": round(value, DIGITS) for name, value in zip(HSV, painted)}


def make_look(rng: random.Random, species_name: str) -> tuple[art.Look, dict]:
    """Random colours, clothing, gender and personality for one villager of a species.

    Returns:
      ``(look, factors)``: what ``art.draw_villager`` paints, and the value of every name in
      ``FACTORS`` it was drawn from (text for categorical factors, floats for continuous ones).
    """
    species = art.SPECIES[species_name]
    gender = rng.choice(species.genders)
    fur_hsv = _jittered(rng, *rng.choice(species.palette))
    shirt_hsv = (rng.random(), rng.uniform(0.35, 0.85), rng.uniform(0.6, 0.95))
    shirt, contrast = hsv(*shirt_hsv), hsv(rng.random(), 0.7, 0.9)
    trim = rng.choice(TRIMS)
    shirt2 = {"lighter": shade(shirt, 1.75), "darker": shade(shirt, 0.55),
              "white": (250, 250, 250), "contrast": contrast}[trim]
    if gender == "Female":
        garment = rng.choice(("tee", "tee", "dress"))
        accessory = rng.choice(("bow", "bow", "flower", "none"))
    else:
        garment, accessory = rng.choice(("tee", "tee", "tie")), "none"
    eyes = "dark" if rng.random() < 0.8 else "coloured"
    eye = INK if eyes == "dark" else hsv(rng.random(), 0.6, 0.45)
    look = art.Look(
        species=species_name, gender=gender,
        personality=rng.choice(art.PERSONALITIES[gender]),
        fur=hsv(*fur_hsv), fur2=shade(hsv(*fur_hsv), species.secondary),
        eye=eye, shirt=shirt, shirt2=shirt2,
        pattern=rng.choice(PATTERNS), garment=garment, accessory=accessory,
        accessory_colour=hsv(rng.random(), 0.6, 0.95), head_scale=rng.uniform(0.94, 1.06),
        markings=rng.random() < 0.3,
    )
    factors = {"species": species_name, "personality": look.personality, "gender": gender,
               "garment": garment, "pattern": look.pattern, "trim": trim, "accessory": accessory,
               "eyes": eyes, "markings": "marked" if look.markings else "plain",
               **_hsv_factors("fur", *fur_hsv), **_hsv_factors("shirt", *shirt_hsv),
               "head_size": round(look.head_scale, DIGITS)}
    return look, factors


def make_record(name: str, factors: dict) -> dict:
    """The villager JSON object of one villager: its name, then every factor in ``FACTORS``."""
    return {"name": name, **{factor: factors[factor] for factor in FACTORS}}


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
        look, factors = make_look(rng, species.pop())
        _keep_the_stream(rng)
        yield make_record(name, factors), look
