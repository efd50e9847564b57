"""One command-line convention for every acvae command (``main``, ``evaluate``, ``generate``, ...).

Each command defines its absl flags at import and a ``main(argv)``; its entry point is
``cli.run(main)``. The wrapper adds ``--traceback``; shows the command's own flags (and the
shared ones it declares) under ``--help``, whether it runs as ``python -m`` or as a console
script; starts TensorFlow quietly (``start_tensorflow``: none of its C++ start-up lines unless
``--verbosity=1`` or more); keeps absl logging at WARNING unless ``--verbosity`` is given
(INFO with ``--log_dir``, whose files then get every log, as absl promises); prints a ``UserError``
as one ``error: ...`` line (a message of several lines is joined with "; ") on stderr and
exits 1 (or re-raises it with ``--traceback``), with nothing after it (``_say_last``: no
TensorFlow warnings at exit); prints a flag mistake (absl's own, or an ``app.UsageError``) as
one ``error: ...`` line and exits 2; exits 0 after ``--help``, ``-h``, ``--helpshort`` or
``--helpfull``; and exits 130 on Ctrl-C and 143 on SIGTERM (128 + the signal), like other
tools, from the first instant: ``interrupt_at_start`` (installed by ``acvae/__init__.py`` when
the process is ``python -m acvae...`` or a console script) turns either signal during the
imports into one line instead of a traceback or a silent death, and while a command runs a
SIGTERM is raised as an ``errors.Interrupted`` (``_terminated``), like Ctrl-C's
``KeyboardInterrupt``, so every command removes its temporary files and says so in one line. Anything else is a programming error and keeps its
traceback.

Flags several commands share (``--run_dir``, ``--seed``, ``--out``, ...) are defined with
``define``, which reuses a flag another command module already defined in the same process
(absl flags are global), so the commands can be imported together, as the tests do.
``invoke`` runs a command's ``main`` on an argument list in-process, with its flags parsed.
``launch`` runs a command module by name after starting TensorFlow quietly, for commands
that import TensorFlow when their module is imported (``python -m acvae COMMAND`` and the
console scripts go through it).
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import logging as std_logging
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable

from absl import app, flags, logging

from acvae.core.errors import Interrupted, UserError

FLAGS = flags.FLAGS
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_USAGE = 2  # a flag or argument mistake, as argparse and shells report it


def caller_module(depth: int = 2) -> str:
    """The module name absl files a flag under for the function ``depth`` frames up (2: the
    caller of the function that calls this)."""
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
    return define_for(caller_module(), definer, name, *args, **kwargs)


def define_for(module: str, definer, name: str, *args, **kwargs) -> flags.FlagHolder:
    """``define`` for the command module ``module`` (a helper defining a command's flags)."""
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
    if main_module is not None and command is not None and main_module is not command:
        # a console script or an entry shim (acvae.main): absl prints this as the usage
        main_module.__doc__ = command.__doc__


def _one_line(error: BaseException) -> str:
    """The message's lines joined with "; ", without the "In call to configurable ..." trail
    gin appends to errors raised through a configurable."""
    lines = [line.strip() for line in str(error).splitlines()
             if line.strip() and not line.strip().startswith("In call to configurable")]
    return "; ".join(lines) or type(error).__name__


@contextlib.contextmanager
def _stderr_held():
    """Sends what is written to file descriptor 2 (C++ code included) to a temporary file;
    replays it on stderr if the block raises."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except Exception:  # a failure, not an interrupt: what TensorFlow said may explain it
            os.dup2(saved, 2)
            held.seek(0)
            sys.stderr.write(held.read().decode("utf-8", "replace"))
            sys.stderr.flush()
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def start_tensorflow(verbosity: int) -> None:
    """Imports TensorFlow and Keras and finds the devices, quietly unless ``verbosity >= 1``.

    TensorFlow's C++ code prints start-up lines (``cudart_stub``, ``cpu_feature_guard``,
    ``cuInit`` without a GPU, "All log messages before absl::InitializeLog()") to file
    descriptor 2 while it loads and when it first looks for devices, before Python logging
    exists and whatever ``TF_CPP_MIN_LOG_LEVEL`` says; those steps run here with that
    descriptor held in a temporary file, which is shown only if they fail. Later C++ logs
    follow ``TF_CPP_MIN_LOG_LEVEL``, set here (before the import, the only time it is read)
    to hide INFO lines unless ``verbosity >= 0`` or the user set it. Does nothing once
    TensorFlow is imported.

    Args:
      verbosity: absl's ``--verbosity`` (-1 warnings, 0 info, 1 debug).
    """
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0" if verbosity >= 0 else "1")
    quiet = verbosity < 1
    try:
        hold = _stderr_held() if quiet else contextlib.nullcontext()
    except OSError:  # no file descriptor 2 to hold
        hold = contextlib.nullcontext()
    with hold:
        importlib.import_module("keras")  # its start-up lines are held back too
        import tensorflow as tf

        tf.config.list_physical_devices()


def _verbosity_in(argv: list[str]) -> int:
    """The ``--verbosity``/``-v`` value in a command line not parsed yet (-1 without one)."""
    value = None
    for i, arg in enumerate(argv):
        for name in ("--verbosity", "-v"):
            if arg == name and i + 1 < len(argv):
                value = argv[i + 1]
            elif arg.startswith(name + "="):
                value = arg.split("=", 1)[1]
    try:
        return int(value) if value is not None else -1
    except ValueError:
        return -1  # absl will refuse it with its own message


def _configure_logging() -> None:
    """absl logging as the flags ask: files in ``--log_dir`` (every INFO line unless
    ``--verbosity`` says otherwise), all on stderr with ``--logtostderr``, else WARNING and
    above on stderr."""
    if FLAGS["log_dir"].present and not FLAGS["logtostderr"].value:
        if not FLAGS["verbosity"].present:
            logging.set_verbosity(logging.INFO)
        try:
            os.makedirs(FLAGS["log_dir"].value, exist_ok=True)
        except OSError as error:
            raise UserError(f"cannot create --log_dir {FLAGS['log_dir'].value} "
                            f"({error.strerror or error})") from None
        logging.get_absl_handler().use_absl_log_file()
    elif not FLAGS["verbosity"].present:
        logging.set_verbosity(logging.WARNING)  # TensorFlow logs an INFO line per checkpoint


def _say_last(line: str, code: int) -> None:
    """Prints ``line`` on stderr and exits with ``code``, with nothing after it: Python logging
    (TensorFlow's warnings when a half-restored checkpoint is deleted at exit, say) is off
    until the next ``run``."""
    print(line, file=sys.stderr, flush=True)
    std_logging.disable(std_logging.CRITICAL)
    sys.exit(code)


def _interrupted(error: KeyboardInterrupt, when: str = "") -> None:
    """Exits 130 (128 + the signal of an ``errors.Interrupted``) with one line."""
    text = _one_line(error) if str(error) else ""
    _say_last(f"interrupted{when}" + (f": {text}" if text else ""),
              128 + error.signal_number if isinstance(error, Interrupted) else EXIT_INTERRUPTED)


def _interrupted_at_start(signal_number, frame) -> None:
    """The SIGINT and SIGTERM handler until a command's ``run`` starts: one line, exit 130
    (143 for SIGTERM)."""
    del frame
    print("interrupted while starting (nothing was written)", file=sys.stderr, flush=True)
    raise SystemExit(128 + signal_number)


def _terminated(signal_number, frame) -> None:
    """The SIGTERM handler while a command runs: stops it as Ctrl-C does (its clean-up runs),
    and ``_interrupted`` then exits 143."""
    del frame
    raise Interrupted("SIGTERM received", signal_number)


def interrupt_at_start() -> None:
    """Makes a Ctrl-C or SIGTERM before a command's ``run`` one line and exit 130 or 143, not
    a traceback of whatever was being imported (or a silent death). Only from the main thread,
    and only over Python's defaults."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupted_at_start)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _interrupted_at_start)


@contextlib.contextmanager
def _exit_on_interrupt():
    """Ctrl-C as a ``KeyboardInterrupt`` again (the start-up handler is removed) and SIGTERM as
    an ``errors.Interrupted`` (over the default or the start-up handler, restored after); one
    that ends the block exits 130 or 143 with one line (its traceback under ``--traceback``)."""
    if signal.getsignal(signal.SIGINT) is _interrupted_at_start:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    previous = None
    if (threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, _interrupted_at_start)):
        previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        yield
    except KeyboardInterrupt as error:
        if FLAGS.is_parsed() and TRACEBACK.value:
            raise
        _interrupted(error, " while starting (nothing was written)")
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _parse_flags(argv: list[str]) -> list[str]:
    """absl's flag parsing under the convention: a flag mistake is one ``error:`` line and exit
    2; ``--help`` and its kin (and ``-h``) print the help and exit 0 (absl exits 1)."""
    program, args = argv[0], list(argv[1:])
    end = args.index("--") if "--" in args else len(args)
    if "h" not in FLAGS:
        args[:end] = ["--help" if arg == "-h" else arg for arg in args[:end]]
    try:
        return FLAGS([program, *args])
    except flags.Error as error:
        _say_last(f"error: {_one_line(error)} ({_program()} --help lists the flags)", EXIT_USAGE)
    except SystemExit:  # only absl's help flags exit while parsing, having printed the help
        sys.exit(0)


