"""Fixtures for the data tests: a small, deliberately messy download in the Kaggle layout."""

import json
import unicodedata

import numpy as np
import pytest
from PIL import Image

from villager_fixtures import WRITTEN, huge_png_bytes, palette_image, record, rgba_image


@pytest.fixture
def kaggle_download(tmp_path):
    """(json_path, images_dir) with one of every case prepare must handle.

    Written (6): a name with a space, an apostrophe (palette PNG with transparency), a hyphen
    (grey PNG), an accent saved in NFD form (grey+alpha PNG), a JPEG named .png, a 16-bit PNG.
    Reported (one each): no image, no villager, unreadable, too large, duplicate, incomplete,
    ignored (a .txt file).
    """
    images_dir = tmp_path / "images"
    images_dir.mkdir()
    rgba_image().save(images_dir / "Agent_S.png")
    palette_image().save(images_dir / "O'Hare.png", transparency=0)
    rgba_image().convert("L").save(images_dir / "T-Bone.png")
    nfd = unicodedata.normalize("NFD", "Renée")
    assert nfd != "Renée"
    rgba_image().convert("LA").save(images_dir / f"{nfd}.png")
    rgba_image().convert("RGB").save(images_dir / "Bob.png", format="JPEG")
    grey16 = np.full((8, 6), 65535, np.uint16)
    grey16[:, :3] = 32896
    Image.fromarray(grey16).save(images_dir / "Ankha.png")
    (images_dir / "Broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 4)
    (images_dir / "Huge.png").write_bytes(huge_png_bytes())
    rgba_image().save(images_dir / "Stray.png")
    rgba_image().save(images_dir / "Nospecies.png")
    (images_dir / "notes.txt").write_text("not an image")

    villagers = [record(*values) for values in WRITTEN]
    villagers += [
        record("Broken"),
        record("Huge"),
        record("Lonely"),
        record("Bob", species="Dog"),
        record("Nospecies", species=None),
    ]
    json_path = tmp_path / "villagers.json"
    json_path.write_text(json.dumps(villagers, ensure_ascii=False), encoding="utf-8")
    return json_path, images_dir
