"""Loading gin configs for the entry points, and turning config mistakes into one ``UserError``.

``load`` resolves ``include`` lines relative to the including file, the current folder and
the project root, applies ``--gin_param`` bindings last and optionally finalizes the config.
A mistake gin finds while parsing (an unknown configurable, reference or parameter, a syntax
error, a missing ``include`` file, an ``import`` that fails, a macro used but never defined)
becomes a ``ConfigError`` there, with the valid names and the file and line where gin gives
them (``explain``), and the nearest valid names for a misspelt one (``difflib``). What gin lets
pass is checked after every parse (``check``): a macro defined but used nowhere (``LATENTDIM = 2``
beside ``LATENT_DIM``, or one whose only use a later binding replaced), a binding in a scope no
reference enters (``trian/optimizers.adam.learning_rate``: gin would ignore it), a parameter a
configurable taking ``**kwargs`` does not take (``optimizers.adam.learnin_rate``), a knob out of
its range (``acvae.core.knobs``, infinity included), a value of another type than the parameter's
annotation (``augmentations.shift.flip = 'False'``, a string, is true) or default, and a
component written the wrong way (``@optimizers.adam`` without the parentheses that build it, a
string or a component of another kind where ``knobs.COMPONENTS`` expects one) are each one
``ConfigError``, before anything is built. Mistakes gin only finds when a configurable is called
(a required binding left out, an undefined macro in an unfinalized config) are recognised by
``call_error``; the commands call configurables inside ``calls()``, which raises them as a
``ConfigError``. gin's ``skip_unknown`` is never used.
"""

from __future__ import annotations

import contextlib
import difflib
import inspect
import logging
import pathlib
import re
import tokenize

import gin

from acvae.core import bindings as values_check
from acvae.core import registry
from acvae.core.errors import ConfigError, UserError

PROJECT_ROOT = pathlib.Path(__file__).resolve().parents[2]
PARSE_ERRORS = (ValueError, SyntaxError, tokenize.TokenError, ImportError, OSError)
MACRO = "gin.macro"  # the selector of a macro's binding: (NAME, "gin.macro") -> {"value": ...}


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
    """Runs a gin parsing ``action``; what gin rejects becomes a ``ConfigError`` (``explain``),
    and so does what ``check`` finds in the config parsed so far.

    Args:
      action: parses gin files or bindings (and may finalize).
      sources: the gin files parsed, searched (with what they include) for where an
        undefined or unused macro is written.
    """
    registry.load_built_ins()  # any config may name any built-in component
    try:
        with _quiet_gin_logging():
            action()
        check(sources)
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
    """gin's message for ``error``; for an unknown name, one line saying where it is written,
    the nearest valid names and every valid one.

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
    match = re.search(r"No configurable matching (?:reference )?'@?([\w./]+)", message)
    if match:
        return _unknown_configurable(match.group(1).rpartition("/")[2], _where(message))
    match = re.search(r"Configurable '([\w.]+)' doesn't have a parameter named '(\w+)'", message)
    if match:
        return _unknown_parameter(match.group(1), match.group(2), _where(message))
    return message


def _where(message: str) -> str:
    """`` (FILE, line N)`` or `` (--gin_param BINDING)`` from gin's message, else ``""``."""
    in_file = re.search(r'In file "([^"]+)", line (\d+)', message)
    if in_file:
        return f" ({in_file.group(1)}, line {in_file.group(2)})"
    in_string = re.search(r"In bindings string line \d+\n\s*(.+)", message)
    return f" (--gin_param {in_string.group(1).strip()})" if in_string else ""


def _suggest(name: str, valid, then: str) -> str:
    """``"; did you mean a or b? THEN"``: the valid names closest to ``name`` (difflib, case
    ignored: ``latent_dim`` finds ``LATENT_DIM``)."""
    by_lower = {str(option).lower(): option for option in valid}
    close = [by_lower[match] for match in
             difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)]
    return (f"; did you mean {' or '.join(close)}? " if close else "; ") + then


