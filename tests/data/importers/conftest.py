"""Fixtures for the importer tests: a label table with its images and a folder of class folders,
each with one of every case the report must name."""

import csv

import pytest

from layout_fixtures import table_rows
from villager_fixtures import rgba_image

@pytest.fixture
def emoji_table(tmp_path):
    """(labels.csv, images/) with 24 good rows and, once each: a row without an image, an image
    without a row, an unreadable image, a repeated name, two rows naming one image, a row
    lacking a label, a file that is not an image, and images in several formats."""
    images_dir = tmp_path / "images"
    images_dir.mkdir()
    rows = table_rows()
    for i, (file, *_) in enumerate(rows):
        rgba_image(colour=(i * 10, 50, 200)).save(images_dir / file)
    rgba_image().convert("RGB").save(images_dir / "0017.png", format="JPEG")  # a JPEG named .png
    (images_dir / "sub").mkdir()
    (images_dir / rows[5][0]).unlink()
    rows[5] = ("sub/photo.jpg",) + rows[5][1:]
    rgba_image().convert("RGB").save(images_dir / "sub" / "photo.jpg")
    rgba_image().save(images_dir / "stray.png")
    (images_dir / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"junk" * 8)
    (images_dir / "notes.txt").write_text("not an image")
    rows += [
        ("missing.png", "lonely", "Flags", "sub-1"),
        ("broken.png", "broken", "Flags", "sub-1"),
        ("0003.png", "emoji 3 again", "Flags", "sub-1"),  # names the image of another row
        ("0007.png", "emoji 8", "Flags", "sub-2"),  # repeats the name of row 0008.png
        ("0009.png", "no subcategory", "Flags", ""),
    ]
    table = tmp_path / "labels.csv"
    with table.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "name", "category", "subcategory"])
        writer.writerows(rows)
    return table, images_dir


@pytest.fixture
def class_folders(tmp_path):
    """root/<class>/<image>: 3 classes of 8 images, plus a stray file at the top, a nested
    folder, a non-image file, an empty class folder and a stem repeated across classes."""
    root = tmp_path / "classes"
    for c, label in enumerate(("cat", "dog", "frog €")):
        (root / label).mkdir(parents=True)
        for i in range(8):
            rgba_image(colour=(c * 80, i * 20, 100)).save(root / label / f"{label[:3]}{i}.png")
    rgba_image().save(root / "dog" / "cat0.gif")  # the stem of cat/cat0.png again
    (root / "cat" / "kittens").mkdir()
    rgba_image().save(root / "cat" / "kittens" / "k1.png")
    (root / "frog €" / "readme.md").write_text("frogs")
    (root / "empty").mkdir()
    rgba_image().save(root / "top.png")
    return root
