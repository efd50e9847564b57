"""One sub-folder per class (Keras' ``image_dataset_from_directory`` layout) -> a TFRecord.

``ROOT/<class>/<image>``: each sub-folder's name is the value of one categorical label
(``class`` by default, ``--class_column`` to rename it) and each image's file stem is its
identifier (``name``; stems must be unique across classes, a repeated one is reported as a
duplicate). Images can be in any format Pillow reads. Files directly in ``ROOT``, folders
nested inside a class folder and files that are not images are reported and left out; hidden
files and folders (``.hiddenclass/``, ``dog/.hidden.png``) and those an operating system leaves
(``__MACOSX/``, ``Thumbs.db``) are skipped and reported.
"""

from __future__ import annotations

import os
import pathlib

from acvae.data import images
from acvae.data.errors import DataError, MissingData
from acvae.data.importers import files, writing
from acvae.data.importers.report import Issue, Report

ID = "name"
CLASS = "class"


def list_classes(root: pathlib.Path):
    """Pairs every image in a class folder with its row ``{name, class}``.

    Returns:
      ``(items, issues, nested)``: ``items`` lists ``(stem, class, path)`` sorted by class then
      file; ``issues`` notes files outside class folders, nested folders, other files, empty
      class folders and the hidden or system files and folders skipped; ``nested`` lists the
      nested folders (for the error hint).
    """
    issues, items, nested = [], [], []
    for folder in files.without_hidden(sorted(root.iterdir()), root, issues):
        if not folder.is_dir():
            issues.append(Issue("ignored", f"{folder.name!r} is not in a class folder "
                                           f"({root.name}/<class>/<image>)"))
            continue
        count = 0
        for path in files.without_hidden(sorted(folder.iterdir()), root, issues):
            relative = path.relative_to(root).as_posix()
            if path.is_dir():
                nested.append(relative)
                issues.append(Issue(
                    "ignored", f"{relative}/ is a folder inside the class folder {folder.name!r}; "
                    "class folders are one level deep"))
            elif files.is_image_name(path):
                items.append((files.nfc(path.stem), files.nfc(folder.name), path))
                count += 1
            else:
                issues.append(Issue("ignored", f"{relative!r} is not an image file"))
        if count == 0 and not any(n.startswith(f"{folder.name}/") for n in nested):
            issues.append(Issue("ignored", f"class folder {folder.name!r} holds no images"))
    return items, issues, nested


def prepare(
    root: str | os.PathLike,
    out: str | os.PathLike,
    shards: int = 1,
    class_column: str = CLASS,
    max_pixels: int = images.MAX_PIXELS,
) -> Report:
    """Writes the TFRecord and annotations of a folder of class folders.

    Args:
      root: the folder holding one sub-folder per class.
      out: the TFRecord to write; with ``shards > 1``, files ``out-00000-of-0000N``.
      shards: the number of TFRecord files.
      class_column: the name of the label holding the class folder's name.
      max_pixels: images with more pixels are skipped and reported.

    Returns:
      The ``Report``; ``report.written >= 1``.

    Raises:
      MissingData: ``root`` is not a folder.
      DataError: ``out`` would land inside ``root``, a bad column name, or no image in any
        class folder; nothing is written.
      WriteError: the files could not be written (disk full, ...).
    """
    root = pathlib.Path(root)
    writing.check_out(out, [], [root])
    if not root.is_dir():
        raise MissingData(f"no folder of class folders at {root}")
    if not class_column or class_column == ID:
        raise DataError(f"--class_column must be a name other than {ID!r}, got {class_column!r}")
    items, issues, nested = list_classes(root)
    if not items:
        hint = ""
        if nested:
            inner = root / nested[0].split("/")[0]
            hint = f"; the class folders may be one level down (nested: {nested[0]}/): try {inner}"
        raise DataError(f"no images in class folders under {root}: images must be in "
                        f"{root}/<class>/<image>{hint}")
    first: dict[str, str] = {}
    pairs = []
    for stem, label, path in items:
        relative = path.relative_to(root).as_posix()
        if stem in first:
            issues.append(Issue("duplicate", f"image {relative!r} has the {ID} {stem!r} of "
                                             f"{first[stem]!r}; kept the first"))
            continue
        first[stem] = relative
        pairs.append(({ID: stem, class_column: label}, path))
    report = Report(noun="image", issues=issues, describe_schema=True)
    return writing.write_dataset(pairs, ID, out, report, root, shards=shards, max_pixels=max_pixels)
