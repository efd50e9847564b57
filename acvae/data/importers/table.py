"""An image folder + a label table (CSV, or a JSON list of objects) -> a TFRecord with its schema.

One column names each image file (``--image_column``; by default the first of ``file``,
``filename``, ``image``, ``path``), relative to the images folder (sub-folders allowed); the
identifier is ``--id`` (by default a ``name`` column, else a ``name`` made from the file stem);
the other columns become labels (``--labels a,b`` keeps a subset). Text is kept as written
(commas, quotes, newlines, ``$...$``, any script); cells are stripped of surrounding spaces.
A CSV table may be separated by commas, semicolons, tabs or bars (the one its header line holds
most) and be UTF-8 (a byte-order mark is fine) or UTF-16 with a byte-order mark; a table whose
every row has more fields than its header is refused, naming a row.
A row lacking its image, identifier or a label is incomplete; of several rows with one
identifier the first complete one is kept; two rows naming one image keep the first. The report
lists every row without an image, image without a row, unreadable image and duplicate.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
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
    # when every row has fewer fields than the header: the first such row, described
    short: str | None = None


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


DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}


def _table_text(path: pathlib.Path) -> str:
    """The text of a CSV table: UTF-8 (with or without a byte-order mark), or UTF-16 with one
    (what spreadsheets save as "Unicode text")."""
    if not path.is_file():
        raise MissingData(f"no label table at {path}")
    raw = path.read_bytes()
    utf16 = raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    try:
        return raw.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(f"{path} is not {'UTF-16' if utf16 else 'UTF-8'} text: "
                        f"{error.reason}") from None


def _delimiter(text: str) -> str:
    """The field separator: of comma, semicolon, tab and bar, the one the header line holds
    most often (a comma when it holds none)."""
    header = text.split("\n", 1)[0]
    best = max(DELIMITERS, key=header.count)
    return best if header.count(best) else ","


def _read_rows(reader, header: list[str], path: pathlib.Path, delimiter: str):
    """``(rows, issues, unnamed columns used, short)`` of the lines after the header; a line
    with more fields than the header is left out (a table of only such lines is refused);
    ``short`` describes the first line when every line has fewer fields than the header."""
    rows, issues, unnamed = [], [], {i: False for i, name in enumerate(header) if not name}
    wide = short = None
    every_short = True
    end = reader.line_num
    for fields in reader:
        where, end = f"line {end + 1}", reader.line_num
        if not any(field.strip() for field in fields):
            continue  # a blank line
        counts = (f"{where} has {len(fields)} fields but the header has {len(header)} "
                  f"({', '.join(header)})")
        if len(fields) < len(header):
            short = short or counts
        else:
            every_short = False
        if len(fields) > len(header):
            wide = wide or counts
            issues.append(Issue("incomplete", f"{where} has {len(fields)} fields but the header "
                                              f"has {len(header)}; an unquoted "
                                              f"{DELIMITERS[delimiter]} in a cell?"))
            continue
        rows.append((where, {name: fields[i].strip() if i < len(fields) else None
                             for i, name in enumerate(header) if name}))
        for i in unnamed:
            unnamed[i] = unnamed[i] or (i < len(fields) and bool(fields[i].strip()))
    if not rows and wide:
        raise DataError(
            f"{path} has no usable rows: every row has more fields than the header, e.g. {wide}; "
            f"is the {DELIMITERS[delimiter]} the right delimiter, are there unquoted "
            f"{DELIMITERS[delimiter]}s in cells, or does the header lack a column name?")
    return rows, issues, [i for i, used in unnamed.items() if used], (
        short if every_short else None)


def _read_csv(path: pathlib.Path) -> Table:
    text = _table_text(path)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if header is None:
            raise DataError(
                f"{path} is empty: a label table needs a header row and a row per image")
        header = [name.strip() for name in header]
        for name in header:
            if name and header.count(name) > 1:
                raise DataError(f"{path}: column {name!r} appears twice in the header")
        rows, issues, unnamed, short = _read_rows(reader, header, path, delimiter)
    except csv.Error as error:
        raise DataError(
            f"{path} is not a readable CSV table: {error} (line {reader.line_num})") from None
    issues += [Issue("ignored", f"column {i + 1} has no name in the header") for i in unnamed]
    return Table(path, [name for name in header if name], rows, issues, short)


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


def _parse_rows(table: Table, image_column: str, id_column: str, labels: Sequence[str]):
    """Every row of ``table`` as ``(where, image, row, missing)`` (``_row_values``), in table
    order; ``{identifier (NFC): where}`` of the first complete row of each identifier; and
    ``{where: image}`` of those rows."""
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
    return parsed, first_complete, first_image


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

    parsed, first_complete, first_image = _parse_rows(table, image_column, id_column, labels)
    claimed: dict[pathlib.Path, str] = {}  # image -> the row it was written for
    named: set[pathlib.Path] = set()  # every image some row names
    pairs = []
    for where, image, row, missing in parsed:
        who = f" {row[id_column]!r}" if row[id_column] else ""
        path, relative = None, pathlib.PurePosixPath((image or "").replace("\\", "/"))
        if image:
            path = (exact.get(relative.as_posix())
                    or normalised.get(files.nfc(relative.as_posix())))
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
            hidden = " (hidden files are skipped)" if files.in_hidden(relative) else ""
            issues.append(Issue("no image", f"{where}{who} has no image {image}{hidden}"))
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
    if table.short:
        hint = (f"; every row has fewer fields than the header, e.g. {table.short}: is the "
                "delimiter right, or does the header name a column too many?")
    elif example is not None and example.kind == "incomplete":
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
