"""Writing an import: refuse an output that would overwrite the input or a file acvae did not
write, then images and text columns -> the TFRecord with its schema, plus
``<out stem>.annotations.json``, all or nothing.

``check_replaceable`` lets an import replace only its own earlier output: a TFRecord whose
records carry acvae's schema header (and the annotations beside it); any other file at
``--out`` (a table, notes, a run's ``history.csv``) is refused unless ``--overwrite``
(``acvae.core.outputs``). Every layout ends here with ``(row, image path)`` pairs: the images are
normalised to RGBA PNG (unreadable and oversized ones are reported and left out), the schema
is inferred from the rows actually written, and the files are written under temporary names
and renamed into place only when complete, so a failure (a full disk, Ctrl-C, a read-only
folder) leaves nothing half-written and an older dataset at ``out`` intact.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
from collections.abc import Sequence

import tensorflow as tf

from acvae.core import fileio, outputs
from acvae.data import images, tfrecord
from acvae.data.errors import DataError, WriteError
from acvae.data.importers import files
from acvae.data.importers.report import Issue, Report, label_issues
from acvae.data.schema import Schema


def annotations_path(out: str | os.PathLike) -> pathlib.Path:
    """Where the parsed annotations go beside the TFRecord ``out``."""
    return pathlib.Path(out).with_suffix(".annotations.json")


# extensions of formats other than a TFRecord that an ``--out`` must not name (images too)
OTHER_FORMATS = frozenset({".csv", ".tsv", ".json", ".jsonl", ".txt", ".md", ".html", ".gin",
                           ".py", ".yaml", ".yml", ".zip", ".gz", ".tar", ".mp4", ".npz"})


def check_out(
    out: str | os.PathLike, inputs: Sequence[os.PathLike], folders: Sequence[os.PathLike]
) -> None:
    """Refuses an ``--out`` that would overwrite an input file or write into an images folder,
    or whose extension names another format (``data.png``, ``labels.csv``: ``OTHER_FORMATS``
    and every image extension Pillow knows).

    Called before anything is read or written.

    Args:
      out: the TFRecord to write (its annotations go beside it).
      inputs: the input files (the JSON or table).
      folders: the image folders.

    Raises:
      DataError: ``out`` is a folder, lies under a file, names another format, equals an
        input, or lies inside an images folder.
    """
    out = pathlib.Path(out)
    if out.is_dir():
        raise DataError(f"--out {out} is a folder; name the TFRecord file to write, "
                        f"e.g. --out {out / 'data.tfrecord'}")
    for parent in out.parents:
        if os.path.lexists(parent) and not parent.is_dir():
            raise DataError(f"--out {out}: {parent} is a file, not a folder; choose another --out")
    written = {out.resolve(): out, annotations_path(out).resolve(): annotations_path(out)}
    for source in map(pathlib.Path, inputs):
        if source.resolve() in written:
            raise DataError(
                f"--out {out} would overwrite the input {source} "
                f"(with {written[source.resolve()].name}); choose another --out")
    for folder in map(pathlib.Path, folders):
        if folder.resolve() in out.resolve().parents:
            raise DataError(
                f"--out {out} is inside the images folder {folder}; choose an --out outside it")
    if out.suffix.lower() in OTHER_FORMATS or files.is_image_name(out):
        raise DataError(f"--out {out} names a {out.suffix} file, but prepare writes a TFRecord; "
                        f"give an --out ending in .tfrecord, e.g. {out.with_suffix('.tfrecord')}")


def written_by_acvae(path: pathlib.Path) -> bool:
    """Whether ``path`` is a TFRecord whose records carry acvae's schema header."""
    try:
        tfrecord.read_header([str(path)])
    except (DataError, OSError, tf.errors.OpError):
        return False
    return True


def check_replaceable(out: str | os.PathLike, shards: int, overwrite: bool) -> None:
    """Refuses to replace (or, as stale shards, remove) a file at ``out`` that acvae did not
    write, unless ``overwrite``; called before anything is read or written.

    Every file the import would replace or remove must be a TFRecord of acvae's
    (``written_by_acvae``); the annotations beside ``out`` only go with one.

    Raises:
      OutputRefused: one line naming the first such file.
    """
    out = pathlib.Path(out)
    datasets = [out, *tfrecord.shard_paths(out, shards),
                *map(pathlib.Path, sorted(tf.io.gfile.glob(str(out) + tfrecord.SHARD_GLOB)))]
    ours = [outputs.check(path, overwrite, written_by_acvae) for path in dict.fromkeys(datasets)]
    outputs.check(annotations_path(out), overwrite, lambda _: any(ours),
                  what=f"already exists without a TFRecord acvae wrote at {out}")


