"""Loading gin configs for the entry points, and turning config mistakes into one ``UserError``.

``load`` resolves ``include`` lines relative to the including file, the current folder and
the project root, applies ``--gin_param`` bindings last and optionally finalizes the config.
A mistake gin finds while parsing (an unknown configurable, reference or parameter, a syntax
error, a missing ``include`` file, an ``import`` that fails) becomes a ``ConfigError`` there,
with the valid names (``explain``). Mistakes gin only finds when a configurable is called (a
required binding left out, an undefined macro) are recognised by ``call_error`` where the
call is made.
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
from acvae.errors import ConfigError

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
                                                      finalize_config=finalize))


def parse(action) -> None:
    """Runs a gin parsing ``action``; what gin rejects becomes a ``ConfigError`` (``explain``)."""
    try:
        with _quiet_gin_logging():
            action()
    except ConfigError:
        raise
    except PARSE_ERRORS as error:
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
        return ConfigError(f"the macro %{macro.group(1)} is used but never defined; add "
                           f"'{macro.group(1)} = ...' to the config or a --gin_param")
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
