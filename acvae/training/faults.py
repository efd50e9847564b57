"""What training does when things go wrong: the errors it raises and the signals it handles.

``TrainingError`` and its subclasses are ``UserError``s with one-line messages a user can act
on (commands print them without a traceback); ``StopSignals`` turns SIGINT/SIGTERM into a flag
the loop checks between steps calls, and ``TrainingInterrupted`` carries the signal so the
command exits 130 or 143; ``writing`` turns failed writes (full disk, permissions) into
``RunFolderError`` (``acvae.runs.run_folder``).
"""

from __future__ import annotations

import contextlib
import pathlib
import signal
import threading
from collections.abc import Callable

import tensorflow as tf

from acvae.core import fileio
from acvae.core.errors import Interrupted, UserError
from acvae.runs.run_folder import RunFolderError


class TrainingError(UserError, RuntimeError):
    """Training stopped for a reason the user can fix; the message is one line."""


class TrainingDiverged(TrainingError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


class TrainingInterrupted(Interrupted):
    """SIGINT or SIGTERM stopped training; its progress is saved and the run resumes."""


class StopSignals:
    """While active, SIGINT and SIGTERM only set ``received``; a second one stops at once.

    Handlers are installed from the main thread only (Python's rule) and restored on exit.

    Attributes:
      received: the first signal's name (``"SIGINT"``), or None.
      number: its number.
      then: what happens after the first signal, as announced when it arrives; the loop
        changes it when it moves from training to the final figures.
    """

    def __init__(self):
        self.received: str | None = None
        self.number: int | None = None
        self.then = "saving progress after the current steps"
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
        print(f"{self.received} received: {self.then} (send it again to stop at once)",
              flush=True)

    def stop_if_received(self) -> None:
        """Raises ``KeyboardInterrupt`` if a signal arrived: the caller stops at this point."""
        if self.received is not None:
            raise KeyboardInterrupt

    def __exit__(self, *exc):
        for number, handler in self._previous.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def writing(what: pathlib.Path | str, resume_hint: Callable[[], str]):
    """Turns a failed write of ``what`` into a one-line ``RunFolderError``.

    Args:
      what: the file or folder written.
      resume_hint: says how to go on; called when the write fails, so that it tells what
        is on disk then (the block may have saved a checkpoint before failing).
    """
    try:
        yield
    except (OSError, tf.errors.OpError) as error:
        reason = fileio.write_error(error)
        if reason is None:
            raise
        raise RunFolderError(f"{reason} while writing {what}; {resume_hint()}") from None
