"""One command-line convention for every acvae command (``main``, ``evaluate``, ``generate``, ...).

Each command defines its absl flags at import and a ``main(argv)``; its entry point is
``cli.run(main)``. The wrapper adds ``--traceback``; shows the command's own flags (and the
shared ones it declares) under ``--help``, whether it runs as ``python -m`` or as a console
script; keeps absl logging at WARNING unless ``--verbosity`` is given; prints a ``UserError``
as one ``error: ...`` line (a message of several lines is joined with "; ") on stderr and
exits 1 (or re-raises it with ``--traceback``); and exits 130 on Ctrl-C (128 + the signal
for an ``errors.Interrupted``), like other tools. Anything else is a programming error and
keeps its traceback.

Flags several commands share (``--run_dir``, ``--seed``, ``--out``, ...) are defined with
``define``, which reuses a flag another command module already defined in the same process
(absl flags are global), so the commands can be imported together, as the tests do.
``invoke`` runs a command's ``main`` on an argument list in-process, with its flags parsed.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable

from absl import app, flags, logging

from acvae.errors import Interrupted, UserError

FLAGS = flags.FLAGS
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


def _caller_module(depth: int = 2) -> str:
    """The module name absl files a flag under for the function ``depth`` frames up."""
    frame = inspect.currentframe()
    for _ in range(depth):
        frame = frame.f_back
    name = frame.f_globals.get("__name__", "__main__")
    return sys.argv[0] if name == "__main__" else name


def define(definer, name: str, *args, **kwargs) -> flags.FlagHolder:
    """Defines a flag for the calling module: ``define(flags.DEFINE_string, name, default, help)``
    (the arguments after ``name`` are ``definer``'s).

    If another module already defined ``name``, that flag is reused and only declared key to
    the caller (so it shows under the caller's ``--help``).
    """
    module = _caller_module()
    if name in FLAGS:
        FLAGS.register_key_flag_for_module(module, FLAGS[name])
        return flags.FlagHolder(FLAGS, FLAGS[name])
    return definer(name, *args, module_name=module, **kwargs)


TRACEBACK = define(flags.DEFINE_bool, "traceback", False, "Show the full traceback of an error.")


def _show_key_flags(main: Callable) -> None:
    """Lists ``main``'s module flags and ``--traceback`` under ``--help`` of this process."""
    module = getattr(main, "__module__", "__main__")
    key_flags = FLAGS.get_key_flags_for_module(sys.argv[0] if module == "__main__" else module)
    for flag in [*key_flags, FLAGS["traceback"]]:
        FLAGS.register_key_flag_for_module(sys.argv[0], flag)
    main_module = sys.modules.get("__main__")
    command = sys.modules.get(module)
    if main_module is not None and not main_module.__doc__ and command is not None:
        main_module.__doc__ = command.__doc__  # a console script: absl prints this as usage


def _one_line(error: BaseException) -> str:
    """The message's lines joined with "; ", without the "In call to configurable ..." trail
    gin appends to errors raised through a configurable."""
    lines = [line.strip() for line in str(error).splitlines()
             if line.strip() and not line.strip().startswith("In call to configurable")]
    return "; ".join(lines) or type(error).__name__


def _guarded(main: Callable[[list[str]], object]) -> Callable[[list[str]], None]:
    def guarded(argv: list[str]) -> None:
        if not FLAGS["verbosity"].present:
            logging.set_verbosity(logging.WARNING)  # TensorFlow logs an INFO line per checkpoint
        try:
            main(argv)  # absl would print a returned value and exit 1: return None
        except UserError as error:
            if TRACEBACK.value:
                raise
            print(f"error: {_one_line(error)}", file=sys.stderr, flush=True)
            sys.exit(1)
        except KeyboardInterrupt as error:
            if TRACEBACK.value:
                raise
            print(f"interrupted: {_one_line(error)}" if str(error) else "interrupted",
                  file=sys.stderr, flush=True)
            sys.exit(128 + error.signal_number if isinstance(error, Interrupted)
                     else EXIT_INTERRUPTED)

    return guarded


def run(main: Callable[[list[str]], object], argv: list[str] | None = None) -> None:
    """Runs ``main`` under absl with the convention above (the console-script entry point)."""
    _show_key_flags(main)
    app.run(_guarded(main), argv=argv)


def invoke(main: Callable[[list[str]], object], argv: list[str]):
    """Runs ``main`` in-process as if ``argv`` (without the program name) were the command line.

    Every flag first returns to its default; errors propagate (a ``UserError`` is not turned
    into an exit), and ``main``'s return value is returned.

    Raises:
      absl.flags.Error: a flag that is unknown or has a bad value.
    """
    FLAGS.unparse_flags()
    remaining = FLAGS([getattr(main, "__module__", "acvae"), *argv])
    return main(remaining)
