"""Villager anatomy shared by every species: the ``Look``, the head geometry, and ``Species``.

A ``Species`` holds the default anatomy (head size and position, eye and mouth placement, feet,
arms, fur palette) and drawing hooks that a species overrides only where it differs; the helpers
below draw parts several species share (pointed ears, whiskers, a muzzle with a nose).
"""

from __future__ import annotations

import dataclasses

from acvae.data.synthetic.painter import Colour, INK, PINK, Painter, mix, shade


@dataclasses.dataclass(frozen=True)
class Look:
    """Everything that makes one villager's picture."""

    species: str
    gender: str  # "Male" or "Female"
    personality: str  # one of PERSONALITIES
    fur: Colour
    fur2: Colour  # muzzle, belly, inner ears
    eye: Colour
    shirt: Colour
    shirt2: Colour
    pattern: str  # solid, stripes, dots, two_tone, check, emblem
    garment: str  # tee, dress, tie
    accessory: str  # none, bow, flower
    accessory_colour: Colour
    head_scale: float = 1.0
    markings: bool = False


PERSONALITIES = {
    "Male": ("Lazy", "Jock", "Cranky", "Smug"),
    "Female": ("Normal", "Peppy", "Snooty", "Big sister"),
}


@dataclasses.dataclass(frozen=True)
class Head:
    cx: float
    cy: float
    rx: float
    ry: float


class Species:
    """Default anatomy; a species overrides only what makes it different."""

    name = ""
    head = (45.0, 40.0)  # radii
    head_y = 80.0
    body_width = 1.0
    eye_y, eye_dx, eye_size = 0.05, 0.40, 1.0  # fractions of the head radii
    mouth_y = 0.52
    feet = "paw"  # paw, hoof, webbed
    arms = "arm"  # arm, wing
    genders = ("Male", "Female")
    palette: tuple = ((0.08, 0.6, 0.85),)  # (hue, saturation, value) choices for the fur
    secondary = 1.45  # fur2 = shade(fur, secondary)

    def back(self, p: Painter, v: Look, h: Head) -> None:
        """Tail and anything else behind the body and head."""

    def behind_head(self, p: Painter, v: Look, h: Head) -> None:
        """Ears, horns or wool drawn before the head."""

    def skull(self, p: Painter, v: Look, h: Head) -> None:
        p.oval(h.cx, h.cy, h.rx, h.ry, v.fur, shade(v.fur, 0.62))

    def front(self, p: Painter, v: Look, h: Head) -> None:
        """Ears, muzzle and nose drawn over the head."""
        p.oval(h.cx, h.cy + 0.42 * h.ry, 4, 3, shade(v.fur, 0.45))

    def mouth(self, h: Head) -> tuple[float, float]:
        return h.cx, h.cy + self.mouth_y * h.ry

    def accessory_at(self, h: Head) -> tuple[float, float]:
        """Where a bow or flower sits."""
        return h.cx + h.rx * 0.55, h.cy - h.ry * 0.82


def ear_triangle(p, v, tip, left, right, inner=True):
    p.polygon([left, tip, right], v.fur, shade(v.fur, 0.62))
    if inner:
        shrink = lambda a, b, t: (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)  # noqa: E731
        base = ((left[0] + right[0]) / 2, (left[1] + right[1]) / 2 + 4)
        p.polygon([shrink(left, base, 0.4), shrink(tip, base, 0.3), shrink(right, base, 0.4)],
                  mix(v.fur2, PINK, 0.5))


def whiskers(p, v, h, y):
    colour = shade(v.fur, 0.4)
    for side in (-1, 1):
        for dy in (-2.5, 2.5):
            start, end = (h.cx + side * 12, y + dy * 0.4), (h.cx + side * 27, y + dy * 1.6)
            p.line([start, end], colour, 0.9)


def muzzle(p, v, h, rx, ry, dy, nose=INK, nose_r=(5.0, 3.6)):
    p.oval(h.cx, h.cy + dy, rx, ry, v.fur2, shade(v.fur2, 0.8), 0.8)
    p.oval(h.cx, h.cy + dy - ry * 0.45, nose_r[0], nose_r[1], nose)
    p.oval(h.cx - 1.5, h.cy + dy - ry * 0.45 - 1.2, 1.5, 0.9, shade(nose, 2.0))
