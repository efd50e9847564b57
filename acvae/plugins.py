"""Plugins from outside the package: Python files given by path, recorded in the run folder.

A plugin is any module that registers components with ``acvae.registry.register``. An
importable module needs nothing from here: an ``import my_module`` line in a ``.gin`` file
imports it (and gin records the line in ``operative_config.gin``). A plain file is loaded with
``python -m acvae.main --plugin path/to/my_plugin.py``: ``load`` imports it, ``record`` lists it
in ``RUN/plugins.txt``, and ``load_recorded`` (called by ``acvae.runs.load_run``) imports it
again so post-hoc tools (visualise, evaluate, generate, export) rebuild the same model.

A file is imported at most once per process, keyed by its resolved path; a file that is also
importable by module name (say ``plugins/residual.py`` under the project root) is imported by
that name, so loading it by path and by a gin ``import`` line registers its components once.
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

RECORD_FILE = "plugins.txt"

_LOADED: dict[pathlib.Path, types.ModuleType] = {}


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def _module_name(path: pathlib.Path) -> str | None:
    """The dotted name under which ``path`` is importable from ``sys.path``, if any."""
    for entry in sys.path:
        try:
            root = pathlib.Path(entry or os.getcwd()).resolve()
            parts = path.with_suffix("").relative_to(root).parts
        except (OSError, ValueError):
            continue
        packages = [root.joinpath(*parts[:i]) for i in range(1, len(parts))]
        if not all(p.isidentifier() for p in parts) or not all(
                (package / "__init__.py").exists() for package in packages):
            continue
        name = ".".join(parts)
        module = sys.modules.get(name)
        if module is not None:
            return name if _same_file(module, path) else None
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is not None and spec.origin and pathlib.Path(spec.origin).resolve() == path:
            return name
    return None


def _same_file(module: types.ModuleType, path: pathlib.Path) -> bool:
    origin = getattr(module, "__file__", None)
    return origin is not None and pathlib.Path(origin).resolve() == path


def _stable_name(path: pathlib.Path) -> str:
    """``acvae_plugin_<stem>_<hash of the path>``: the same file gets the same name."""
    digest = hashlib.sha1(str(path).encode("utf-8")).hexdigest()[:8]
    stem = "".join(c if c.isalnum() else "_" for c in path.stem)
    return f"acvae_plugin_{stem}_{digest}"


def _import_file(path: pathlib.Path) -> types.ModuleType:
    name = _module_name(path)
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
      FileNotFoundError: a path is not a file (one line).
      ImportError: a file raised while being imported (one line naming the file and the error).
    """
    modules = []
    for given in paths:
        path = pathlib.Path(given).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"no plugin file at {given}")
        path = path.resolve()
        if path not in _LOADED:
            try:
                _LOADED[path] = _import_file(path)
            except Exception as error:  # a plugin may raise anything while importing
                raise ImportError(f"plugin {given} failed to import: {_first_line(error)}") \
                    from error
        modules.append(_LOADED[path])
    return modules


def loaded() -> list[pathlib.Path]:
    """Resolved paths of the plugin files loaded in this process, in load order."""
    return list(_LOADED)


def recorded(run_dir: str | os.PathLike) -> list[pathlib.Path]:
    """The plugin files listed in ``RUN/plugins.txt`` (none when the file does not exist)."""
    record = pathlib.Path(run_dir) / RECORD_FILE
    if not record.exists():
        return []
    lines = record.read_text(encoding="utf-8").splitlines()
    return [pathlib.Path(line.strip()) for line in lines if line.strip()
            and not line.lstrip().startswith("#")]


def record(run_dir: str | os.PathLike) -> None:
    """Adds every plugin file loaded in this process to ``RUN/plugins.txt`` (atomically).

    Files recorded earlier stay listed, so resuming a run keeps its plugins. Nothing is
    written when no plugin file was loaded and none was recorded.
    """
    from acvae import fileio

    paths = list(dict.fromkeys([*recorded(run_dir), *loaded()]))
    if not paths:
        return
    header = "# plugin files this run needs; acvae.runs.load_run imports them again\n"
    fileio.write_text(pathlib.Path(run_dir) / RECORD_FILE,
                      header + "".join(f"{path}\n" for path in paths))


def load_recorded(run_dir: str | os.PathLike) -> list[types.ModuleType]:
    """Imports the plugin files a run recorded (for ``acvae.runs.load_run``).

    Raises:
      FileNotFoundError: a recorded file is gone (one line naming it and the run).
      ImportError: a recorded file fails to import.
    """
    paths = recorded(run_dir)
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise FileNotFoundError(
            f"{run_dir} needs plugin file(s) that no longer exist: {', '.join(missing)} "
            f"(listed in {pathlib.Path(run_dir) / RECORD_FILE})")
    return load(paths)
