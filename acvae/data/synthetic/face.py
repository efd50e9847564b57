"""The face of a synthetic villager: eyes, brows and mouth by personality; gender details.

Each personality has its own eyes, brows and mouth (a lazy villager's dot eyes and wide smile,
a cranky one's heavy frown, a snooty one's half-closed lids...). Female villagers get eyelashes,
blush and often a bow or flower; male villagers have none of these.
"""

from __future__ import annotations

from acvae.data.synthetic.painter import INK, MOUTH, PINK, Painter, WHITE, mix, shade

EYES = {"Normal": "round", "Peppy": "sparkle", "Snooty": "lidded", "Big sister": "round",
        "Lazy": "dot", "Jock": "sparkle", "Cranky": "stern", "Smug": "lidded"}
# brow tilt in degrees-ish offsets (inner end, outer end) relative to the eye top; None = no brows
BROWS = {"Normal": (-1, -1), "Peppy": (-4, -3), "Snooty": (-2, -6), "Big sister": (2, -2),
         "Lazy": None, "Jock": (3, -2), "Cranky": (5, -2), "Smug": (0, 0)}


def _eye(p: Painter, look, x: float, y: float, size: float, side: int) -> float:
    """Draws one eye; returns the y of its top edge."""
    style = EYES[look.personality]
    rx, ry = 4.6 * size, 6.2 * size
    if style == "dot":
        p.circle(x, y + 1, 3.2 * size, INK)
        return y - 3 * size
    if style == "sparkle":
        rx, ry = 5.4 * size, 7.0 * size
    p.oval(x, y, rx, ry, look.eye)
    p.circle(x - rx * 0.3, y - ry * 0.35, rx * 0.36, WHITE)
    if style == "sparkle":
        p.circle(x + rx * 0.3, y + ry * 0.35, rx * 0.18, WHITE)
    if style == "lidded":
        p.polygon([(x - rx - 1, y - ry - 1), (x + rx + 1, y - ry - 1), (x + rx + 1, y - 0.5),
                   (x - rx - 1, y - 0.5)], look.fur)
        p.line([(x - rx - 0.5, y - 0.5), (x + rx + 0.5, y - 0.5)], INK, 1.4)
        return y - 1
    if style == "stern":
        inner = x - side * rx
        p.polygon([(inner - side * 1, y - ry - 1), (x + side * (rx + 1), y - ry - 1), (inner, y)],
                  look.fur)
    return y - ry


def _brow(p, look, x, top, size, side):
    tilt = BROWS[look.personality]
    if tilt is None:
        return
    inner, outer = tilt
    if look.personality == "Smug" and side > 0:
        inner, outer = -4, -6
    heavy = look.personality in ("Cranky", "Jock")
    colour = shade(look.fur, 0.4) if look.fur[0] + look.fur[1] > 120 else shade(look.fur, 1.8)
    y = top - 4 * size
    p.line([(x - side * 4 * size, y + inner), (x + side * 5 * size, y + outer)], colour,
           2.6 if heavy else 1.5)


def _lashes(p, x, top, size, side):
    for angle in (0, 1, 2):
        x0 = x + side * (2.2 + angle * 1.3) * size
        p.line([(x0, top + angle * 1.2 + 1), (x0 + side * 3.5, top + angle * 1.8 - 2.5)], INK, 1.1)


def _mouth(p, look, x, y):
    personality = look.personality
    if personality in ("Peppy", "Lazy", "Big sister", "Jock"):
        w = {"Peppy": 6.5, "Lazy": 9.0, "Big sister": 7.5, "Jock": 8.0}[personality]
        lower_lip = [(x + w * t, y - 1 + 6.5 * (1 - t * t) ** 0.5)
                     for t in [i / 10 - 1 for i in range(1, 21)]]
        p.polygon([(x - w, y - 1)] + lower_lip + [(x + w, y - 1)], MOUTH)
        if personality in ("Jock", "Big sister"):
            right = x + w * 0.6 if personality == "Jock" else x - 1  # full teeth or one tooth
            p.rect(x - w * 0.6, y - 1, right, y + 1.6, 0.5, WHITE)
        else:
            p.oval(x, y + 3.6, w * 0.4, 1.8, PINK)
    elif personality == "Cranky":
        p.arc(x, y + 5, 6, 4, 200, 340, INK, 1.6)
    elif personality == "Smug":
        p.line([(x - 5, y + 1), (x + 1, y + 2), (x + 6, y - 1.5)], INK, 1.4)
    elif personality == "Snooty":
        p.oval(x, y + 1, 2.6, 1.8, mix(MOUTH, PINK, 0.4))
    else:
        p.arc(x, y - 1, 5, 3.5, 20, 160, INK, 1.4)


def _accessory(p, look, species, head):
    x, y = species.accessory_at(head)
    colour = look.accessory_colour
    if look.accessory == "bow":
        for s in (-1, 1):
            wing = [(x, y), (x + s * 11, y - 7), (x + s * 11, y + 7)]
            p.polygon(wing, colour, shade(colour, 0.6))
        p.circle(x, y, 3.2, shade(colour, 0.8))
    elif look.accessory == "flower":
        for dx, dy in ((0, -5), (5, -1.5), (3, 4), (-3, 4), (-5, -1.5)):
            p.circle(x + dx, y + dy, 3.6, colour, shade(colour, 0.7), 0.7)
        p.circle(x, y, 2.6, (250, 215, 70))


def draw_face(p: Painter, look, species, head) -> None:
    """Eyes, brows, lashes, blush, mouth and head accessory on a drawn head."""
    size = species.eye_size * look.head_scale
    dx, y = species.eye_dx * head.rx, head.cy + species.eye_y * head.ry
    for side in (-1, 1):
        x = head.cx + side * dx
        top = _eye(p, look, x, y, size, side)
        _brow(p, look, x, top, size, side)
        if look.gender == "Female" and EYES[look.personality] != "dot":
            _lashes(p, x, top, size, side)
    if look.gender == "Female" or look.personality == "Peppy":
        for side in (-1, 1):
            p.oval(head.cx + side * (dx + 6), y + 11 * size, 6, 3.4, mix(look.fur, PINK, 0.6))
    mouth = species.mouth(head)
    if mouth is not None:
        _mouth(p, look, *mouth)
    _accessory(p, look, species, head)