def _listed(what: str, names) -> str:
    return f"{what}: {', '.join(names) or 'none'}"


def _written(pattern: str, sources, binding: str) -> str:
    """`` (FILE, line N)`` where ``pattern`` (a regex) is written in the gin files ``sources``
    (or what they include); else `` (--gin_param BINDING)`` (or `` (BINDING)``)."""
    found = _find(re.compile(pattern), sources)
    if found:
        return f" ({found[0]}, line {found[1]})"
    return f" (--gin_param {binding})" if sources else f" ({binding})"


def _registered(name: str):
    """gin's record of configurable ``name`` (``wrapped``, ``allowlist``, ``denylist``)."""
    return gin.config._REGISTRY.get_match(name.rpartition("/")[2])


def _configurables() -> list[str]:
    """Every configurable, by the name a ``.gin`` file uses (``train``, ``optimizers.adam``)."""
    return sorted({_display(selector) for selector, _ in gin.config._REGISTRY.items()
                   if not selector.startswith("gin.")})


def _display(selector: str) -> str:
    """The name a ``.gin`` file uses for gin's full ``selector``: ``acvae.training.loop`` -> ``train``."""
    return selector.removeprefix("acvae.")


def _unknown_configurable(name: str, where: str) -> str:
    """The message for a binding or reference naming no configurable, with the nearest names."""
    kind, _, short = name.rpartition(".")
    if kind in registry.KINDS:
        valid = registry.names(kind)
        return (f"no {kind} component named {short}{where}"
                f"{_suggest(short, valid, _listed(f'valid {kind}', valid))}")
    return (f"no configurable named {name}{where}"
            + _suggest(name, _configurables(), "python -m acvae.main --list shows every "
                       "registered component"))


def _unknown_parameter(configurable: str, name: str, where: str) -> str:
    """The message for a binding of a parameter ``configurable`` does not take."""
    valid = parameters(configurable) or []
    return (f"{_display(_registered(configurable).selector)} has no parameter {name}{where}"
            f"{_suggest(name, valid, _listed('valid parameters', valid))}")


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


