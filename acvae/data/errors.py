"""The data package's user errors: input data that cannot be used, told in one line.

Each is an ``acvae.core.errors.UserError`` (commands print it as one ``error:`` line) and also the
built-in type callers already expect (``ValueError``, ``FileNotFoundError``, ``OSError``).
``WriteError`` is the cache's (``acvae.core.errors``), named here too.
"""

from __future__ import annotations

from acvae.core.errors import UserError, WriteError

__all__ = ["DamagedData", "DataError", "MissingData", "SettingError", "WriteError"]


class DataError(UserError, ValueError):
    """A table, folder, image set or TFRecord that cannot be used; the message says why."""


class DamagedData(DataError):
    """A dataset TFRecord that is not one, is cut short, fails a checksum or holds a record that
    is not an acvae Example.

    Attributes:
      path: the damaged file; a reader of acvae's own cache deletes and rebuilds it.
    """

    def __init__(self, message: str, path: str = ""):
        super().__init__(message)
        self.path = path


class MissingData(UserError, FileNotFoundError):
    """A data file or folder that does not exist; the message says how to make it."""


class SettingError(UserError, ValueError):
    """A bad setting of the input pipeline or a dataset (a gin binding or an argument)."""