def _program() -> str:
    """The command as typed: ``python -m acvae evaluate``, ``acvae-train``, ``acvae train``."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if sys.argv[0].endswith(".py") and spec is not None:
        return f"python -m {spec.name.removesuffix('.__main__')}"
    return os.path.basename(sys.argv[0])


def _guarded(main: Callable[[list[str]], object]) -> Callable[[list[str]], None]:
    def guarded(argv: list[str]) -> None:
        start_tensorflow(FLAGS["verbosity"].value if FLAGS["verbosity"].present else -1)
        try:
            _configure_logging()
            main(argv)  # absl would print a returned value and exit 1: return None
        except app.UsageError as error:
            _say_last(f"error: {_one_line(error)} ({_program()} --help shows how)", EXIT_USAGE)
        except UserError as error:
            if TRACEBACK.value:
                raise
            _say_last(f"error: {_one_line(error)}", 1)
        except KeyboardInterrupt as error:
            if TRACEBACK.value:
                raise
            _interrupted(error)

    return guarded


def run(main: Callable[[list[str]], object], argv: list[str] | None = None) -> None:
    """Runs ``main`` under absl with the convention above (the console-script entry point)."""
    std_logging.disable(std_logging.NOTSET)  # a previous run's error line silenced it
    with _exit_on_interrupt():
        _show_key_flags(main)
        app.run(_guarded(main), argv=argv, flags_parser=_parse_flags)


def launch(module: str, program: str, argv: list[str]) -> None:
    """Runs the command in ``module`` (its ``main``) as ``program`` with the arguments
    ``argv``, starting TensorFlow quietly before the module is imported.

    Args:
      module: e.g. ``"acvae.commands.evaluate"``.
      program: the name ``--help`` shows, e.g. ``"acvae evaluate"``.
      argv: the arguments after the command.
    """
    with _exit_on_interrupt():
        start_tensorflow(_verbosity_in(argv))
        command = importlib.import_module(module)
        sys.argv = [program, *argv]
        main_module = sys.modules.get("__main__")
        if main_module is not None:
            main_module.__doc__ = command.__doc__  # absl prints it as the usage
        run(command.main, sys.argv)


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
