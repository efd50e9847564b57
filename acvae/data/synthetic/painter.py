"""A small supersampling vector painter on Pillow, in the 170x200 coordinates of a villager image.

Shapes are given in output pixels (floats); the painter draws them ``scale`` times larger and
downsamples once at the end, which antialiases every edge. Used by ``acvae.data.synthetic.art``.
"""

from __future__ import annotations

import colorsys
import math

from PIL import Image, ImageChops, ImageDraw

Colour = tuple[int, int, int]
WHITE, INK, PINK, MOUTH = (255, 255, 255), (38, 30, 36), (240, 150, 165), (150, 45, 60)


def shade(colour: Colour, factor: float) -> Colour:
    """Darker (factor < 1) or lighter (factor > 1, towards white) version of an RGB colour."""
    if factor <= 1.0:
        return tuple(round(c * factor) for c in colour)
    mix = min(1.0, factor - 1.0)
    return tuple(round(c + (255 - c) * mix) for c in colour)


def mix(a: Colour, b: Colour, t: float) -> Colour:
    """The colour a fraction ``t`` of the way from ``a`` to ``b``."""
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def painted_hsv(h: float, s: float, v: float) -> tuple[float, float, float]:
    """The hue, saturation and value ``hsv`` paints: the hue (turns) wrapped into [0, 1),
    saturation and value clipped to [0, 1]."""
    return h % 1.0, min(max(s, 0.0), 1.0), min(max(v, 0.0), 1.0)


def hsv(h: float, s: float, v: float) -> Colour:
    """RGB from hue (turns, wrapped), saturation and value in [0, 1] (``painted_hsv``)."""
    r, g, b = colorsys.hsv_to_rgb(*painted_hsv(h, s, v))
    return (int(r * 255), int(g * 255), int(b * 255))


def oval_points(cx, cy, rx, ry, angle=0.0, start=0.0, end=360.0, n=48):
    """Points on an ellipse rotated by ``angle`` degrees, from ``start`` to ``end`` degrees."""
    cos_a, sin_a = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    points = []
    for i in range(n + 1):
        t = math.radians(start + (end - start) * i / n)
        x, y = rx * math.cos(t), ry * math.sin(t)
        points.append((cx + x * cos_a - y * sin_a, cy + x * sin_a + y * cos_a))
    return points


class Painter:
    """A transparent RGBA canvas of ``size`` output pixels, supersampled ``scale`` times."""

    def __init__(self, size=(170, 200), scale=3):
        self.size = size
        self.scale = scale
        self.image = Image.new("RGBA", (size[0] * scale, size[1] * scale), (0, 0, 0, 0))
        self.draw = ImageDraw.Draw(self.image)

    def _xy(self, points):
        return [(x * self.scale, y * self.scale) for x, y in points]

    def _width(self, width):
        return max(1, round(width * self.scale))

    def polygon(self, points, fill=None, outline=None, width=1.2):
        """A filled polygon with an optional outline."""
        xy = self._xy(points)
        if fill is not None:
            self.draw.polygon(xy, fill=fill)
        if outline is not None:
            self.draw.line(xy + xy[:1], fill=outline, width=self._width(width), joint="curve")

    def oval(self, cx, cy, rx, ry, fill=None, outline=None, width=1.2, angle=0.0):
        """An ellipse centred on (cx, cy) with radii (rx, ry), rotated by ``angle`` degrees."""
        if angle == 0.0:
            box = [(cx - rx) * self.scale, (cy - ry) * self.scale,
                   (cx + rx) * self.scale, (cy + ry) * self.scale]
            self.draw.ellipse(box, fill=fill, outline=outline,
                              width=self._width(width) if outline is not None else 0)
        else:
            self.polygon(oval_points(cx, cy, rx, ry, angle), fill, outline, width)

    def circle(self, cx, cy, r, fill=None, outline=None, width=1.2):
        """A circle."""
        self.oval(cx, cy, r, r, fill, outline, width)

    def line(self, points, fill, width=1.2):
        """A polyline with rounded joints and ends."""
        xy = self._xy(points)
        w = self._width(width)
        self.draw.line(xy, fill=fill, width=w, joint="curve")
        for x, y in (xy[0], xy[-1]):
            self.draw.ellipse([x - w / 2, y - w / 2, x + w / 2, y + w / 2], fill=fill)

    def arc(self, cx, cy, rx, ry, start, end, fill, width=1.2):
        """An elliptical arc from ``start`` to ``end`` degrees (0 = right, 90 = down)."""
        self.line(oval_points(cx, cy, rx, ry, 0.0, start, end, n=24), fill, width)

    def rect(self, x0, y0, x1, y1, radius, fill=None, outline=None, width=1.2):
        """A rounded rectangle."""
        box = [x0 * self.scale, y0 * self.scale, x1 * self.scale, y1 * self.scale]
        self.draw.rounded_rectangle(box, radius * self.scale, fill=fill, outline=outline,
                                    width=self._width(width) if outline is not None else 0)

    def layer(self) -> "Painter":
        """A blank painter of the same size, for drawing that will be masked and composited."""
        return Painter(self.size, self.scale)

    def paste_masked(self, layer: "Painter", mask: "Painter") -> None:
        """Composites ``layer`` onto this canvas where ``mask`` is opaque."""
        content = layer.image.copy()
        alpha = ImageChops.multiply(layer.image.getchannel("A"), mask.image.getchannel("A"))
        content.putalpha(alpha)
        self.image.alpha_composite(content)

    def result(self) -> Image.Image:
        """The picture at output size (downsampled with a Lanczos filter)."""
        return self.image.resize(self.size, Image.Resampling.LANCZOS)
