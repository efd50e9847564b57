"""Helpers for the data tests: Kaggle-layout records and small images of every awkward kind."""

import io
import struct
import zlib

import numpy as np
from PIL import Image

FIELDS = ("name", "url", "alt_name", "title_color", "text_color", "id", "image_url", "species",
          "personality", "gender", "birthday_month", "birthday_day", "sign", "quote", "phrase",
          "clothing", "islander", "debut", "prev_phrases", "nh_details", "appearances")

# (name in the JSON, species, personality, gender) of the villagers that must be written
WRITTEN = (
    ("Agent S", "Squirrel", "Peppy", "Female"),
    ("O'Hare", "Rabbit", "Smug", "Male"),
    ("T-Bone", "Bull", "Cranky", "Male"),
    ("Renée", "Rhino", "Big sister", "Female"),
    ("Bob", "Cat", "Lazy", "Male"),
    ("Ankha", "Cat", "Snooty", "Female"),
)


def record(name, species="Cat", personality="Lazy", gender="Male", **overrides):
    """A Nookipedia-style villager object with every field."""
    values = {field: "" for field in FIELDS}
    values.update(name=name, species=species, personality=personality, gender=gender,
                  islander=False, prev_phrases=[], nh_details=None, appearances=["NH"])
    values.update(overrides)
    return values


def rgba_image(width=6, height=8, colour=(200, 30, 40)):
    """A small RGBA image: an opaque block in a transparent frame."""
    pixels = np.zeros((height, width, 4), np.uint8)
    pixels[2:-2, 1:-1] = (*colour, 255)
    return Image.fromarray(pixels)


def palette_image(width=6, height=8):
    """A palette image: index 0 (transparent when saved with transparency=0) around index 1."""
    pixels = np.zeros((height, width), np.uint8)
    pixels[2:-2, 1:-1] = 1
    image = Image.frombytes("P", (width, height), pixels.tobytes())
    image.putpalette([0, 0, 0, 10, 200, 10])
    return image


def huge_png_bytes(width=30000, height=30000):
    """A PNG whose header claims a decompression-bomb size (its pixel data is tiny)."""
    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)
