"""Importers: the image-set layouts people have on disk -> one TFRecord carrying its schema.

Three layouts, one module each, all reporting in the same style (``report.Report``) and
writing through ``writing.write_dataset``:

- ``kaggle``: the villager download, a Nookipedia JSON + a folder of ``Agent_S.png`` images;
- ``table``: an image folder + a label table (CSV, or a JSON list of objects);
- ``folders``: one sub-folder per class (Keras' ``image_dataset_from_directory``).

``recognise`` tells them apart from the arguments: one folder is ``folders``; a JSON whose
objects carry every villager field (``kaggle.COLUMNS``) and no image column is ``kaggle``; any
other table is ``table``.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections.abc import Callable

from acvae.data.errors import DataError
from acvae.data.importers import folders, kaggle, table, writing
from acvae.data.importers.report import ISSUE_KINDS, Issue, Report

__all__ = ["ISSUE_KINDS", "LAYOUTS", "Issue", "Layout", "Report", "default_out", "prepare",
           "recognise"]



@dataclasses.dataclass(frozen=True)
class Layout:
    """One supported layout: whether it takes an images folder, its options, its importer."""

    needs_images_dir: bool
    options: tuple[str, ...]  # keyword options besides source, images folder, out and shards
    run: Callable[..., Report]  # (source, images_dir, out, shards, records, **options)
    folder_of: Callable[[pathlib.Path], pathlib.Path] | None  # names the default --out; None:
    # data/villagers.tfrecord


LAYOUTS = {
    "kaggle": Layout(True, ("labels",),
                     lambda source, images_dir, out, shards, records, **options: kaggle.prepare(
                         source, images_dir, out, shards=shards, villagers=records, **options),
                     None),
    "table": Layout(True, ("image_column", "id_column", "labels"),
                    lambda source, images_dir, out, shards, records, **options: table.prepare(
                        source, images_dir, out, shards=shards, records=records, **options),
                    lambda source: source.parent),
    "folders": Layout(False, ("class_column",),
                      lambda source, images_dir, out, shards, records, **options: folders.prepare(
                          source, out, shards=shards, **options),
                      lambda source: source),
}


def recognise(source: str | os.PathLike, images_dir: str | os.PathLike | None):
    """``(layout name, JSON records or None)`` for the given arguments.

    Raises:
      DataError, MissingData: the arguments fit no layout, or the JSON cannot be read.
    """
    source = pathlib.Path(source)
    if images_dir is None:
        if source.is_dir():
            return "folders", None
        raise DataError(
            f"{source} is not a folder of class folders; for a label table or the villager "
            f"JSON give the images folder too: python -m acvae.prepare {source} IMAGES_DIR")
    if source.is_dir():
        raise DataError(f"{source} is a folder; the first argument is the label table or JSON "
                        "(or, alone, a folder of class folders)")
    if source.suffix.lower() != ".json":
        return "table", None
    records = kaggle.load_villagers(source)
    first = next((record for record in records if isinstance(record, dict)), {})
    has_image_column = any(key.lower() in table.IMAGE_COLUMNS for key in first)
    if kaggle.recognises(records) and not has_image_column:
        return "kaggle", records
    return "table", records


def default_out(layout: str, source: str | os.PathLike) -> pathlib.Path:
    """``data/villagers.tfrecord`` for the villager JSON; else ``data/<folder name>.tfrecord``,
    named after the class-folder root or the folder holding the table."""
    folder_of = LAYOUTS[layout].folder_of
    if folder_of is None:
        return pathlib.Path("data/villagers.tfrecord")
    folder = folder_of(pathlib.Path(source).resolve())
    return pathlib.Path("data") / f"{folder.name or 'dataset'}.tfrecord"


def prepare(source, images_dir=None, out=None, layout=None, shards=1, overwrite=False,
            **options) -> Report:
    """Imports any supported layout (recognised, or named by ``layout``).

    Args:
      source: the villager JSON, a label table, or (alone) a folder of class folders.
      images_dir: the images folder (villager JSON and label tables).
      out: the TFRecord to write; default ``default_out(layout, source)``.
      layout: ``kaggle``, ``table`` or ``folders``; default ``recognise``.
      shards: the number of TFRecord files.
      overwrite: replace files at ``out`` that acvae did not write (``--overwrite``); else
        they are refused (``writing.check_replaceable``).
      **options: the layout's options (``OPTIONS``), e.g. ``labels=["category"]``.

    Returns:
      The import's ``Report``.

    Raises:
      DataError: an unknown layout, an option the layout does not take, an argument missing,
        or any error of the layout's importer (``MissingData``, ``WriteError`` too).
      OutputRefused: a file at ``out`` that acvae did not write, without ``overwrite``.
    """
    records = None
    if layout is None:
        layout, records = recognise(source, images_dir)
    if layout not in LAYOUTS:
        raise DataError(f"unknown layout {layout!r}; valid layouts: {', '.join(LAYOUTS)}")
    spec = LAYOUTS[layout]
    given = {key: value for key, value in options.items() if value is not None}
    wrong = [key for key in given if key not in spec.options]
    if wrong:
        raise DataError(f"{', '.join(wrong)} do{'es' * (len(wrong) == 1)} not apply to the "
                        f"{layout} layout (it takes: {', '.join(spec.options) or 'no options'})")
    if spec.needs_images_dir and images_dir is None:
        raise DataError(f"the {layout} layout needs the images folder: "
                        f"python -m acvae.prepare {source} IMAGES_DIR")
    if not spec.needs_images_dir and images_dir is not None:
        raise DataError(f"the {layout} layout takes one folder (ROOT/<class>/<image>), "
                        f"not an images folder as well: {images_dir}")
    if out is None:
        out = default_out(layout, source)
    sources = [pathlib.Path(path) for path in (source, images_dir) if path is not None]
    writing.check_out(out, [path for path in sources if path.is_file()],
                      [path for path in sources if path.is_dir()])
    writing.check_replaceable(out, shards, overwrite)
    return spec.run(source, images_dir, out, shards, records, **given)
