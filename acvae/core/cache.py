"""acvae's cache: where generated datasets are kept (``cache_dir``, else ``$ACVAE_CACHE``, else
``~/.cache/acvae``) and the one way an entry is made there (``make_once``).

Synthetic villagers (``acvae.data.synthetic``) and the images of dataset plugins
(``datasets.from_images``) are drawn once and kept there; deleting the folder is always safe.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import tempfile
from collections.abc import Callable

from acvae.core import fileio
from acvae.core.errors import WriteError, first_line


def cache_root(cache_dir: str | os.PathLike | None = None) -> pathlib.Path:
    """``cache_dir``, else ``$ACVAE_CACHE``, else ``~/.cache/acvae``."""
    root = cache_dir or os.environ.get("ACVAE_CACHE") or pathlib.Path.home() / ".cache" / "acvae"
    return pathlib.Path(root).expanduser()


def make_once(entry: pathlib.Path, write: Callable[[pathlib.Path], None],
              complete: Callable[[], bool], what: str) -> pathlib.Path:
    """Makes the cache entry ``entry`` (a file or a folder) unless ``complete()`` says it is there.

    ``write(path)`` makes it at ``path`` inside a hidden folder beside ``entry``, renamed into
    place when done: concurrent processes and interrupted runs never see a partial entry, and
    a process that loses the race to another keeps the other's.

    Args:
      entry: the file or folder, inside the cache root.
      write: writes the entry at the path it is given.
      complete: whether ``entry`` is there, whole.
      what: what the entry holds, for the error message ("dataset 'shapes'").

    Returns:
      ``entry``.

    Raises:
      WriteError: the cache cannot be written (disk full, read-only, ...); nothing is left.
    """
    import tensorflow as tf

    if complete():
        return entry
    temp = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        temp = pathlib.Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
        write(temp / entry.name)
        if entry.exists() and not complete():  # a broken entry left by hand
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        try:
            os.replace(temp / entry.name, entry)
        except OSError:
            if not complete():  # not a lost race: a real failure
                raise
    except (OSError, tf.errors.OpError) as error:  # WriteError too
        reason = (error.reason if isinstance(error, WriteError)
                  else fileio.write_error(error) or first_line(error))
        raise WriteError.because(
            reason, f"cannot write {what} into the cache {entry.parent}: {reason}; free some "
            "space or set ACVAE_CACHE to another folder") from None
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
    return entry
