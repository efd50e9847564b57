"""Atomic file output (a file appears complete at its final path or not at all) and write errors.

Every file acvae writes goes through ``atomic_path`` (or ``write_with`` / ``write_text`` on top
of it): the content is written to a temporary file and renamed onto the target. Inside a folder
that registered a scratch folder (``scratch``: an open run folder, ``acvae.runs.run_folder``) the
temporary file goes there, so what a killed writer leaves is found by ownership, never by
name; elsewhere it is a hidden ``.<name>.<random>.tmp<suffix>`` beside the target, removed on
any error. ``write_error`` turns a failed write (full disk, read-only folder, ...) into a
short reason for a one-line message.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pathlib
import tempfile
from collections.abc import Callable

# folders (resolved) whose atomic writes keep their temporaries in a scratch folder of their own
_SCRATCH: dict[pathlib.Path, pathlib.Path] = {}


@contextlib.contextmanager
def scratch(root: str | os.PathLike, folder: str | os.PathLike):
    """While active, atomic writes anywhere under ``root`` put their temporary files in
    ``folder`` (an existing folder inside ``root``, owned by the caller, who may empty it)."""
    key = pathlib.Path(root).resolve()
    _SCRATCH[key] = pathlib.Path(folder)
    try:
        yield
    finally:
        _SCRATCH.pop(key, None)


def _temporary_folder(parent: pathlib.Path) -> tuple[pathlib.Path, str]:
    """(the folder for a temporary file of a target in ``parent``, its name prefix): a
    registered scratch folder on the same file system (so the rename is atomic), else
    ``parent`` itself with a hidden name."""
    resolved = parent.resolve()
    roots = [root for root in _SCRATCH if root == resolved or root in resolved.parents]
    if roots:
        folder = _SCRATCH[max(roots, key=lambda root: len(root.parts))]
        with contextlib.suppress(OSError):
            if folder.is_dir() and os.stat(folder).st_dev == os.stat(parent).st_dev:
                return folder, ""
    return parent, "."


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yields a temporary path for ``path``; renames it onto ``path`` on success.

    On an exception the temporary file is removed and ``path`` keeps its old content.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    folder, hidden = _temporary_folder(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f"{hidden}{path.name}.", suffix=".tmp" + path.suffix,
                               dir=folder)
    os.close(fd)
    try:
        yield pathlib.Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs are for everyone to read
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_with(path: str | os.PathLike, write: Callable[[pathlib.Path], None]) -> pathlib.Path:
    """Calls ``write(tmp)`` on a temporary path (``atomic_path``), then renames it onto ``path``.

    The temporary file keeps ``path``'s suffix, so writers that infer the format from it work.
    """
    with atomic_path(path) as tmp:
        write(tmp)
    return pathlib.Path(path)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Writes UTF-8 ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_error(error: BaseException) -> str | None:
    """A short reason for a failed write ("disk full", "permission denied", ...), or None.

    Understands ``OSError`` and TensorFlow's ``tf.errors.OpError`` (checkpoints, summaries),
    whose messages carry the operating system's text.
    """
    number = getattr(error, "errno", None)
    text = str(getattr(error, "message", None) or error)
    reasons = (
        (errno.ENOSPC, "No space left on device", "disk full"),
        (errno.EDQUOT, "Disk quota exceeded", "disk quota exceeded"),
        (errno.EROFS, "Read-only file system", "read-only file system"),
        (errno.EACCES, "Permission denied", "permission denied"),
        (errno.EPERM, "Operation not permitted", "permission denied"),
    )
    for code, phrase, reason in reasons:
        if number == code or phrase in text:
            return reason
    if isinstance(error, OSError):
        return (error.strerror or type(error).__name__).lower()
    return None
