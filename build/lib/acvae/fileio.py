"""Atomic file output (a file appears complete at its final path or not at all) and write errors.

Every file acvae writes goes through ``atomic_path`` (or ``write_with`` / ``write_text`` on top
of it): the content is written to a hidden ``.<name>.<random>.tmp<suffix>`` beside the target
and renamed onto it. ``TEMPORARY_GLOBS`` names what a killed process may leave behind.
``write_error`` turns a failed write (full disk, read-only folder, ...) into a short reason for
a one-line message.
"""

from __future__ import annotations

import contextlib
import errno
import os
import pathlib
import tempfile
from collections.abc import Callable

# leftovers of a killed writer: ours (``atomic_path``), TensorFlow's checkpoint files and
# folders (``ckpt-3_temp``) and its atomic state-file writes (``checkpoint.tmp<hex>``)
TEMPORARY_GLOBS = (".*.tmp*", "*_temp*", "*.tmp*")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yields a temporary path beside ``path``; renames it onto ``path`` on success.

    On an exception the temporary file is removed and ``path`` keeps its old content.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp" + path.suffix, dir=path.parent)
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
    """Calls ``write(tmp)`` on a temporary path beside ``path``, then renames it onto ``path``.

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
