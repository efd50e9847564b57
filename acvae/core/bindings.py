"""Whether a bound value fits the parameter it is bound to, before anything is built.

``acvae.core.config.check`` asks ``problem`` about every binding of a parsed config, macros replaced
by their values. A value fits when:

- it is written the way its component kind is used: a component a config builds is called
  (``@optimizers.adam()``), a factory the framework calls with shapes is not (``@encoders.conv``;
  ``acvae.core.registry.CALLED``);
- for a parameter that takes a component (``acvae.core.knobs.COMPONENTS``): it is a reference to a
  component of that kind (not the string ``'adam'``, not a sampler as an optimizer);
- for a knob (``acvae.core.knobs.RANGES``): it is in the knob's range;
- for any other parameter: it is of the type its annotation names (``flip: bool``: ``'False'``,
  a string, would be true), or, without an annotation, of its default's kind (a bool, a number,
  a tuple). Annotations this module cannot read (a class, a callable) are not checked.

A reference to something other than a registered component (a plugin's own configurable) is
left to the component that receives it.
"""

from __future__ import annotations

import inspect
import math
import re

import gin

from acvae.core import knobs, registry

# the simple types ``_expected`` reads from an annotation, and how a message names them
_TYPES = {"bool": ("True", "False"), "int": ("an integer",), "float": ("a number",),
          "str": ("a string in quotes",), "sequence": ("a tuple or list",), "None": ("None",)}
_SEQUENCE = re.compile(r"(?:typing\.|collections\.abc\.)?(?:Sequence|tuple|list)(?:\[.*\])?")


def problem(selector: str, parameter: str, binding: str, value, macro: str | None) -> str | None:
    """The one-line complaint about ``binding = value``, or None when it fits.

    Args:
      selector: gin's selector of the configurable (``acvae.training.loop``, ``optimizers.adam``).
      parameter: the parameter bound.
      binding: the binding as written, scope included (``train.beta``).
      value: the bound value, macros replaced by their values.
      macro: the macro that gave the value, named in the message.
    """
    name = selector.removeprefix("acvae.")
    component = knobs.COMPONENTS.get(name, {}).get(parameter)
    if component is not None:
        return _component_problem(binding, value, component)
    form = _form_problem(binding, value)
    if form or not _plain(value):
        return form
    spec = knobs.RANGES.get(name, {}).get(parameter)
    if spec is not None:
        return knobs.problem(binding, value, spec, macro)
    expected = _expected(selector, parameter)
    if expected is None or _fits(value, expected):
        return None
    source = f" ({macro})" if macro else ""
    hint = " (a string: write it without quotes)" if isinstance(value, str) else ""
    return f"{binding}{source} must be {_describe(expected)}, got {value!r}{hint}"


def _plain(value) -> bool:
    """Whether ``value`` is plain data (numbers, strings, None, and tuples or lists of them)."""
    if isinstance(value, (list, tuple)):
        return all(map(_plain, value))
    return value is None or isinstance(value, (bool, int, float, str))


def _references(value):
    """The references to configurables in ``value`` (lists and tuples searched), not macros."""
    if isinstance(value, (list, tuple)):
        for part in value:
            yield from _references(part)
    elif isinstance(value, gin.config.ConfigurableReference) and (
            value.configurable.wrapped is not gin.config.macro):
        yield value


def _kind(reference) -> tuple[str, str]:
    """``(kind, name)`` of a reference to a registered component, else ``("", "")``."""
    kind, _, name = reference.configurable.selector.rpartition(".")
    return (kind, name) if kind in registry.KINDS else ("", "")


def _form_problem(binding: str, value) -> str | None:
    """A reference in ``value`` to a component, called where it must not be or the reverse."""
    for reference in _references(value):
        kind, name = _kind(reference)
        if kind and reference.evaluate != (kind in registry.CALLED):
            right = "@" + "".join(f"{scope}/" for scope in reference.scopes) + (
                registry.reference(kind, name)[1:])
            why = (f"a config builds {kind} by calling them" if kind in registry.CALLED else
                   f"acvae calls {kind} itself, with the shapes they need")
            return f"{binding} = {reference!r}: write {right} ({why})"
    return None


def _component_problem(binding: str, value, component: knobs.Component) -> str | None:
    """What is wrong with ``value`` for a parameter taking ``component``, or None."""
    if component.many:
        items = value if isinstance(value, (list, tuple)) else None
    else:
        items = [value]
    if items is not None and all(_is_component(item, component) for item in items):
        return _form_problem(binding, value)
    hint = ""
    if isinstance(value, str) and value in registry.names(component.kind):
        hint = f" (write {registry.reference(component.kind, value)})"
    return f"{binding} must be {component.describe()}, got {value!r}{hint}"


def _is_component(item, component: knobs.Component) -> bool:
    """Whether ``item`` may stand for a ``component``: a reference to one of its kind, or to a
    configurable that is no registered component (a macro gin reports itself, a plugin's own
    configurable), or None where it is optional."""
    if item is None:
        return component.optional and not component.many
    if not isinstance(item, gin.config.ConfigurableReference):
        return False
    return _kind(item)[0] in ("", component.kind)


def _expected(selector: str, parameter: str) -> frozenset[str] | None:
    """The types ``parameter`` of the configurable takes (``_TYPES`` keys), read from its
    annotation or else its default; None when they cannot be told."""
    target = gin.config._REGISTRY.get_match(selector).wrapped
    functions = ([vars(klass)["__init__"] for klass in target.__mro__[:-1]
                  if "__init__" in vars(klass)] if inspect.isclass(target) else [target])
    for function in functions:
        try:
            found = inspect.signature(function).parameters.get(parameter)
        except (TypeError, ValueError):
            continue
        if found is None or found.kind in (found.VAR_POSITIONAL, found.VAR_KEYWORD):
            continue
        if found.annotation is not found.empty:
            return _annotated(found.annotation)
        return _by_default(found.default)
    return None


def _annotated(annotation) -> frozenset[str] | None:
    """The types of an annotation made of ``bool``, ``int``, ``float``, ``str``, ``None`` and
    sequences joined by ``|``; None for any other."""
    text = annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
    types = set()
    for token in (part.strip() for part in text.split("|")):
        if token in _TYPES and token != "sequence":
            types.add(token)
        elif _SEQUENCE.fullmatch(token):
            types.add("sequence")
        else:
            return None
    return frozenset(types)


def _by_default(default) -> frozenset[str] | None:
    """The types an unannotated parameter takes, told by its default: a bool, a number (or
    None), a tuple or list (or None); None for any other default."""
    if isinstance(default, bool):
        return frozenset({"bool"})
    if isinstance(default, (int, float)):
        return frozenset({"float", "None"})
    if isinstance(default, (tuple, list)):
        return frozenset({"sequence", "None"})
    return None


def _fits(value, types: frozenset[str]) -> bool:
    """Whether plain ``value`` is one of ``types`` (an int is a float; a bool is neither)."""
    if value is None:
        return "None" in types
    if isinstance(value, bool):
        return "bool" in types
    if isinstance(value, (int, float)):
        number = "float" in types or "int" in types and isinstance(value, int)
        return number and math.isfinite(value)
    if isinstance(value, str):
        return "str" in types
    return "sequence" in types


def _describe(types: frozenset[str]) -> str:
    """``"True, False or None"``, ``"a number"``: ``types`` in words."""
    names = [word for key, words in _TYPES.items() for word in words
             if key in types and not (key == "int" and "float" in types)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
