"""What training does when things go wrong: the errors it raises and the signals it handles.

``TrainingError`` and its subclasses are ``UserError``s with one-line messages a user can act
on (commands print them without a traceback); ``StopSignals`` turns SIGINT/SIGTERM into a flag
the loop checks between steps calls, and ``TrainingInterrupted`` carries the signal so the
command exits 130 or 143; ``writing`` turns failed writes (full disk, permissions) into
``RunFolderError``.
"""

from __future__ import annotations

import contextlib
import pathlib
import signal
import threading

import tensorflow as tf

from acvae import fileio
from acvae.errors import Interrupted, UserError


class TrainingError(UserError, RuntimeError):
    """Training stopped for a reason the user can fix; the message is one line."""


class TrainingDiverged(TrainingError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


class RunFolderError(TrainingError):
    """The run folder cannot be written (permissions, full disk, ...)."""


class TrainingInterrupted(Interrupted):
    """SIGINT or SIGTERM stopped training; its progress is saved and the run resumes."""


class StopSignals:
    """While active, SIGINT and SIGTERM only set ``received``; a second one stops at once.

    Handlers are installed from the main thread only (Python's rule) and restored on exit.
    """

    def __init__(self):
        self.received: str | None = None
        self.number: int | None = None
        self._previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGINT, signal.SIGTERM):
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def _handle(self, number, frame):
        if self.received is not None:
            raise KeyboardInterrupt
        self.received, self.number = signal.Signals(number).name, int(number)
        print(f"{self.received} received: saving progress after the current steps "
              "(send it again to stop at once)", flush=True)

    def __exit__(self, *exc):
        for number, handler in self._previous.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def writing(what: pathlib.Path | str, resume_hint: str):
    """Turns a failed write of ``what`` into a one-line ``RunFolderError``."""
    try:
        yield
    except (OSError, tf.errors.OpError) as error:
        reason = fileio.write_error(error)
        if reason is None:
            raise
        raise RunFolderError(f"{reason} while writing {what}; {resume_hint}") from None
