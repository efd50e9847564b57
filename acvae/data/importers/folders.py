"""One sub-folder per class (Keras' ``image_dataset_from_directory`` layout) -> a TFRecord.

``ROOT/<class>/<image>``: each sub-folder's name is the value of one categorical label
(``class`` by default, ``--class_column`` to rename it) and each image's file stem is its
identifier (``name``), or, for a stem in two class folders (``cat/1.png`` and ``dog/1.png``,
as numbered downloads are), ``<class>/<stem>`` (``cat/1``, ``dog/1``), so no class is lost; a stem repeated inside one class folder (``a.png``, ``a.jpg``), and a file reached twice
(a class folder that is a link to another), are reported as duplicates. Images can be in any format Pillow reads. Files directly in ``ROOT``, folders
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


def _once_per_file(items, root: pathlib.Path, issues: list) -> list:
    """``items`` without a file reached a second time (through a linked class folder)."""
    seen: dict[pathlib.Path, str] = {}
    kept = []
    for stem, label, path in items:
        relative = path.relative_to(root).as_posix()
        if path.resolve() in seen:
            issues.append(Issue("duplicate", f"image {relative!r} is the file "
                                             f"{seen[path.resolve()]!r} again; kept the first"))
            continue
        seen[path.resolve()] = relative
        kept.append((stem, label, path))
    return kept


def _named(items, root: pathlib.Path, class_column: str, issues: list) -> list:
    """``(row, path)`` of every item, identified by its stem, or by ``<class>/<stem>`` when its
    stem is in two class folders; a repeated identifier is reported and left out."""
    classes_of: dict[str, set[str]] = {}
    for stem, label, _ in items:
        classes_of.setdefault(stem, set()).add(label)
    first: dict[str, str] = {}
    pairs = []
    for stem, label, path in items:
        name = f"{label}/{stem}" if len(classes_of[stem]) > 1 else stem
        relative = path.relative_to(root).as_posix()
        if name in first:
            issues.append(Issue("duplicate", f"image {relative!r} has the {ID} {name!r} of "
                                             f"{first[name]!r}; kept the first"))
            continue
        first[name] = relative
        pairs.append(({ID: name, class_column: label}, path))
    return pairs


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
    pairs = _named(_once_per_file(items, root, issues), root, class_column, issues)
    report = Report(noun="image", issues=issues, describe_schema=True)
    return writing.write_dataset(pairs, ID, out, report, root, shards=shards, max_pixels=max_pixels)
