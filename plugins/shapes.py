"""A dataset in one file: coloured shapes drawn in Python, ``@datasets.shapes()`` (no download).

Every combination of a shape, a colour, a size and an angle, drawn on a transparent
background: a tiny dSprites-like set whose generative factors are its labels (``shape``,
``colour``, ``size`` and ``angle``; the identifier ``name`` is e.g. ``large red circle 0``). The
whole contract of a dataset is the last line: rows of text and uint8 images go to
``acvae.data.datasets.from_images``, which writes them once into the cache as a TFRecord with
its schema and returns the shared ``input_pipeline``'s ``InputData`` — the same pipeline,
split by identifier and categorical labels as imported data. Switch it on in a ``.gin`` file::

    import plugins.shapes
    include 'configs/base.gin'
    experiment.dataset = @datasets.shapes()
    datasets.shapes.angles = (0, 30, 60)    # 72 images instead of 24
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from acvae.core import registry
from acvae.data.datasets import from_images
from acvae.data.errors import SettingError

COLOURS = {"red": (220, 50, 47), "green": (40, 160, 60), "blue": (38, 110, 210),
           "yellow": (230, 190, 30)}
SIZES = {"small": 0.25, "large": 0.42}  # circumradius as a share of the image side
CORNERS = {"triangle": 3, "square": 4}  # a circle has none
SUPERSAMPLING = 4


def draw(
    shape: str, colour: str, size: str, angle: float = 0.0, image_size: int = 64
) -> np.ndarray:
    """One shape, centred on a transparent square.

    Args:
      shape: ``circle``, ``triangle`` or ``square``.
      colour: a name in ``COLOURS``.
      size: a name in ``SIZES``.
      angle: rotation in degrees (counter-clockwise).
      image_size: the side of the image in pixels.

    Returns:
      uint8 [image_size, image_size, 4], RGBA.
    """
    side = image_size * SUPERSAMPLING
    radius, centre = SIZES[size] * side, side / 2
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    fill = (*COLOURS[colour], 255)
    if shape == "circle":
        pen.ellipse([centre - radius, centre - radius, centre + radius, centre + radius], fill)
    else:
        corners = CORNERS[shape]
        start = math.radians(angle) - math.pi / 2 + (math.pi / corners if corners == 4 else 0)
        pen.polygon([(centre + radius * math.cos(start + 2 * math.pi * k / corners),
                      centre + radius * math.sin(start + 2 * math.pi * k / corners))
                     for k in range(corners)], fill)
    return np.asarray(image.resize((image_size, image_size), Image.Resampling.LANCZOS))


def _check(kind: str, given, valid) -> None:
    unknown = [value for value in given if value not in valid]
    if unknown or not given:
        raise SettingError(
            f"datasets.shapes.{kind} = {tuple(given)!r}: give some of {', '.join(valid)}")


@registry.register("datasets")
def shapes(
    shapes=("circle", "triangle", "square"),
    colours=tuple(COLOURS),
    sizes=tuple(SIZES),
    angles=(0,),
    image_size: int = 64,
    cache_dir: str | None = None,
):
    """Coloured shapes drawn in Python: every shape x colour x size x angle (24 by default).

    Args:
      shapes: some of ``circle``, ``triangle``, ``square``.
      colours: some of ``COLOURS``.
      sizes: some of ``SIZES``.
      angles: rotations in degrees.
      image_size: the side of the drawn images (the pipeline fits them to ``IMAGE_SHAPE``).
      cache_dir: cache root; defaults to ``$ACVAE_CACHE`` or ``~/.cache/acvae``.

    Returns:
      ``InputData`` with the identifier ``name`` and the labels ``shape``, ``colour``, ``size``
      and ``angle``.
    """
    _check("shapes", shapes, ("circle",) + tuple(CORNERS))
    _check("colours", colours, tuple(COLOURS))
    _check("sizes", sizes, tuple(SIZES))
    items = (
        ({"name": f"{size} {colour} {shape} {angle}", "shape": shape, "colour": colour,
          "size": size, "angle": str(angle)},
         draw(shape, colour, size, angle, image_size))
        for shape in shapes for colour in colours for size in sizes for angle in angles
    )
    return from_images("shapes", items, id_column="name", cache_dir=cache_dir)
