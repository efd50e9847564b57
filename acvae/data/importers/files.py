"""Reading what users download: a JSON list of objects, and the image files of a folder.

``read_json_list`` turns every way a JSON file can be wrong (missing, not UTF-8, not JSON,
nested deeper than Python can parse, not a list) into one ``DataError`` line.
``image_files`` lists the files of a folder that Pillow may read, by extension, and notes
every other file; any readable format is accepted (the image is normalised later). Hidden
files and folders and those operating systems leave (``.DS_Store``, ``__MACOSX``,
``Thumbs.db``) are never data: every layout skips them with ``without_hidden`` and reports it.
"""

from __future__ import annotations

import json
import os
import pathlib
import unicodedata
from collections.abc import Iterable

from PIL import Image

from acvae.data.errors import DataError, MissingData
from acvae.data.importers.report import Issue

# names operating systems leave in folders (compared case-insensitively); names starting with
# "." are hidden on every system
SYSTEM_NAMES = frozenset({"__macosx", "thumbs.db", "ehthumbs.db", "desktop.ini",
                          "$recycle.bin", "system volume information", "@eadir", "icon\r"})
_SHOWN = 5  # hidden files named per folder in a report


def nfc(text: str) -> str:
    """``text`` in Unicode normal form C (macOS stores file names in form D)."""
    return unicodedata.normalize("NFC", text)


def read_json_list(path: str | pathlib.Path, what: str) -> list:
    """The list at the top of a JSON file.

    Args:
      path: the file.
      what: what the list holds, for messages (``villagers``, ``rows``).

    Raises:
      MissingData: there is no such file.
      DataError: the file is not UTF-8 JSON, nests too deeply, or its top level is not a list.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise MissingData(f"no {what[:-1] if what.endswith('s') else what} JSON file at {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as error:
        raise DataError(f"{path} is not UTF-8 text: {error.reason}") from None
    except json.JSONDecodeError as error:
        raise DataError(
            f"{path} is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise DataError(
            f"{path} nests lists or objects too deeply to read; expected a list of {what}"
        ) from None
    if not isinstance(data, list):
        raise DataError(
            f"{path} holds a JSON {type(data).__name__}, not the expected list of {what}"
        )
    return data


def is_image_name(path: pathlib.Path) -> bool:
    """Whether the file name has an extension Pillow reads (``.png``, ``.jpg``, ``.webp``...)."""
    Image.init()
    return path.suffix.lower() in Image.registered_extensions()


def is_hidden(path: pathlib.PurePath) -> bool:
    """Whether a file or folder is hidden (its name starts with ".": ``.DS_Store``, ``._a.png``,
    ``.ipynb_checkpoints``) or is one an operating system leaves (``__MACOSX``, ``Thumbs.db``,
    ``desktop.ini``, ...): never part of a dataset."""
    name = path.name
    return (name.startswith(".") and name not in (".", "..")) or name.casefold() in SYSTEM_NAMES


def in_hidden(relative: pathlib.PurePath) -> bool:
    """Whether a relative path names a hidden file or lies in a hidden folder."""
    return any(is_hidden(pathlib.PurePath(part)) for part in relative.parts)


def without_hidden(paths: Iterable[pathlib.Path], root: pathlib.Path,
                   issues: list[Issue]) -> list[pathlib.Path]:
    """``paths`` without the hidden ones (``is_hidden``), which are noted as ``skipped``: one
    issue per folder, naming them (a folder with a trailing "/")."""
    kept, hidden = [], {}
    for path in paths:
        if is_hidden(path):
            hidden.setdefault(path.parent, []).append(path)
        else:
            kept.append(path)
    for folder, skipped in hidden.items():
        where = f" in {folder.relative_to(root).as_posix()}/" if folder != root else ""
        names = [f"{path.name}/" if path.is_dir() else path.name for path in skipped]
        shown = ", ".join(repr(name) for name in names[:_SHOWN])
        more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
        issues.append(Issue("skipped", f"{len(names)} hidden or system file(s){where}: "
                                       f"{shown}{more}"))
    return kept


def image_files(folder: pathlib.Path, issues: list[Issue]) -> list[pathlib.Path]:
    """Every image file under ``folder``, sub-folders included, as sorted relative paths; every
    other file is noted as ``ignored``, hidden and system files and folders as ``skipped``
    (hidden folders are not searched).
    """
    found, others = [], []
    for directory, folders, names in os.walk(folder):
        directory = pathlib.Path(directory)
        entries = without_hidden([directory / name for name in sorted(folders + names)],
                                 folder, issues)
        folders[:] = [path.name for path in entries if path.name in folders]
        for path in entries:
            if path.name in folders or path.is_dir():
                continue
            (found if is_image_name(path) else others).append(path.relative_to(folder))
    for relative in sorted(others):
        issues.append(Issue("ignored", f"{relative.as_posix()!r} is not an image file"))
    return sorted(found)
