"""Signs of life inside a long epoch, on stderr, without garbage in logs.

On a terminal, ``EpochProgress`` is a tqdm bar of the epoch's train steps that appears only
once the epoch has run ``delay`` seconds and clears itself at the end, so short epochs print
nothing but the one-line epoch summary. When stderr is not a terminal (CI, ``> log.txt``) there
is no bar (no carriage returns in files): a plain line every ``interval`` seconds instead, so
only long epochs print anything.
"""

from __future__ import annotations

import shutil
import sys
import time


class EpochProgress:
    """Progress of one epoch's train steps (a context manager).

    Args:
      total: train steps in the epoch.
      epoch: the epoch's number, for the label.
      done: steps already done (a resumed epoch).
      enabled: False shows nothing (a non-chief worker).
      delay: seconds before the terminal bar appears.
      interval: seconds between plain lines when stderr is not a terminal.
      stream: where to write; ``sys.stderr`` by default.
    """

    def __init__(self, total: int, epoch: int, done: int = 0, enabled: bool = True,
                 delay: float = 3.0, interval: float = 60.0, stream=None):
        self.total, self.epoch, self.done = total, epoch, done
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.started = self._last_line = time.monotonic()
        self._bar = None
        self.enabled = enabled
        self.terminal = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        if self.terminal:
            from tqdm import tqdm

            # shutil falls back to 80 columns where a terminal reports none (tqdm would draw
            # an empty bar)
            width = min(shutil.get_terminal_size().columns, 100)
            self._bar = tqdm(total=total, initial=done, desc=f"epoch {epoch}", unit="step",
                             file=self.stream, leave=False, delay=delay, ncols=width)

    def __enter__(self) -> "EpochProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def update(self, steps: int) -> None:
        """Records ``steps`` more train steps."""
        self.done += steps
        if self._bar is not None:
            self._bar.update(steps)
        elif self.enabled and time.monotonic() - self._last_line >= self.interval:
            self._last_line = time.monotonic()
            elapsed = self._last_line - self.started
            print(f"epoch {self.epoch}: {self.done}/{self.total} steps "
                  f"({100 * self.done / self.total:.0f}%) in {elapsed:.0f}s",
                  file=self.stream, flush=True)

    def close(self) -> None:
        """Removes the bar (the epoch summary line follows)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
