"""Reading what users download: a JSON list of objects, and the image files of a folder.

``read_json_list`` turns every way a JSON file can be wrong (missing, not UTF-8, not JSON,
nested deeper than Python can parse, not a list) into one ``DataError`` line.
``image_files`` lists the files of a folder that Pillow may read, by extension, and notes
every other file; any readable format is accepted (the image is normalised later).
"""

from __future__ import annotations

import json
import pathlib
import unicodedata

from PIL import Image

from acvae.data.errors import DataError, MissingData
from acvae.data.importers.report import Issue


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


def image_files(folder: pathlib.Path, issues: list[Issue]) -> list[pathlib.Path]:
    """Every image file under ``folder``, sub-folders included, as sorted relative paths; every
    other file is noted as ``ignored``.
    """
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_dir():
            continue
        relative = path.relative_to(folder)
        if is_image_name(path):
            found.append(relative)
        else:
            issues.append(Issue("ignored", f"{relative.as_posix()!r} is not an image file"))
    return found
