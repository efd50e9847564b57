"""Kaggle villager download (Nookipedia JSON + a folder of PNGs) to the villager TFRecord.

``prepare`` is the library behind ``python -m acvae.prepare`` and the synthetic dataset: it reads
the JSON (one object per villager), finds each villager's image by the underscore rule
(``Agent S`` -> ``Agent_S.png``, exact first, then tolerant of Unicode normalisation), normalises
every image to RGBA PNG, writes one Example per villager (atomically) plus the parsed annotations
as ``<out stem>.annotations.json``, and returns a ``Report`` that accounts for every record and
every file: villagers without an image, images without a villager, unreadable or oversized
images, duplicate names, records lacking a label, and files that are not PNGs.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import unicodedata

from acvae.data import images, tfrecord

ISSUE_KINDS = (
    "no image",
    "no villager",
    "unreadable",
    "too large",
    "duplicate",
    "incomplete",
    "ignored",
)


@dataclasses.dataclass(frozen=True)
class Issue:
    """One record or file that did not become an Example, and why."""

    kind: str  # one of ISSUE_KINDS
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


@dataclasses.dataclass
class Report:
    """What ``prepare`` wrote and everything it left out."""

    written: int = 0
    files: list[pathlib.Path] = dataclasses.field(default_factory=list)
    annotations: pathlib.Path | None = None
    issues: list[Issue] = dataclasses.field(default_factory=list)

    def count(self, kind: str) -> int:
        """The number of issues of one kind."""
        return sum(issue.kind == kind for issue in self.issues)

    def lines(self) -> list[str]:
        """The report for a person: the count written, then one line per issue, by kind."""
        where = ", ".join(str(path) for path in self.files) or "nowhere"
        head = f"wrote {self.written} villager{'s' * (self.written != 1)} to {where}"
        if self.annotations:
            head += f" (annotations: {self.annotations})"
        ordered = sorted(self.issues, key=lambda issue: ISSUE_KINDS.index(issue.kind))
        return [head] + [str(issue) for issue in ordered]


def annotations_path(out: str | os.PathLike) -> pathlib.Path:
    """Where the parsed annotations go beside the TFRecord ``out``."""
    return pathlib.Path(out).with_suffix(".annotations.json")


def load_villagers(json_path: str | os.PathLike) -> list:
    """The list of villager objects in a Nookipedia JSON file.

    Raises:
      FileNotFoundError: there is no such file.
      ValueError: the file is not valid UTF-8 JSON, or its top level is not a list.
    """
    json_path = pathlib.Path(json_path)
    if not json_path.is_file():
        raise FileNotFoundError(f"no villager JSON file at {json_path}")
    try:
        data = json.loads(json_path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as error:
        raise ValueError(f"{json_path} is not UTF-8 text: {error.reason}") from None
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{json_path} is not valid JSON: {error.msg} "
            f"at line {error.lineno} column {error.colno}"
        ) from None
    if not isinstance(data, list):
        raise ValueError(
            f"{json_path} holds a JSON {type(data).__name__}, not the expected list of villagers"
        )
    return data


def image_stem(name: str) -> str:
    """The file name stem of a villager's image: spaces become underscores."""
    return name.replace(" ", "_")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _labels(index: int, record, issues: list[Issue]) -> tuple[str | None, dict | None]:
    """(name or None, labels or None) for one JSON record, noting what it lacks."""
    if not isinstance(record, dict):
        kind = type(record).__name__
        issues.append(Issue("incomplete", f"record #{index} is a {kind}, not an object"))
        return None, None
    values = {key: record.get(key) for key in tfrecord.LABELS}
    values = {key: value.strip() if isinstance(value, str) else value
              for key, value in values.items()}
    missing = [key for key, value in values.items() if not isinstance(value, str) or not value]
    name = values["name"] if "name" not in missing else None
    if missing:
        who = f" {name!r}" if name else ""
        issues.append(Issue("incomplete", f"record #{index}{who} lacks {', '.join(missing)}"))
        return name, None
    return name, values


def _list_folder(images_dir: pathlib.Path, issues: list[Issue]) -> list[pathlib.Path]:
    """The .png files of a folder, noting everything else in it."""
    pngs = []
    for path in sorted(images_dir.iterdir()):
        if path.is_file() and path.suffix.lower() == ".png":
            pngs.append(path)
        elif path.is_dir():
            issues.append(
                Issue("ignored", f"{path.name}/ is a folder (images must be at the top level)"))
        else:
            issues.append(Issue("ignored", f"{path.name!r} is not a .png file"))
    return pngs