def _write_reason(error: BaseException) -> str:
    reason = fileio.write_error(error)
    return reason or str(getattr(error, "message", error)).splitlines()[0]


def write_dataset(
    pairs: Sequence[tuple[dict[str, str], pathlib.Path]],
    id_column: str,
    out: str | os.PathLike,
    report: Report,
    images_dir: pathlib.Path,
    shards: int = 1,
    max_pixels: int = images.MAX_PIXELS,
) -> Report:
    """Normalises the images, infers the schema and writes the TFRecord and annotations.

    Args:
      pairs: ``(row, image path)`` in dataset order; every row has the same columns, the
        identifier first.
      id_column: the identifier column.
      out: the TFRecord to write; with ``shards > 1``, files ``out-00000-of-0000N``.
      report: the layout's report so far; gets the image issues, the files and the schema.
      images_dir: image names in messages are relative to this folder.
      shards: the number of TFRecord files.
      max_pixels: images with more pixels are left out and reported.

    Returns:
      ``report``, completed; ``report.written >= 1``.

    Raises:
      DataError: no image could be read; nothing is written.
      WriteError: the files could not be written (disk full, ...); nothing is left behind.
    """
    encoded = _encoded(pairs, images_dir, max_pixels, report.issues)
    if not encoded:
        raise DataError(
            f"none of the {len(pairs)} matched images could be read, e.g. {report.issues[-1]}")
    columns = {column: [row[column] for row, _ in encoded] for column in encoded[0][0]}
    schema = Schema.infer(id_column, columns)
    report.issues += label_issues(schema, len(encoded), report.noun)
    report.files = _write_records(encoded, schema, pathlib.Path(out), shards)
    report.written = len(encoded)
    report.annotations = annotations_path(out)
    report.schema = schema
    return report


def _encoded(pairs: Sequence[tuple[dict[str, str], pathlib.Path]], images_dir: pathlib.Path,
             max_pixels: int, issues: list[Issue]) -> list[tuple[dict[str, str], bytes]]:
    """``(row, RGBA PNG bytes)`` of every pair whose image reads; an unreadable or too large
    one is left out and noted in ``issues`` (named relative to ``images_dir``)."""
    encoded = []
    for row, path in pairs:
        inside = path.is_relative_to(images_dir)
        name = path.relative_to(images_dir).as_posix() if inside else str(path)
        try:
            encoded.append((row, images.normalise_png(path, max_pixels)))
        except images.ImageTooLarge as error:
            issues.append(Issue("too large", f"image {name!r} skipped: {error}"))
        except images.ImageError as error:
            issues.append(Issue("unreadable", f"image {name!r} skipped: {error}"))
    return encoded


def _write_records(encoded: list[tuple[dict[str, str], bytes]], schema: Schema,
                   out: pathlib.Path, shards: int) -> list[pathlib.Path]:
    """Writes the TFRecord (``shards`` files) and the annotations beside ``out``, all or
    nothing: under temporary names, renamed into place when complete.

    Returns:
      The TFRecord files written (``ShardedWriter.commit``).

    Raises:
      WriteError: a file could not be written; nothing is left behind.
    """
    notes_path = annotations_path(out)
    notes_temp = tfrecord.temporary_path(notes_path)
    writer = None
    try:
        writer = tfrecord.ShardedWriter(out, shards)
        for row, png in encoded:
            writer.write(tfrecord.serialize_example(png, row, schema))
        text = json.dumps([row for row, _ in encoded], ensure_ascii=False, indent=2) + "\n"
        notes_temp.write_text(text, encoding="utf-8")
        written = writer.commit()
        os.replace(notes_temp, notes_path)
    except (OSError, tf.errors.OpError) as error:
        reason = _write_reason(error)
        message = f"cannot write {out}: {reason}; nothing was written"
        raise WriteError.because(reason, message) from None
    finally:  # never hides the error above: a read-only place cannot even delete
        with contextlib.suppress(OSError, tf.errors.OpError):
            if writer is not None:
                writer.discard()
        with contextlib.suppress(OSError):
            notes_temp.unlink(missing_ok=True)
    return written
