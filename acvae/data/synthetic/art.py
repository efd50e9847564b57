"""Procedural drawings of cartoon animal villagers: a big head on a small clothed body, front view.

``draw_villager(look)`` paints one 170x200 RGBA villager on a transparent background from a
``Look`` (species, colours, clothing, gender and personality). Species differ in silhouette the
way real ones do: pointed, floppy, long, round or giant ears, muzzles, beaks, a trunk, horns,
antlers, wool, a mane, eyes on top of the head, long faces and stocky or slim bodies.
Personality shows in the eyes, brows and mouth; gender in eyelashes, blush, bows and neckties.
"""

from __future__ import annotations

from PIL import Image

from acvae.data.synthetic import body, face
from acvae.data.synthetic.anatomy import Head, Look, PERSONALITIES, Species
from acvae.data.synthetic.ears import (Bear, Cat, Dog, Elephant, Koala, Mouse, Pig, Rabbit, Tiger,
                                       Wolf)
from acvae.data.synthetic.heads import Bird, Deer, Duck, Frog, Goat, Horse, Lion, Sheep
from acvae.data.synthetic.painter import Painter

__all__ = ["PERSONALITIES", "SPECIES", "Head", "Look", "Species", "draw_villager"]


SPECIES = {cls.name: cls() for cls in (Cat, Dog, Rabbit, Bear, Duck, Bird, Frog, Deer, Goat, Sheep,
                                       Elephant, Pig, Mouse, Koala, Horse, Tiger, Wolf, Lion)}


def head_of(species: Species, look: Look) -> Head:
    rx, ry = species.head
    return Head(85.0, species.head_y, rx * look.head_scale, ry * look.head_scale)


def draw_villager(look: Look, scale: int = 3) -> Image.Image:
    """Paints one villager.

    Args:
      look: who to draw.
      scale: supersampling factor (3 is smooth; 1 is fast and jagged).

    Returns:
      A 170x200 RGBA image with a transparent background.
    """
    species = SPECIES[look.species]
    p = Painter((170, 200), scale)
    h = head_of(species, look)
    species.back(p, look, h)
    body.draw_body(p, look, species, h)
    species.behind_head(p, look, h)
    species.skull(p, look, h)
    species.front(p, look, h)
    face.draw_face(p, look, species, h)
    return p.result()
