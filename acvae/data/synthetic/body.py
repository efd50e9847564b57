"""The clothed body of a synthetic villager: legs and feet, torso with garment and pattern, arms.

Bodies are short and wide under a big head, as in the games; species choose the width, the feet
(paws, hooves, webbed) and the arms (arms or wings); the ``Look`` chooses the garment (tee,
dress, shirt with necktie), its colours and its pattern.
"""

from __future__ import annotations

from acvae.data.synthetic.painter import Painter, WHITE, mix, shade

CX = 85.0
BOTTOM = 166.0


def _legs(p: Painter, look, species, half_width: float) -> None:
    fur_line = shade(look.fur, 0.62)
    for s in (-1, 1):
        x = CX + s * half_width * 0.45
        p.rect(x - 6.5, BOTTOM - 8, x + 6.5, 186, 4, look.fur, fur_line)
        if species.feet == "hoof":
            p.rect(x - 7.5, 181, x + 7.5, 192, 3, shade(look.fur, 0.35))
        elif species.feet == "webbed":
            foot = (245, 165, 50)
            p.polygon([(x - 3, 182), (x + 3, 182), (x + s * 4 + 10, 192), (x + s * 4 - 10, 192)],
                      foot, shade(foot, 0.7))
        else:
            p.oval(x + s * 1.5, 187, 9, 5.5, look.fur, fur_line)


def _torso_outline(top: float, half_width: float, garment: str) -> list[tuple[float, float]]:
    top_half = half_width * 0.78
    bottom, flare = (BOTTOM + 8, half_width * 1.3) if garment == "dress" else (BOTTOM, half_width)
    return [(CX - top_half + 4, top), (CX + top_half - 4, top), (CX + top_half, top + 5),
            (CX + flare, bottom - 3), (CX + flare - 3, bottom), (CX - flare + 3, bottom),
            (CX - flare, bottom - 3), (CX - top_half, top + 5)]


def _pattern(layer: Painter, look, top: float, half_width: float) -> None:
    colour, x0, x1 = look.shirt2, CX - 2 * half_width, CX + 2 * half_width
    if look.pattern == "stripes":
        for y in range(int(top) + 4, int(BOTTOM) + 10, 9):
            layer.rect(x0, y, x1, y + 4, 0, colour)
    elif look.pattern == "dots":
        for row, y in enumerate(range(int(top) + 5, int(BOTTOM) + 10, 9)):
            for x in range(int(x0) + (row % 2) * 5, int(x1), 10):
                layer.circle(x, y, 2.3, colour)
    elif look.pattern == "two_tone":
        layer.rect(x0, (top + BOTTOM) / 2 + 4, x1, BOTTOM + 10, 0, colour)
    elif look.pattern == "check":
        faded = mix(look.shirt, colour, 0.55)
        for x in range(int(x0), int(x1), 12):
            layer.rect(x, top, x + 6, BOTTOM + 10, 0, faded)
        for y in range(int(top), int(BOTTOM) + 10, 12):
            layer.rect(x0, y, x1, y + 6, 0, faded)
    elif look.pattern == "emblem":
        y = top + 20
        layer.polygon([(CX, y - 9), (CX + 3, y - 3), (CX + 9, y - 2), (CX + 4, y + 2),
                       (CX + 6, y + 9), (CX, y + 5), (CX - 6, y + 9), (CX - 4, y + 2),
                       (CX - 9, y - 2), (CX - 3, y - 3)], colour)


def _arms(p: Painter, look, species, top: float, half_width: float) -> None:
    for s in (-1, 1):
        shoulder = (CX + s * half_width * 0.8, top + 10)
        hand = (shoulder[0] + s * 14, shoulder[1] + 20)
        if species.arms == "wing":
            p.oval((shoulder[0] + hand[0]) / 2, (shoulder[1] + hand[1]) / 2 + 2, 7, 17,
                   look.fur, shade(look.fur, 0.62), angle=-s * 35)
            continue
        p.line([shoulder, hand], shade(look.fur, 0.62), 11)
        p.line([shoulder, hand], look.fur, 9)
        p.circle(hand[0], hand[1], 5.6, look.fur, shade(look.fur, 0.62))
        sleeve_end = (shoulder[0] + s * 7, shoulder[1] + 10)
        p.line([(shoulder[0] - s * 1, shoulder[1] - 2), sleeve_end], shade(look.shirt, 0.7), 13)
        p.line([(shoulder[0] - s * 1, shoulder[1] - 2), sleeve_end], look.shirt, 11)


def draw_body(p: Painter, look, species, head) -> None:
    """Legs, arms and the clothed torso under ``head`` (an ``anatomy.Head``)."""
    half_width = 25.0 * species.body_width
    top = max(head.cy + head.ry - 12, 104.0)
    _legs(p, look, species, half_width)
    _arms(p, look, species, top, half_width)
    outline = _torso_outline(top, half_width, look.garment)
    p.polygon(outline, look.shirt)
    if look.pattern != "solid":
        mask, layer = p.layer(), p.layer()
        mask.polygon(outline, WHITE)
        _pattern(layer, look, top, half_width)
        p.paste_masked(layer, mask)
    p.polygon(outline, None, shade(look.shirt, 0.62), 1.3)
    if look.garment == "tie":
        tie = look.shirt2 if look.pattern in ("solid", "emblem") else shade(look.shirt, 0.5)
        p.polygon([(CX - 3, top + 2), (CX + 3, top + 2), (CX + 5, top + 28), (CX, top + 34),
                   (CX - 5, top + 28)], tie, shade(tie, 0.6), 0.9)
    collar = WHITE if look.garment != "dress" else shade(look.shirt2, 1.3)
    for s in (-1, 1):
        p.polygon([(CX, top + 4), (CX + s * 12, top - 1), (CX + s * 10, top + 8)], collar,
                  shade(collar, 0.7), 0.9)
