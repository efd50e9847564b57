"""The Kaggle villager download (Nookipedia JSON + a folder of PNGs) -> the villager TFRecord.

The JSON holds one object per villager; each villager's image is found by the underscore rule
(``Agent S`` -> ``Agent_S.png``, exact first, then tolerant of Unicode normalisation). The
identifier is ``name``; the labels are ``species``, ``personality`` and ``gender`` (every
other field is ignored), or the fields named by ``labels`` (``--labels``): text becomes a
label as usual, JSON numbers a continuous label (the synthetic villagers' generative factors
arrive this way). The report accounts for every record and every file: villagers
without an image, images without a villager, unreadable or oversized images, duplicate names,
records lacking a label, and files that are not PNGs. A complete record is never dropped for
an earlier incomplete record of the same villager: the complete one is kept.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections.abc import Sequence

from acvae.data import images
from acvae.data.errors import DataError, MissingData
from acvae.data.importers import files, writing
from acvae.data.importers.report import Issue, Report
from acvae.data.schema import is_number

ID = "name"
LABELS = ("species", "personality", "gender")
COLUMNS = (ID,) + LABELS


def recognises(records: list) -> bool:
    """Whether a JSON list looks like the villager download: objects with every villager field."""
    first = next((record for record in records if isinstance(record, dict)), None)
    return first is not None and all(key in first for key in COLUMNS)


def load_villagers(json_path: str | os.PathLike) -> list:
    """The list of villager objects in a Nookipedia JSON file.

    Raises:
      MissingData: there is no such file.
      DataError: the file is not valid UTF-8 JSON, or its top level is not a list.
    """
    return files.read_json_list(json_path, "villagers")


def image_stem(name: str) -> str:
    """The file name stem of a villager's image: spaces become underscores."""
    return name.replace(" ", "_")


@dataclasses.dataclass
class _Record:
    index: int
    name: str | None  # None: no usable name
    labels: dict | None  # None: incomplete
    problem: str = ""  # why it is incomplete


def _parse(index: int, record, labels: Sequence[str] = LABELS) -> _Record:
    if not isinstance(record, dict):
        kind = type(record).__name__
        return _Record(index, None, None, f"record #{index} is a {kind}, not an object")
    values = {key: record.get(key) for key in (ID, *labels)}
    values = {key: value.strip() if isinstance(value, str) else value
              for key, value in values.items()}
    missing = [key for key, value in values.items()
               if not (isinstance(value, str) and value) and not (key != ID and is_number(value))]
    name = values[ID] if ID not in missing else None
    if missing:
        who = f" {name!r}" if name else ""
        return _Record(index, name, None, f"record #{index}{who} lacks {', '.join(missing)}")
    return _Record(index, name, values)


def _list_folder(images_dir: pathlib.Path, issues: list[Issue]) -> list[pathlib.Path]:
    """The .png files of a folder, noting everything else in it (hidden and system files as
    skipped)."""
    pngs = []
    for path in files.without_hidden(sorted(images_dir.iterdir()), images_dir, issues):
        if path.is_file() and path.suffix.lower() == ".png":
            pngs.append(path)
        elif path.is_dir():
            issues.append(
                Issue("ignored", f"{path.name}/ is a folder (images must be at the top level)"))
        else:
            issues.append(Issue("ignored", f"{path.name!r} is not a .png file"))
    return pngs


def match_images(villagers: list, images_dir: str | os.PathLike,
                 labels: Sequence[str] = LABELS):
    """Pairs villager records with their image files.

    Of several records of one villager (names equal up to Unicode normalisation) the first
    complete one is kept; the others are reported as duplicates, or as incomplete when they
    lack a label.

    Args:
      villagers: the list from ``load_villagers``.
      images_dir: the folder of images named after the villagers.
      labels: the fields kept as labels.

    Returns:
      ``(pairs, issues)``: ``pairs`` lists ``(labels, image path)`` in JSON order; ``issues``
      lists incomplete and duplicate records, villagers with no image, images with no villager
      and files that are not PNGs.

    Raises:
      MissingData: ``images_dir`` is not a folder.
    """
    images_dir = pathlib.Path(images_dir)
    if not images_dir.is_dir():
        raise MissingData(f"no images folder at {images_dir}")
    issues: list[Issue] = []
    finder = _ImageFinder(_list_folder(images_dir, issues))
    records = [_parse(index, record, labels) for index, record in enumerate(villagers)]
    kept: dict[str, _Record] = {}  # the first complete record of each villager
    for record in records:
        if record.labels is not None:
            kept.setdefault(files.nfc(record.name), record)
    seen: set[str] = set()
    pairs = []
    for record in records:
        if not _looks_for_image(record, kept, seen, issues):
            continue
        path = finder.claim(record, issues)
        if path is not None and record.labels is not None:
            pairs.append((record.labels, path))
    issues += finder.unclaimed()
    return pairs, issues


