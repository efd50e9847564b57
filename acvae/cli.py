"""One command-line convention for every acvae command (``main``, ``prepare``, ``evaluate``, ...).

Each command defines its absl flags and a ``main(argv)``, and its console entry point is
``cli.run(main)``. The wrapper adds ``--traceback``; prints a ``UserError`` as one
``error: ...`` line (a message of several lines is joined with "; ") on stderr and exits 1 (or re-raises it with ``--traceback``); and exits 130
on Ctrl-C, like other tools. Anything else is a programming error and keeps its traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from absl import app, flags

from acvae.errors import UserError

flags.DEFINE_bool("traceback", False, "Show the full traceback of an error.")

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def _guarded(main: Callable[[list[str]], object]) -> Callable[[list[str]], None]:
    def guarded(argv: list[str]) -> None:
        try:
            main(argv)
        except UserError as error:
            if flags.FLAGS.traceback:
                raise
            lines = [line.strip() for line in str(error).splitlines() if line.strip()]
            message = "; ".join(lines) or type(error).__name__
            print(f"error: {message}", file=sys.stderr, flush=True)
            sys.exit(1)
        except KeyboardInterrupt:
            if flags.FLAGS.traceback:
                raise
            print("interrupted", file=sys.stderr, flush=True)
            sys.exit(EXIT_INTERRUPTED)

    return guarded


def run(main: Callable[[list[str]], object], argv: list[str] | None = None) -> None:
    """Runs ``main`` under absl with the convention above (the console-script entry point)."""
    app.run(_guarded(main), argv=argv)
