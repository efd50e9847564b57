"""Loads a script of ``benchmarks/`` as a module, with its folder on ``sys.path`` while it
imports, as when it runs (the scripts import their neighbours: ``quality``, ``machine``)."""

import importlib.util
import sys

from tests.conftest import REPO


def load(name: str):
    """``benchmarks/<name>.py`` as a fresh module."""
    folder = str(REPO / "benchmarks")
    sys.path.insert(0, folder)
    try:
        spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(folder)
    return module