def _looks_for_image(record: _Record, kept: dict[str, _Record], seen: set[str],
                     issues: list[Issue]) -> bool:
    """Whether ``record`` claims an image: the villager's kept (first complete) record, or
    the first incomplete record of a villager with none (its image is claimed, so not
    reported as unmatched, but not paired). Notes an incomplete or duplicate record in
    ``issues``; adds the villager's key to ``seen`` when it claims."""
    key = files.nfc(record.name) if record.name is not None else None
    chosen = kept.get(key)
    if record.labels is None:
        instead = f"; kept record #{chosen.index}" if chosen is not None else ""
        issues.append(Issue("incomplete", record.problem + instead))
        if record.name is None or chosen is not None or key in seen:
            return False
    elif record is not chosen:
        issues.append(Issue(
            "duplicate",
            f"villager {record.name!r} in record #{record.index} repeats record "
            f"#{chosen.index}; kept the first",
        ))
        return False
    seen.add(key)
    return True


class _ImageFinder:
    """The PNGs of the images folder by villager name: the exact file name first, then one
    equal up to Unicode normalisation; each image goes to one villager."""

    def __init__(self, pngs: list[pathlib.Path]):
        self.pngs = pngs
        self.exact = {path.stem: path for path in pngs}
        self.normalised: dict[str, list[pathlib.Path]] = {}
        for path in pngs:
            self.normalised.setdefault(files.nfc(path.stem), []).append(path)
        self.claimed: dict[pathlib.Path, str] = {}  # image -> the villager it went to

    def claim(self, record: _Record, issues: list[Issue]) -> pathlib.Path | None:
        """The unclaimed image of ``record``'s villager, now claimed; None (noted in
        ``issues`` for a complete record) when there is none."""
        stem = image_stem(record.name)
        candidates = ([self.exact[stem]] if stem in self.exact
                      else self.normalised.get(files.nfc(stem), []))
        path = next((path for path in candidates if path not in self.claimed), None)
        if path is not None:
            self.claimed[path] = record.name
        elif record.labels is not None:
            taken = ""
            if candidates:
                taken = f" ({candidates[0].name} belongs to {self.claimed[candidates[0]]!r})"
            issues.append(
                Issue("no image", f"villager {record.name!r} has no image {stem}.png{taken}"))
        return path

    def unclaimed(self) -> list[Issue]:
        """A "no villager" issue for every image no villager claimed, in folder order."""
        return [Issue("no villager", f"image {path.name!r} matches no villager in the JSON")
                for path in self.pngs if path not in self.claimed]


def _nothing_matched(villagers: list, images_dir: pathlib.Path, issues: list[Issue]) -> str:
    """A one-line reason for a run that matched no villager to an image."""
    if not villagers:
        return "the villager JSON is an empty list"
    expected = next((issue.message for issue in issues if issue.kind == "no image"), None)
    pngs = sorted(path.name for path in images_dir.glob("*")
                  if path.suffix.lower() == ".png" and not files.is_hidden(path))
    found = ", ".join(repr(name) for name in pngs[:3]) + (", ..." if len(pngs) > 3 else "")
    return (
        f"no villager matched an image ({len(villagers)} records, {len(pngs)} PNGs in {images_dir}"
        f"{': ' + found if pngs else ''}); e.g. {expected or 'every record lacks a label'}"
        " — images must be named after the villager with spaces as underscores (Agent_S.png)"
    )


def _check_labels(labels: Sequence[str], villagers: list) -> None:
    """DataError unless each label is a field of some record, and not the identifier."""
    if ID in labels:
        raise DataError(f"--labels names {ID!r}, the identifier; labels are the other fields")
    for label in labels:
        if not any(isinstance(record, dict) and label in record for record in villagers):
            raise DataError(f"no villager record has the field {label!r} (--labels)")


def prepare(
    json_path: str | os.PathLike,
    images_dir: str | os.PathLike,
    out: str | os.PathLike,
    shards: int = 1,
    max_pixels: int = images.MAX_PIXELS,
    villagers: list | None = None,
    labels: Sequence[str] | None = None,
) -> Report:
    """Writes the villager TFRecord and parsed annotations from a Kaggle-layout download.

    Args:
      json_path: the Nookipedia JSON, a list with one object per villager.
      images_dir: the folder of villager images (``Agent_S.png``).
      out: the TFRecord to write; with ``shards > 1``, files ``out-00000-of-0000N``.
      shards: the number of TFRecord files.
      max_pixels: images with more pixels are skipped and reported.
      villagers: the JSON's list when already read (layout recognition reads it).
      labels: the fields kept as labels, in order (default ``LABELS``); a field whose values
        are JSON numbers becomes a continuous label.

    Returns:
      The ``Report``; ``report.written >= 1``.

    Raises:
      MissingData: the JSON or the folder does not exist.
      DataError: ``out`` would overwrite an input, bad JSON, a label no record has, no
        villager matched an image, or no matched image was readable. Nothing is written at
        ``out`` and an existing dataset there is left intact.
      WriteError: the files could not be written (disk full, ...).
    """
    writing.check_out(out, [json_path], [images_dir])
    if villagers is None:
        villagers = load_villagers(json_path)
    labels = LABELS if labels is None else tuple(dict.fromkeys(labels))
    _check_labels(labels, villagers)
    pairs, issues = match_images(villagers, images_dir, labels)
    if not pairs:
        raise DataError(_nothing_matched(villagers, pathlib.Path(images_dir), issues))
    report = Report(noun="villager", issues=issues, describe_schema=labels != LABELS)
    return writing.write_dataset(
        pairs, ID, out, report, pathlib.Path(images_dir), shards=shards, max_pixels=max_pixels)
