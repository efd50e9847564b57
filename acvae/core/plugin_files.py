"""Plugins from outside the package: Python files given by path (``--plugin``), imported once.

A plugin is any module that registers components with ``acvae.core.registry.register``. An
importable module needs nothing from here: an ``import my_module`` line in a ``.gin`` file
imports it (and gin records the line in ``operative_config.gin``). A plain file is loaded with
``python -m acvae.main --plugin path/to/my_plugin.py``: ``load`` imports it, training records
it in ``RUN/plugins.txt`` (``acvae.runs.run_folder.RunFolder.record_plugins``), and ``load_run`` imports
it again so the post-hoc tools rebuild the same model.

A file is imported at most once per process, keyed by its resolved path, and each import is
announced on one line. A file that is also importable by module name (say
``plugins/residual.py`` under the project root) is imported by that name, as importlib resolves
it, so loading it by path and by a gin ``import`` line registers its components once.

A plugin is code, and so is a run folder's ``plugins.txt``: ``load_recorded`` imports only the
files this user chose, namely acvae's own ``plugins/`` and every file this user loaded (with
``acvae.main --plugin`` or ``load``) on this machine, whose paths ``remember`` keeps in
``<cache root>/trusted_plugins.txt``. Any other entry, say from a run folder someone else
made, is refused in one line unless the command is given ``--trust_plugins`` (``TRUST_FLAG``),
which imports it for that command only.
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

from acvae.core import cache, fileio
from acvae.core.errors import UserError, first_line

_LOADED: dict[pathlib.Path, types.ModuleType] = {}
PROJECT_PLUGINS = pathlib.Path(__file__).resolve().parents[2] / "plugins"
TRUSTED_FILE = "trusted_plugins.txt"
# the post-hoc commands' flag: cli.define(flags.DEFINE_bool, *TRUST_FLAG)
TRUST_FLAG = ("trust_plugins", False,
              "Import the plugin files the run lists in RUN/plugins.txt even if they are not "
              "acvae's own nor ones you gave acvae.main --plugin on this machine: a run folder "
              "from someone else can run any code this way.")


class MissingPluginFile(UserError, FileNotFoundError):
    """A plugin path that is not a file."""


class PluginImportError(UserError, ImportError):
    """A plugin file that raised while being imported."""


class UntrustedPlugin(UserError):
    """A run lists a plugin file this user never chose to run."""


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
    if spec is None:  # importlib knows no loader for this kind of file
        raise PluginImportError(f"plugin {path} is not a Python file (a .py module): it cannot "
                                "be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def load(paths: Iterable[str | os.PathLike]) -> list[types.ModuleType]:
    """Imports each plugin file (once per process), registering its components, and records
    it as chosen by this user (``remember``), so the tools on a run that needs it import it.

    Args:
      paths: ``.py`` files (``acvae.main --plugin``, or a program's own choice).

    Returns:
      The plugin modules, in the order given.

    Raises:
      MissingPluginFile: a path is not a file (one line; also a ``FileNotFoundError``).
      PluginImportError: a file raised while being imported (one line naming the file and
        the error; also an ``ImportError``).
    """
    paths = list(paths)
    modules = _import_all(paths)
    remember(paths)
    return modules


def _import_all(paths: list) -> list[types.ModuleType]:
    modules = []
    for given in paths:
        path = pathlib.Path(given).expanduser()
        if not path.is_file():
            raise MissingPluginFile(f"no plugin file at {given}")
        path = path.resolve()
        if path not in _LOADED:
            print(f"plugin: importing {path}", flush=True)
            try:
                _LOADED[path] = _import_file(path)
            except PluginImportError:
                raise
            except Exception as error:  # a plugin may raise anything while importing
                raise PluginImportError(
                    f"plugin {given} failed to import: {first_line(error, with_type=True)}"
                ) from error
        modules.append(_LOADED[path])
    return modules


def loaded() -> list[pathlib.Path]:
    """Resolved paths of the plugin files loaded in this process, in load order."""
    return list(_LOADED)


def _trust_record() -> pathlib.Path:
    return cache.cache_root() / TRUSTED_FILE


def trusted() -> set[pathlib.Path]:
    """The plugin files this user gave ``acvae.main --plugin`` (resolved paths)."""
    try:
        lines = _trust_record().read_text(encoding="utf-8").splitlines()
    except OSError:
        return set()
    return {pathlib.Path(line) for line in lines if line.strip()}


def remember(paths: Iterable[str | os.PathLike]) -> None:
    """Records ``paths`` (files the user chose to import) as trusted for ``load_recorded``.

    A cache that cannot be written only costs a ``--trust_plugins`` later: it is said, not raised.
    """
    chosen = {pathlib.Path(path).expanduser().resolve() for path in paths}
    known = trusted()
    if chosen <= known:
        return
    try:
        fileio.write_text(_trust_record(), "".join(f"{p}\n" for p in sorted(known | chosen)))
    except OSError as error:
        print(f"warning: cannot record the trusted plugin files in {_trust_record()} "
              f"({fileio.write_error(error)}); tools on this run will need --trust_plugins",
              flush=True)


def load_recorded(paths: Iterable[str | os.PathLike], listed_in: str | os.PathLike,
                  trust: bool = False) -> list[types.ModuleType]:
    """Imports the plugin files a run lists, if this user chose them (or ``trust``).

    Args:
      paths: the files listed (``RunFolder.recorded_plugins``).
      listed_in: where they are listed (for messages).
      trust: import files outside acvae's ``plugins/``, ``trusted()`` and those this process
        imported already, as well.

    Raises:
      UntrustedPlugin: a listed file is neither acvae's own nor trusted (one line).
      MissingPluginFile, PluginImportError: as ``load``.
    """
    paths = [pathlib.Path(path).expanduser().resolve() for path in paths]
    chosen = trusted() | set(_LOADED)  # a file this process imported runs nothing new
    strangers = [path for path in paths
                 if path not in chosen and not path.is_relative_to(PROJECT_PLUGINS)]
    if strangers and not trust:
        raise UntrustedPlugin(
            f"{listed_in} lists plugin code you have not run with acvae.main --plugin: "
            f"{', '.join(map(str, strangers))}; read it, then pass --trust_plugins to import it "
            "(a run folder from someone else can run any code this way)")
    return _import_all(paths)
