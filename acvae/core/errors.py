"""The project's own user-error types: mistakes the user can fix, told in one line.

Commands (``acvae.core.cli.run``) print a ``UserError`` as ``error: <message>`` and exit 1; every
other exception is a programming error and keeps its traceback. Raise ``UserError`` (or a
subclass) only where the cause is the user's input: a flag, a config, a file, a folder, a
plugin. ``first_line`` is the one way to shorten an exception for such a message.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake in the user's input; ``str(error)`` is the whole message, ideally one line."""


class ConfigError(UserError, ValueError):
    """A configured value, a component or a run that does not fit, e.g. ``n_channels = 2``, a
    plugin encoder of the wrong output shape, or a checkpoint of another model.

    Also a ``ValueError``, so code that validates arguments keeps the usual exception type.
    """


class WriteError(UserError, OSError):
    """Data could not be written (disk full, read-only, ...); nothing was left half-written.

    Attributes:
      reason: the short cause ("disk full", "permission denied", ...), for callers that
        word their own message.
    """

    reason: str = ""

    @classmethod
    def because(cls, reason: str, message: str) -> "WriteError":
        """A ``WriteError`` with ``message`` whose cause is ``reason``."""
        error = cls(message)
        error.reason = reason
        return error


class Interrupted(KeyboardInterrupt):
    """A signal stopped a command after saving its progress; the message says how to go on.

    Attributes:
      signal_number: the signal (``signal.SIGINT`` or ``signal.SIGTERM``); the command exits
        with ``128 + signal_number`` (130 and 143), as shells report it.
    """

    def __init__(self, message: str, signal_number: int):
        super().__init__(message)
        self.signal_number = int(signal_number)


def first_line(error: BaseException, with_type: bool = False) -> str:
    """The first non-empty line of ``error``'s message (TensorFlow's ``.message`` included).

    Args:
      error: any exception.
      with_type: prefix the exception's class name (``"RuntimeError: boom"``).

    Returns:
      One line; the class name alone when the message is empty.
    """
    text = str(getattr(error, "message", None) or error).strip()
    line = text.splitlines()[0].strip() if text else ""
    name = type(error).__name__
    if not line:
        return name
    return f"{name}: {line}" if with_type else line
