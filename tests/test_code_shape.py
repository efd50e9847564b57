"""Functions that fit on a screen (STYLE.md): no function or method in ``acvae/`` is longer
than ``MAX_LINES`` lines, from its ``def`` line (decorators not counted) to its last line, its
docstring included. Read with ``ast``; nothing is imported."""

from __future__ import annotations

import ast
import pathlib

from tests.conftest import REPO

MAX_LINES = 60


def long_functions(root: pathlib.Path = REPO / "acvae",
                   max_lines: int = MAX_LINES) -> list[str]:
    """``file:line: name (N lines)`` for every function under ``root`` over ``max_lines``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > max_lines:
                    found.append(f"{path.relative_to(root.parent)}:{node.lineno}: "
                                 f"{node.name} ({lines} lines)")
    return found


def test_no_function_in_acvae_is_over_60_lines():
    assert long_functions() == []


def _function(header: str, n_lines: int, indent: str = "") -> str:
    """A function of ``n_lines`` lines, its ``header`` line included."""
    return f"{indent}{header}\n" + "".join(f"{indent}    x = {i}\n" for i in range(n_lines - 1))


def test_a_long_function_or_method_is_found(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "long.py").write_text(
        "@decorated\n" + _function("def fits():", 60)  # lines 2-61: the decorator not counted
        + "class A:\n" + _function("async def method(self):", 61, indent="    "))
    assert long_functions(tmp_path / "pkg") == ["pkg/long.py:63: method (61 lines)"]