def match_images(villagers: list, images_dir: str | os.PathLike):
    """Pairs villager records with their image files.

    Args:
      villagers: the list from ``load_villagers``.
      images_dir: the folder of images named after the villagers.

    Returns:
      ``(pairs, issues)``: ``pairs`` lists ``(labels, image path)`` in JSON order; ``issues``
      lists incomplete and duplicate records, villagers with no image, images with no villager
      and files that are not PNGs.

    Raises:
      FileNotFoundError: ``images_dir`` is not a folder.
    """
    images_dir = pathlib.Path(images_dir)
    if not images_dir.is_dir():
        raise FileNotFoundError(f"no images folder at {images_dir}")
    issues: list[Issue] = []
    pngs = _list_folder(images_dir, issues)
    exact = {path.stem: path for path in pngs}
    normalised: dict[str, list[pathlib.Path]] = {}
    for path in pngs:
        normalised.setdefault(_nfc(path.stem), []).append(path)

    claimed: dict[pathlib.Path, str] = {}
    first_record: dict[str, int] = {}
    pairs = []
    for index, record in enumerate(villagers):
        name, labels = _labels(index, record, issues)
        if name is None:
            continue
        key = _nfc(name)
        if key in first_record:
            issues.append(Issue(
                "duplicate",
                f"villager {name!r} in record #{index} repeats record #{first_record[key]}; "
                "kept the first",
            ))
            continue
        first_record[key] = index
        stem = image_stem(name)
        candidates = [exact[stem]] if stem in exact else normalised.get(_nfc(stem), [])
        path = next((path for path in candidates if path not in claimed), None)
        if path is not None:
            claimed[path] = name
            if labels is not None:
                pairs.append((labels, path))
        elif labels is not None:
            taken = ""
            if candidates:
                taken = f" ({candidates[0].name} belongs to {claimed[candidates[0]]!r})"
            issues.append(Issue("no image", f"villager {name!r} has no image {stem}.png{taken}"))
    for path in pngs:
        if path not in claimed:
            issues.append(
                Issue("no villager", f"image {path.name!r} matches no villager in the JSON"))
    return pairs, issues


def _nothing_matched(villagers: list, images_dir: pathlib.Path, issues: list[Issue]) -> str:
    """A one-line reason for a run that matched no villager to an image."""
    if not villagers:
        return "the villager JSON is an empty list"
    expected = next((issue.message for issue in issues if issue.kind == "no image"), None)
    pngs = sorted(path.name for path in images_dir.glob("*") if path.suffix.lower() == ".png")
    found = ", ".join(repr(name) for name in pngs[:3]) + (", ..." if len(pngs) > 3 else "")
    return (
        f"no villager matched an image ({len(villagers)} records, {len(pngs)} PNGs in {images_dir}"
        f"{': ' + found if pngs else ''}); e.g. {expected or 'every record lacks a label'}"
        " — images must be named after the villager with spaces as underscores (Agent_S.png)"
    )


def prepare(
    json_path: str | os.PathLike,
    images_dir: str | os.PathLike,
    out: str | os.PathLike,
    shards: int = 1,
    max_pixels: int = images.MAX_PIXELS,
) -> Report:
    """Writes the villager TFRecord and parsed annotations from a Kaggle-layout download.

    Args:
      json_path: the Nookipedia JSON, a list with one object per villager.
      images_dir: the folder of villager images (``Agent_S.png``).
      out: the TFRecord to write; with ``shards > 1``, files ``out-00000-of-0000N``.
      shards: the number of TFRecord files.
      max_pixels: images with more pixels are skipped and reported.

    Returns:
      The ``Report``; ``report.written >= 1``.

    Raises:
      FileNotFoundError: the JSON or the folder does not exist.
      ValueError: bad JSON, no villager matched an image, or no matched image was readable.
        Nothing is written at ``out`` and an existing dataset there is left intact.
    """
    out = pathlib.Path(out)
    notes_path = annotations_path(out)
    if pathlib.Path(json_path).resolve() == notes_path.resolve():
        raise ValueError(f"--out {out} would overwrite the input {json_path}; choose another --out")
    villagers = load_villagers(json_path)
    pairs, issues = match_images(villagers, images_dir)
    if not pairs:
        raise ValueError(_nothing_matched(villagers, pathlib.Path(images_dir), issues))

    report = Report(issues=issues)
    notes_temp = tfrecord.temporary_path(notes_path)
    writer = tfrecord.ShardedWriter(out, shards)
    try:
        annotations = []
        for labels, path in pairs:
            try:
                png = images.normalise_png(path, max_pixels)
            except images.ImageTooLarge as error:
                issues.append(Issue("too large", f"image {path.name!r} skipped: {error}"))
                continue
            except images.ImageError as error:
                issues.append(Issue("unreadable", f"image {path.name!r} skipped: {error}"))
                continue
            writer.write(tfrecord.serialize_example(png, labels))
            annotations.append(labels)
        if not annotations:
            raise ValueError(
                f"none of the {len(pairs)} matched images could be read, e.g. {issues[-1]}")
        text = json.dumps(annotations, ensure_ascii=False, indent=2) + "\n"
        notes_temp.write_text(text, encoding="utf-8")
        report.files = writer.commit()
        os.replace(notes_temp, notes_path)
    finally:
        writer.discard()
        tfrecord.remove_quietly(notes_temp)
    report.written = len(annotations)
    report.annotations = notes_path
    return report
