"""Outputs a command may replace: only what acvae wrote itself, unless ``--overwrite``.

Every command that writes where the user points it (``prepare --out``, ``python -m
acvae.data.synthetic DIR``, ``export --out``, ``generate --out``, ``show_sample --out``, and
training into a folder that is not a run yet) asks ``check`` before any work. A path that does
not exist may be written; one that acvae wrote earlier, recognised by what acvae put inside
(``SOFTWARE`` in a PNG's text or a GIF's comment: ``written_image``; the schema header of a
TFRecord; the manifest of an export: ``write_manifest``), may be replaced; anything else is
refused with one line naming it, unless ``--overwrite`` (``OVERWRITE_FLAG``, the one flag
every command shares) is given. An earlier export is replaced only with ``--overwrite``,
keeping what the user added to it (``users_files``, ``move_users_files``;
``acvae.analysis.saved_model``).
``check_extension`` refuses an output whose extension names a format the command does not
write, before any work; ``check_pixels`` refuses a picture (or animation) too large to hold
in memory or to open (``MAX_PIXELS``) before it is drawn.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
from collections.abc import Callable, Sequence

from acvae.core.errors import UserError

# the commands' shared flag: cli.define(flags.DEFINE_bool, *OVERWRITE_FLAG)
OVERWRITE_FLAG = (
    "overwrite", False,
    "Replace an existing output that acvae did not write (or train into a folder that is not "
    "a run); an earlier export too, keeping the files you added to it.")
# what acvae writes into the images it makes: a PNG's "Software" text, a GIF's comment
SOFTWARE = "acvae"
# the most pixels a picture (all frames of an animation) acvae writes may hold: Pillow's own
# limit (``PIL.Image.MAX_IMAGE_PIXELS``), above which image tools warn or refuse to open it
MAX_PIXELS = 89_478_485
# the list of what acvae wrote in an output folder (an export), with each file's SHA-256
MANIFEST_FILE = ".acvae-manifest.json"


class OutputRefused(UserError):
    """An output path holds something acvae did not write and ``--overwrite`` was not given."""


def refused(path: str | os.PathLike, what: str, instead: str,
            overwriting: str = "replace it") -> OutputRefused:
    """The one-line refusal: ``{path} {what}; {instead}, or give --overwrite to {overwriting}``."""
    return OutputRefused(f"{path} {what}; {instead}, or give --overwrite to {overwriting}")


def check(path: str | os.PathLike, overwrite: bool,
          written_by_acvae: Callable[[pathlib.Path], bool],
          instead: str = "choose another --out",
          what: str = "already exists and acvae did not write it") -> bool:
    """Whether ``path`` exists and may be replaced; refuses one acvae did not write.

    Args:
      path: an output the command is about to write.
      overwrite: ``--overwrite`` was given.
      written_by_acvae: recognises an output acvae wrote by its content (False when unsure).
      instead: what the user can do instead, for the message.
      what: what is wrong with ``path``, for the message.

    Returns:
      False when nothing is at ``path``, True when something is and may be replaced.

    Raises:
      OutputRefused: ``path`` exists, was not written by acvae, and ``overwrite`` is False.
    """
    path = pathlib.Path(path)
    if not os.path.lexists(path):
        return False
    if overwrite or written_by_acvae(path):
        return True
    raise refused(path, what, instead)


def written_image(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a PNG or GIF that acvae wrote (``SOFTWARE`` in its text or comment)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            mark = image.info.get("Software" if image.format == "PNG" else "comment")
    except (OSError, ValueError, Image.DecompressionBombError):
        return False
    if isinstance(mark, bytes):
        mark = mark.decode("utf-8", "replace")
    return mark == SOFTWARE


def check_extension(path: str | os.PathLike, valid: Sequence[str], what: str,
                    flag: str = "--out") -> str:
    """The extension of ``path`` (lower case), when it is one of ``valid`` (``".png"``, ...).

    Raises:
      UserError: another extension, or none: one line listing the valid ones.
    """
    suffix = pathlib.PurePath(path).suffix.lower()
    if suffix in valid:
        return suffix
    given = f"a {suffix} file" if suffix else "a file without an extension"
    choices = " or ".join(valid)
    raise UserError(f"{flag} {path} asks for {given}, but {what} writes {choices}; "
                    f"give a {flag} ending in {choices}")


def check_pixels(path: str | os.PathLike, pixels: int, lower: str) -> None:
    """Refuses an output of ``pixels`` pixels (all frames) above ``MAX_PIXELS``, before it is drawn.

    Args:
      path: the output, for the message.
      pixels: how many it would hold.
      lower: the flags or bindings that make it smaller, for the message.

    Raises:
      UserError: one line saying how large it would be and what to lower.
    """
    if pixels > MAX_PIXELS:
        raise UserError(f"{path} would hold {pixels / 1e6:,.0f} million pixels, more than the "
                        f"{MAX_PIXELS / 1e6:.0f} million image tools open; lower {lower}")


def _sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files_in(folder: pathlib.Path) -> list[str]:
    """Every file (and empty folder, as ``name/``) under ``folder``, relative, sorted."""
    found = []
    for parent, folders, files in os.walk(folder):
        relative = pathlib.Path(parent).relative_to(folder)
        found += [(relative / name).as_posix() for name in files]
        found += [(relative / name).as_posix() + "/" for name in folders
                  if not os.listdir(os.path.join(parent, name))]
    return sorted(found)


def write_manifest(folder: str | os.PathLike) -> None:
    """Records every file acvae wrote in ``folder`` with its SHA-256 (``MANIFEST_FILE``)."""
    folder = pathlib.Path(folder)
    files = {name: _sha256(folder / name) for name in _files_in(folder)
             if not name.endswith("/") and name != MANIFEST_FILE}
    (folder / MANIFEST_FILE).write_text(
        json.dumps({"written_by": SOFTWARE, "files": files}, indent=1) + "\n", encoding="utf-8")


def has_manifest(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds a readable manifest of acvae's (``write_manifest``)."""
    return _manifest(pathlib.Path(folder)) is not None


def _manifest(folder: pathlib.Path) -> dict[str, str] | None:
    try:
        record = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        files = record["files"] if record.get("written_by") == SOFTWARE else None
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return files if isinstance(files, dict) else None


def users_files(folder: str | os.PathLike,
                written_before_manifests: Callable[[str], bool] | None = None) -> list[str]:
    """What in ``folder`` acvae did not write: files missing from its manifest or changed
    since (and empty folders), relative and sorted. Without a manifest, every file, or those
    for which ``written_before_manifests(name)`` (acvae's names in an output it wrote before
    it kept manifests) is False."""
    folder = pathlib.Path(folder)
    manifest = _manifest(folder)
    if manifest is None:
        ours = written_before_manifests or (lambda name: False)
        return [name for name in _files_in(folder) if not ours(name)]
    return [name for name in _files_in(folder) if name != MANIFEST_FILE and (
        name not in manifest or _sha256(folder / name) != manifest[name])]


def move_users_files(old: str | os.PathLike, new: str | os.PathLike,
                     names: Sequence[str]) -> list[str]:
    """Moves ``names`` (``users_files``) from ``old`` into ``new`` at the same places; one
    whose place ``new`` already takes gets ``.kept`` added. Returns them as they are now."""
    old, new = pathlib.Path(old), pathlib.Path(new)
    moved = []
    for name in names:
        target = new / name.rstrip("/")
        while os.path.lexists(target):
            target = target.with_name(target.name + ".kept")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(old / name.rstrip("/"), target)
        moved.append(target.relative_to(new).as_posix() + "/" * name.endswith("/"))
    return moved
