"""Loading gin configs for the entry points, and turning config mistakes into one message.

``load`` resolves ``include`` lines relative to the including file, the current folder and
the project root, applies ``--gin_param`` bindings last and finalizes the config (no binding
changes after that). ``explain`` adds the valid names to gin's message for an unknown one.
"""

from __future__ import annotations

import inspect
import pathlib
import re

import gin

from acvae import registry

PROJECT_ROOT = pathlib.Path(__file__).resolve().parent.parent
USER_ERRORS = (ValueError, FileNotFoundError, ImportError, SyntaxError)


def load(gin_files: list[str], gin_params: list[str], finalize: bool = True) -> None:
    """Parses ``gin_files`` in order, then ``gin_params``; optionally finalizes.

    Raises:
      FileNotFoundError: a gin file does not exist.
      ValueError, ImportError, SyntaxError: from gin for a bad config.
    """
    for path in gin_files:
        if not pathlib.Path(path).exists():
            raise FileNotFoundError(f"no gin file at {path}")
    search = [pathlib.Path.cwd(), PROJECT_ROOT] + [pathlib.Path(p).resolve().parent for p in gin_files]
    for folder in dict.fromkeys(search):
        gin.add_config_file_search_path(str(folder))
    gin.parse_config_files_and_bindings(gin_files, gin_params, finalize_config=finalize)


def explain(error: Exception) -> str:
    """gin's message for ``error`` plus the valid names when it names an unknown one.

    gin's "In call to configurable ..." trail is dropped: the message itself says what to do.
    """
    lines = str(error).strip().splitlines()
    message = "\n".join(l for l in lines if not l.lstrip().startswith("In call to configurable"))
    match = re.search(r"No configurable matching (?:reference )?'@?([\w.]+)'", message)
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


def parameters(name: str) -> list[str]:
    """The parameter names a configurable accepts, for error messages."""
    target = gin.get_configurable(name)
    target = getattr(target, "__init__", target) if inspect.isclass(target) else target
    return [
        p.name
        for p in inspect.signature(target).parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
