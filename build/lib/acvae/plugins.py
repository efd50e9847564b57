"""Plugins from outside the package: Python files given by path (``--plugin``), imported once.

A plugin is any module that registers components with ``acvae.registry.register``. An
importable module needs nothing from here: an ``import my_module`` line in a ``.gin`` file
imports it (and gin records the line in ``operative_config.gin``). A plain file is loaded with
``python -m acvae.main --plugin path/to/my_plugin.py``: ``load`` imports it, training records
it in ``RUN/plugins.txt`` (``acvae.run_folder.RunFolder.record_plugins``), and ``load_run`` imports
it again so the post-hoc tools rebuild the same model.

A file is imported at most once per process, keyed by its resolved path. A file that is also
importable by module name (say ``plugins/residual.py`` under the project root) is imported by
that name, as importlib resolves it, so loading it by path and by a gin ``import`` line
registers its components once.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import pathlib
import sys
import types
from collections.abc import Iterable

from acvae.errors import UserError, first_line

_LOADED: dict[pathlib.Path, types.ModuleType] = {}


class MissingPluginFile(UserError, FileNotFoundError):
    """A plugin path that is not a file."""


class PluginImportError(UserError, ImportError):
    """A plugin file that raised while being imported."""


def _dotted_name(path: pathlib.Path) -> str | None:
    """The module name under which importlib finds ``path``, if any.

    The name is read off the packages around the file (folders with ``__init__.py``), and
    importlib confirms that it resolves to this very file (its root is on ``sys.path``).
    """
    parts = [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if not all(part.isidentifier() for part in parts):
        return None
    name = ".".join(parts)
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    found = spec is not None and spec.origin and pathlib.Path(spec.origin).resolve() == path
    return name if found else None


def _stable_name(path: pathlib.Path) -> str:
    """``acvae_plugin_<stem>_<hash of the path>``: the same file gets the same name."""
    digest = hashlib.sha1(str(path).encode("utf-8")).hexdigest()[:8]
    stem = "".join(c if c.isalnum() else "_" for c in path.stem)
    return f"acvae_plugin_{stem}_{digest}"


def _import_file(path: pathlib.Path) -> types.ModuleType:
    name = _dotted_name(path)
    if name is not None:
        return importlib.import_module(name)
    name = _stable_name(path)
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def load(paths: Iterable[str | os.PathLike]) -> list[types.ModuleType]:
    """Imports each plugin file (once per process), registering its components.

    Args:
      paths: ``.py`` files.

    Returns:
      The plugin modules, in the order given.

    Raises:
      MissingPluginFile: a path is not a file (one line; also a ``FileNotFoundError``).
      PluginImportError: a file raised while being imported (one line naming the file and
        the error; also an ``ImportError``).
    """
    modules = []
    for given in paths:
        path = pathlib.Path(given).expanduser()
        if not path.is_file():
            raise MissingPluginFile(f"no plugin file at {given}")
        path = path.resolve()
        if path not in _LOADED:
            try:
                _LOADED[path] = _import_file(path)
            except Exception as error:  # a plugin may raise anything while importing
                raise PluginImportError(
                    f"plugin {given} failed to import: {first_line(error, with_type=True)}"
                ) from error
        modules.append(_LOADED[path])
    return modules


def loaded() -> list[pathlib.Path]:
    """Resolved paths of the plugin files loaded in this process, in load order."""
    return list(_LOADED)
