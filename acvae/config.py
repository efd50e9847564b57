"""Loading gin configs for the entry points, and turning config mistakes into one ``UserError``.

``load`` resolves ``include`` lines relative to the including file, the current folder and
the project root, applies ``--gin_param`` bindings last and optionally finalizes the config.
A mistake gin finds while parsing (an unknown configurable, reference or parameter, a syntax
error, a missing ``include`` file, an ``import`` that fails, a macro used but never defined)
becomes a ``ConfigError`` there, with the valid names and the file and line where gin gives
them (``explain``). Mistakes gin only finds when a configurable is called (a required binding
left out, an undefined macro in an unfinalized config) are recognised by ``call_error``; the
commands call configurables inside ``calls()``, which raises them as a ``ConfigError``.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import pathlib
import re
import tokenize

import gin

from acvae import registry
from acvae.errors import ConfigError, UserError

PROJECT_ROOT = pathlib.Path(__file__).resolve().parent.parent
PARSE_ERRORS = (ValueError, SyntaxError, tokenize.TokenError, ImportError, OSError)


class _DropGinPathNotFound(logging.Filter):
    """gin logs "Path not found" before raising for a missing include; the error says it all."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Path not found")


@contextlib.contextmanager
def _quiet_gin_logging():
    root, note = logging.getLogger(), _DropGinPathNotFound()
    root.addFilter(note)
    try:
        yield
    finally:
        root.removeFilter(note)


def load(gin_files: list[str], gin_params: list[str], finalize: bool = True) -> None:
    """Parses ``gin_files`` in order, then ``gin_params``; optionally finalizes.

    Raises:
      ConfigError: a gin file does not exist, or gin rejects the config (one message).
    """
    for path in gin_files:
        if not pathlib.Path(path).is_file():
            raise ConfigError(f"no gin file at {path}")
    search = [pathlib.Path.cwd(), PROJECT_ROOT] + [pathlib.Path(p).resolve().parent for p in gin_files]
    for folder in dict.fromkeys(search):
        gin.add_config_file_search_path(str(folder))
    parse(lambda: gin.parse_config_files_and_bindings(gin_files, gin_params,
                                                      finalize_config=finalize),
          sources=gin_files)


def parse(action, sources=()) -> None:
    """Runs a gin parsing ``action``; what gin rejects becomes a ``ConfigError`` (``explain``).

    Args:
      action: parses gin files or bindings (and may finalize).
      sources: the gin files parsed, searched (with what they include) for where an
        undefined macro is used.
    """
    try:
        with _quiet_gin_logging():
            action()
    except ConfigError:
        raise
    except PARSE_ERRORS as error:
        macro = re.match(r"No bindings specified for '([\w.]+)/gin\.macro'", str(error))
        if macro:
            raise _undefined_macro(macro.group(1), sources) from error
        raise ConfigError(explain(error)) from error
    except TypeError as error:  # gin fails this way on an include it cannot find
        include = re.search(r'In file "([^"]+)", line (\d+)\s+include\s+[\'"]([^\'"]+)',
                            str(error))
        if include is None:
            raise
        path, line, name = include.groups()
        raise ConfigError(f"no gin file {name} to include ({path}, line {line}); looked in "
                          "the current folder, the project root and the including file's "
                          "folder") from error