def parameters(name: str) -> list[str] | None:
    """The parameter names configurable ``name`` takes, or None when it takes any keyword.

    A class's ``**kwargs`` are taken to reach its base classes: their ``__init__`` parameters
    count as well (``optimizers.adam.clipnorm``, a Keras layer's ``name``). A function with
    ``**kwargs`` takes any keyword.
    """
    registered = _registered(name)
    target = registered.wrapped
    if inspect.isclass(target):
        inits = [vars(klass)["__init__"] for klass in target.__mro__[:-1]  # not object's
                 if "__init__" in vars(klass)]
    elif any(p.kind == p.VAR_KEYWORD for p in inspect.signature(target).parameters.values()):
        return None
    else:
        inits = [target]
    names = [p.name for init in inits for p in inspect.signature(init).parameters.values()
             if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    names = [n for n in dict.fromkeys(names) if n not in (registered.denylist or ())]
    return [n for n in names if n in registered.allowlist] if registered.allowlist else names


def check(sources=()) -> None:
    """Checks the config parsed so far for the mistakes gin lets pass.

    Every macro must be used somewhere in the config, every scope of a binding must be entered
    by some reference, every bound parameter must be one its configurable takes (gin cannot
    tell for ``**kwargs``), and every value must fit its parameter (``acvae.core.bindings``: a
    knob's range, a component's kind, the parameter's type; macros replaced by their values).

    Args:
      sources: the gin files parsed, searched for where an unused macro or an unknown
        parameter is written.

    Raises:
      ConfigError: one line for the first mistake, naming it and the nearest valid names.
    """
    bindings = gin.config._CONFIG  # (scope, selector) -> {parameter: value}: what was parsed
    _check_macros(bindings, sources)
    _check_scopes(bindings, sources)
    for (scope, selector), values in bindings.items():
        if selector == MACRO:
            continue
        name = _display(selector)
        valid = parameters(selector)
        for parameter, value in values.items():
            binding = f"{scope + '/' if scope else ''}{name}.{parameter}"
            if valid is not None and parameter not in valid:
                raise ConfigError(_unknown_parameter(selector, parameter, _written(
                    rf"\b{re.escape(parameter)}\s*=", sources, f"{binding}={value!r}")))
            resolved, macro = _resolve(value, bindings)
            complaint = values_check.problem(selector, parameter, binding, resolved, macro)
            if complaint:
                raise ConfigError(complaint)


def _check_scopes(bindings, sources) -> None:
    """Raises a ``ConfigError`` for a binding in a scope no reference enters (gin applies
    ``scope/name.parameter`` only inside ``@scope/...``; elsewhere it is ignored)."""
    entered = {scope for reference in gin.config.iterate_references(bindings)
               if _macro_name(reference) is None for scope in reference.scopes}
    for (scope, selector), values in bindings.items():
        unknown = [part for part in scope.split("/") if part and part not in entered]
        if selector == MACRO or not unknown:
            continue
        parameter, value = next(iter(values.items()), ("", None))
        binding = f"{scope}/{_display(selector)}.{parameter}"
        where = _written(rf"\b{re.escape(scope)}/", sources, f"{binding}={value!r}")
        raise ConfigError(
            f"the scope {unknown[0]} of {binding}{where} is entered by no reference, so gin "
            f"would ignore the binding: it applies only inside @{unknown[0]}/NAME()"
            + _suggest(unknown[0], sorted(entered),
                       f"without the scope, {_display(selector)}.{parameter} binds it "
                       "everywhere"))


def _macro_name(value) -> str | None:
    """The name of the macro ``value`` refers to (``%N_EPOCHS``), or None."""
    if isinstance(value, gin.config.ConfigurableReference) and (
            value.configurable.wrapped is gin.config.macro):
        return "/".join(value.scopes)
    return None


def _resolve(value, bindings, seen=()):
    """``value`` with every macro replaced by its value; also the (first) macro replaced."""
    name = _macro_name(value)
    if name is not None:
        if (name, MACRO) not in bindings or name in seen:
            return value, None  # undefined (gin says so) or defined by itself
        return _resolve(bindings[(name, MACRO)]["value"], bindings, (*seen, name))[0], name
    if isinstance(value, (list, tuple)):
        parts = [_resolve(part, bindings, seen) for part in value]
        macro = next((macro for _, macro in parts if macro), None)
        return type(value)(part for part, _ in parts), macro
    return value, None


def _check_macros(bindings, sources) -> None:
    """Raises a ``ConfigError`` for a macro defined but used nowhere (a misspelt knob)."""
    defined = {scope for scope, selector in bindings if selector == MACRO}
    used = {name for name in map(_macro_name, gin.config.iterate_references(bindings)) if name}
    unused = sorted(defined - used)
    if not unused:
        return
    name = unused[0]
    where = _written(rf"^\s*{re.escape(name)}\s*=", sources,
                     f"{name}={bindings[(name, MACRO)]['value']!r}")
    replaced = _find(re.compile(rf"%{re.escape(name)}\b"), sources)
    if replaced:  # a later binding replaced the binding that used it
        path, line = replaced
        use = pathlib.Path(path).read_text(encoding="utf-8").splitlines()[line - 1]
        raise ConfigError(
            f"the macro {name}{where} is used nowhere in the config: a later binding replaced "
            f"its use '{use.split('#', 1)[0].strip()}' ({path}, line {line}); set {name} "
            f"instead (--gin_param={name}=...)")
    raise ConfigError(f"the macro {name}{where} is used nowhere in the config"
                      f"{_suggest(name, used, _listed('macros in use', sorted(used)))}")
