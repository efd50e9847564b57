"""The layer order of ``acvae``'s packages (ARCHITECTURE.md): a lower package never imports a
higher one, at module level or inside a function.

Each module's ``import`` statements are read with ``ast`` (nothing is imported). A module at the
top of the package (``acvae/main.py``, ``acvae/__main__.py``, ...) is an entry point, above
every package; ``acvae/__init__.py`` is the package's face and imports only ``core``.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

from tests.conftest import REPO

# lowest first; each package may import itself and the packages before it
LAYERS = ("core", "data", "models", "runs", "analysis", "visualise", "training", "commands")
PACKAGE = REPO / "acvae"


def module_name(path: pathlib.Path, root: pathlib.Path = PACKAGE) -> str:
    """``acvae.data.pipeline`` for ``acvae/data/pipeline.py`` (``acvae.data`` for its
    ``__init__.py``)."""
    parts = ["acvae", *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: pathlib.Path, root: pathlib.Path = PACKAGE) -> list[tuple[int, str]]:
    """``(line, dotted name)`` of every acvae module or name ``path`` imports, anywhere in it;
    relative imports are resolved against ``path``'s package."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return [(line, dotted) for line, dotted in found
            if dotted == "acvae" or dotted.startswith("acvae.")]


def layer(dotted: str) -> int | None:
    """The index in ``LAYERS`` of the package ``dotted`` lies in; None for the top of acvae
    (``acvae.__version__``, the entry modules)."""
    parts = dotted.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def upward_imports(root: pathlib.Path = PACKAGE) -> list[str]:
    """``file:line: lower imports higher`` for every import against the layer order."""
    found = []
    for path in sorted(root.rglob("*.py")):
        name = module_name(path, root)
        own = layer(name)
        for line, dotted in imported_modules(path, root):
            if dotted == "acvae.__version__":
                continue
            target = layer(dotted)
            if own is None:  # an entry point or the package's face: every layer is below it
                if path.name == "__init__.py" and target != 0:
                    found.append(f"{path}:{line}: acvae/__init__.py imports {dotted}")
                continue
            if target is None or target > own:
                found.append(f"{path}:{line}: {name} ({LAYERS[own]}) imports {dotted} "
                             f"({'the top of acvae' if target is None else LAYERS[target]})")
    return found


def test_every_package_is_a_layer():
    packages = {path.name for path in PACKAGE.iterdir()
                if path.is_dir() and (path / "__init__.py").is_file()}
    assert packages == set(LAYERS)


def test_the_top_of_the_package_holds_only_its_face_and_entry_points():
    assert {path.name for path in PACKAGE.glob("*.py")} == {
        "__init__.py", "__main__.py", "main.py", "prepare.py"}


def test_no_package_imports_a_higher_one():
    assert upward_imports() == []


@pytest.mark.parametrize("source, expected", [
    ("from acvae.training import loop\n", "(runs) imports acvae.training.loop (training)"),
    ("def f():\n    from acvae.visualise import base\n", "imports acvae.visualise.base"),
    ("import acvae.commands.train\n", "imports acvae.commands.train (commands)"),
    ("from acvae import main\n", "imports acvae.main (the top of acvae)"),
    ("from ..analysis import metrics\n", "imports acvae.analysis.metrics (analysis)"),
])
def test_an_upward_import_is_found(tmp_path, source, expected):
    """A copy of the package with one upward import in ``runs`` fails the check."""
    root = tmp_path / "acvae"
    for package in LAYERS:
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "runs" / "bad.py").write_text("from acvae.core import registry\n" + source)
    (found,) = upward_imports(root)
    assert found.startswith(f"{root / 'runs' / 'bad.py'}:") and expected in found