def explain(error: BaseException) -> str:
    """gin's message for ``error`` plus the valid names when it names an unknown one.

    gin's "In call to configurable ..." trail is dropped: the message itself says what to do.
    """
    lines = str(error).strip().splitlines()
    message = "\n".join(l for l in lines if not l.lstrip().startswith("In call to configurable"))
    if isinstance(error, tokenize.TokenError):  # an unclosed bracket: gin gives no line
        message = f"gin syntax error: {error.args[0]} (an unclosed bracket or quote?)"
    elif isinstance(error, SyntaxError) and error.filename and error.lineno:
        text = (error.text or "").strip()
        message = (f"gin syntax error in {error.filename}, line {error.lineno}: {error.msg}"
                   + (f" ({text})" if text else ""))
    match = re.search(r"No configurable matching (?:reference )?'@?([\w.]+)", message)
    if match:
        kind = match.group(1).rpartition(".")[0]
        if kind in registry.KINDS:
            message += f"\nvalid {kind}: {', '.join(registry.names(kind)) or 'none'}"
        else:
            message += "\nrun python -m acvae.main --list for every registered component"
    match = re.search(r"Configurable '([\w.]+)' doesn't have a parameter named", message)
    if match:
        message += f"\nvalid parameters: {', '.join(parameters(match.group(1)))}"
    return message


def call_error(error: BaseException) -> ConfigError | None:
    """A ``ConfigError`` for a config mistake gin raised while calling a configurable, else None.

    Recognises gin's own messages only: a required binding that is missing, and a macro used
    but never defined (gin then calls the macro without its value).
    """
    text = str(error)
    if isinstance(error, RuntimeError) and text.startswith("Required bindings for"):
        return ConfigError(explain(error))
    macro = re.search(r"In call to configurable 'macro' \(<function macro[^)]*\) in scope "
                      r"'([\w.]+)'", text)
    if isinstance(error, TypeError) and macro:
        return _undefined_macro(macro.group(1))
    return None


@contextlib.contextmanager
def calls():
    """Calls configurables; gin's call-time config mistakes (``call_error``) become one
    ``ConfigError``, user errors pass, anything else keeps its traceback."""
    try:
        yield
    except UserError:
        raise
    except (RuntimeError, TypeError) as error:
        mistake = call_error(error)
        if mistake is None:
            raise
        raise mistake from error


def _undefined_macro(name: str, sources=()) -> ConfigError:
    """The one-line error for a macro used but never defined, naming where it is used."""
    where = _find(re.compile(rf"%{re.escape(name)}\b"), sources)
    return ConfigError(f"the macro %{name} is used but never defined"
                       + (f" ({where[0]}, line {where[1]})" if where else "")
                       + f"; add '{name} = ...' to the config or a --gin_param")


def _find(pattern: re.Pattern, sources, seen=None) -> tuple[str, int] | None:
    """(file, line) of the first match of ``pattern`` in the gin files ``sources`` or the
    files they include (looked up as gin does: beside the file, here, the project root)."""
    seen = set() if seen is None else seen
    for source in map(pathlib.Path, sources):
        if source in seen or not source.is_file():
            continue
        seen.add(source)
        lines = source.read_text(encoding="utf-8", errors="replace").splitlines()
        for number, line in enumerate(lines, start=1):
            code = line.split("#", 1)[0]
            if pattern.search(code):
                return str(source), number
            include = re.match(r"\s*include\s+['\"]([^'\"]+)['\"]", code)
            if include:
                candidates = [folder / include.group(1) for folder in
                              (source.parent, pathlib.Path.cwd(), PROJECT_ROOT)]
                found = _find(pattern, [c for c in candidates if c.is_file()][:1], seen)
                if found:
                    return found
    return None


def parameters(name: str) -> list[str]:
    """The parameter names a configurable accepts, for error messages."""
    target = gin.get_configurable(name)
    target = target.__init__ if inspect.isclass(target) else target
    return [
        p.name
        for p in inspect.signature(target).parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]


def positive_integers(configurable: str, **values) -> None:
    """Checks that each of ``values`` (parameter name -> value) is a positive ``int``.

    Raises:
      ConfigError: one line naming ``configurable.parameter`` and the value; a quoted number
        (``N_EPOCHS = '2'``) is told to lose its quotes.
    """
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            hint = " (a string: write the number without quotes)" if isinstance(value, str) else ""
            raise ConfigError(f"{configurable}.{name} must be a positive integer, got "
                              f"{value!r}{hint}")
