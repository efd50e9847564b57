"""An image folder + a label table (CSV, or a JSON list of objects) -> a TFRecord with its schema.

One column names each image file (``--image_column``; by default the first of ``file``,
``filename``, ``image``, ``path``), relative to the images folder (sub-folders allowed); the
identifier is ``--id`` (by default a ``name`` column, else a ``name`` made from the file stem);
the other columns become labels (``--labels a,b`` keeps a subset). Text is kept as written
(commas, quotes, newlines, ``$...$``, any script); cells are stripped of surrounding spaces.
A row lacking its image, identifier or a label is incomplete; of several rows with one
identifier the first complete one is kept; two rows naming one image keep the first. The report
lists every row without an image, image without a row, unreadable image and duplicate.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import pathlib
from collections.abc import Sequence

from acvae.data import images
from acvae.data.errors import DataError, MissingData
from acvae.data.importers import files, writing
from acvae.data.importers.report import Issue, Report

IMAGE_COLUMNS = ("file", "filename", "image", "path")
ID = "name"


@dataclasses.dataclass
class Table:
    """A label table as read: column names and rows of text (None where a cell is missing)."""

    path: pathlib.Path
    columns: list[str]
    rows: list[tuple[str, dict[str, str | None]]]  # (where, e.g. "line 3", values by column)
    issues: list[Issue]


def _cell(value) -> str | None:
    """A JSON value as label text; None for null and for lists or objects."""
    if value is None or isinstance(value, (list, dict)):
        return None
    if isinstance(value, str):
        return value.strip()
    return json.dumps(value)  # numbers and booleans as JSON writes them


def _read_json(path: pathlib.Path, records: list | None) -> Table:
    records = files.read_json_list(path, "rows") if records is None else records
    columns: dict[str, None] = {}
    nested: dict[str, None] = {}
    issues, rows = [], []
    for index, record in enumerate(records):
        where = f"record #{index}"
        if not isinstance(record, dict):
            kind = type(record).__name__
            issues.append(Issue("incomplete", f"{where} is a {kind}, not an object"))
            continue
        for key, value in record.items():
            columns.setdefault(str(key))
            if isinstance(value, (list, dict)):
                nested.setdefault(str(key))
        rows.append((where, {str(key): _cell(value) for key, value in record.items()}))
    for column in nested:
        issues.append(Issue("ignored", f"column {column!r} holds lists or objects, not text"))
    kept = [column for column in columns if column not in nested]
    return Table(path, kept, rows, issues)


def _read_csv(path: pathlib.Path) -> Table:
    if not path.is_file():
        raise MissingData(f"no label table at {path}")
    issues, rows = [], []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise DataError(
                    f"{path} is empty: a label table needs a header row and a row per image")
            header = [name.strip() for name in header]
            unnamed = {i: False for i, name in enumerate(header) if not name}
            for name in header:
                if name and header.count(name) > 1:
                    raise DataError(f"{path}: column {name!r} appears twice in the header")
            end = reader.line_num
            for fields in reader:
                where, end = f"line {end + 1}", reader.line_num
                if not any(field.strip() for field in fields):
                    continue  # a blank line
                if len(fields) > len(header):
                    issues.append(Issue("incomplete", f"{where} has {len(fields)} fields, the "
                                                      f"header {len(header)}"))
                    continue
                values = {name: fields[i].strip() if i < len(fields) else None
                          for i, name in enumerate(header) if name}
                for i in unnamed:
                    unnamed[i] = unnamed[i] or (i < len(fields) and bool(fields[i].strip()))
                rows.append((where, values))
    except UnicodeDecodeError as error:
        raise DataError(f"{path} is not UTF-8 text: {error.reason}") from None
    except csv.Error as error:
        raise DataError(
            f"{path} is not a readable CSV table: {error} (line {reader.line_num})") from None
    for i, used in unnamed.items():
        if used:
            issues.append(Issue("ignored", f"column {i + 1} has no name in the header"))
    return Table(path, [name for name in header if name], rows, issues)


def read_table(path: str | os.PathLike, records: list | None = None) -> Table:
    """Reads a label table: ``.json`` as a list of objects, anything else as CSV.

    Args:
      path: the table file.
      records: the JSON list when already read.

    Raises:
      MissingData: no such file.
      DataError: not UTF-8, not JSON/CSV, a repeated column name, or no rows at all.
    """
    path = pathlib.Path(path)
    table = _read_json(path, records) if path.suffix.lower() == ".json" else _read_csv(path)
    if not table.rows:
        raise DataError(f"{path} has no rows: a label table needs a row per image")
    return table


def _choose_columns(table: Table, image_column, id_column, labels) -> tuple[str, str, list[str]]:
    """(image column, identifier column, label columns) of ``table``, or a one-line error."""
    columns = table.columns
    valid = f"its columns: {', '.join(columns)}"
    if image_column is None:
        lowered = {column.lower(): column for column in columns}
        image_column = next((lowered[c] for c in IMAGE_COLUMNS if c in lowered), None)
        if image_column is None:
            raise DataError(
                f"{table.path} has no column naming the image files ({', '.join(IMAGE_COLUMNS)}); "
                f"name it with --image_column; {valid}")
    for flag, column in (("--image_column", image_column), ("--id", id_column)):
        if column is not None and column not in columns:
            raise DataError(f"{table.path} has no column {column!r} ({flag}); {valid}")
    if id_column is None:
        id_column = ID
    if labels is None:
        labels = [c for c in columns if c not in (image_column, id_column)]
    else:
        for label in labels:
            if label not in columns:
                raise DataError(f"{table.path} has no column {label!r} (--labels); {valid}")
            if label in (image_column, id_column):
                which = "image" if label == image_column else "identifier"
                raise DataError(
                    f"--labels names {label!r}, the {which} column; labels are the other columns")
        labels = list(dict.fromkeys(labels))
    return image_column, id_column, labels


def _row_values(values, image_column, id_column, labels) -> tuple[dict, list[str]]:
    """(row with the identifier first then the labels, the columns it lacks)."""
    image = values.get(image_column)
    if id_column in values or id_column == image_column:
        identifier = values.get(id_column)
    else:  # no identifier column: the file name without its extension
        stem = pathlib.PurePosixPath(image).with_suffix("").as_posix() if image else None
        identifier = files.nfc(stem) if stem else None
    row = {id_column: identifier, **{label: values.get(label) for label in labels}}
    missing = [column for column, value in ((image_column, image), *row.items()) if not value]
    return row, list(dict.fromkeys(missing))


def match_rows(table: Table, images_dir: pathlib.Path, image_column: str, id_column: str,
               labels: Sequence[str]):
    """Pairs the rows of ``table`` with their image files.

    Returns:
      ``(pairs, issues)``: ``(row, image path)`` in table order, and every incomplete or
      duplicate row, row without an image, image without a row and file that is not an image.
    """
    issues = list(table.issues)
    found = files.image_files(images_dir, issues)
    exact = {path.as_posix(): path for path in found}
    normalised: dict[str, pathlib.Path] = {}
    for path in found:
        normalised.setdefault(files.nfc(path.as_posix()), path)

    parsed = []
    for where, values in table.rows:
        row, missing = _row_values(values, image_column, id_column, labels)
        parsed.append((where, values.get(image_column), row, missing))
    first_complete: dict[str, str] = {}
    first_image: dict[str, str] = {}
    for where, image, row, missing in parsed:
        if not missing and files.nfc(row[id_column]) not in first_complete:
            first_complete[files.nfc(row[id_column])] = where
            first_image[where] = image

    claimed: dict[pathlib.Path, str] = {}  # image -> the row it was written for
    named: set[pathlib.Path] = set()  # every image some row names
    pairs = []
    for where, image, row, missing in parsed:
        who = f" {row[id_column]!r}" if row[id_column] else ""
        path = None
        if image:
            relative = pathlib.PurePosixPath(image.replace("\\", "/")).as_posix()
            path = exact.get(relative) or normalised.get(files.nfc(relative))
        if path is not None:
            named.add(path)
        if missing:
            kept = first_complete.get(files.nfc(row[id_column])) if row[id_column] else None
            instead = f"; kept {kept}" if kept else ""
            issues.append(Issue("incomplete", f"{where}{who} lacks {', '.join(missing)}{instead}"))
            continue
        kept = first_complete[files.nfc(row[id_column])]
        if kept != where:
            left_out = f" (left out {image})" if image != first_image[kept] else ""
            issues.append(Issue(
                "duplicate", f"{id_column} {row[id_column]!r} on {where} repeats {kept}; "
                f"kept the first{left_out}"))
        elif path is None:
            issues.append(Issue("no image", f"{where}{who} has no image {image}"))
        elif path in claimed:
            issues.append(Issue("duplicate", f"{where}{who} names image {image!r} of "
                                             f"{claimed[path]}; kept the first"))
        else:
            claimed[path] = where
            pairs.append((row, images_dir / path))
    for path in found:
        if path not in named:
            issues.append(Issue("no row", f"image {path.as_posix()!r} matches no row in "
                                          f"{table.path.name}"))
    return pairs, issues


def _nothing_matched(table: Table, images_dir: pathlib.Path, issues: list[Issue]) -> str:
    example = next((issue for issue in issues if issue.kind in ("no image", "incomplete")), None)
    hint = ""
    if example is not None and example.kind == "incomplete":
        hint = "; keep fewer labels with --labels, or fill the empty cells"
    return (f"no row of {table.path} matched a readable image in {images_dir} "
            f"({len(table.rows)} rows); e.g. {example or 'no rows'}{hint}")


def prepare(
    table_path: str | os.PathLike,
    images_dir: str | os.PathLike,
    out: str | os.PathLike,
    shards: int = 1,
    image_column: str | None = None,
    id_column: str | None = None,
    labels: Sequence[str] | None = None,
    max_pixels: int = images.MAX_PIXELS,
    records: list | None = None,
) -> Report:
    """Writes the TFRecord and annotations of an image folder described by a label table.

    Args:
      table_path: a CSV file, or a JSON list of objects (``.json``).
      images_dir: the folder the image column's file names are relative to.
      out: the TFRecord to write; with ``shards > 1``, files ``out-00000-of-0000N``.
      shards: the number of TFRecord files.
      image_column: the column naming each image; default: the first of ``IMAGE_COLUMNS``.
      id_column: the identifier column; default ``name`` (made from the file stem if the
        table has no such column).
      labels: the label columns to keep; default every other column.
      max_pixels: images with more pixels are skipped and reported.
      records: the JSON list when already read (layout recognition reads it).

    Returns:
      The ``Report``; ``report.written >= 1``.

    Raises:
      MissingData: the table or the folder does not exist.
      DataError: ``out`` would overwrite an input, a named column is missing, the table is
        empty, or no row matched a readable image; nothing is written.
      WriteError: the files could not be written (disk full, ...).
    """
    images_dir = pathlib.Path(images_dir)
    writing.check_out(out, [table_path], [images_dir])
    table = read_table(table_path, records)
    if not images_dir.is_dir():
        raise MissingData(f"no images folder at {images_dir}")
    image_column, id_column, labels = _choose_columns(table, image_column, id_column, labels)
    pairs, issues = match_rows(table, images_dir, image_column, id_column, labels)
    if not pairs:
        raise DataError(_nothing_matched(table, images_dir, issues))
    report = Report(noun="image", issues=issues, describe_schema=True)
    return writing.write_dataset(
        pairs, id_column, out, report, images_dir, shards=shards, max_pixels=max_pixels)
