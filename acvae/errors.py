"""The project's own user-error type: a mistake the user can fix, told in one line.

Commands (``acvae.cli.run``) print a ``UserError`` as ``error: <message>`` and exit 1; every
other exception is a programming error and keeps its traceback. Raise ``UserError`` (or a
subclass) only where the cause is the user's input: a flag, a config, a file, a folder.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake in the user's input; ``str(error)`` is the whole message, ideally one line."""
