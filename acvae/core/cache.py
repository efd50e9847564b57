"""Where generated datasets are cached: ``cache_dir``, else ``$ACVAE_CACHE``, else
``~/.cache/acvae``.

Synthetic villagers (``acvae.data.synthetic``) and the images of dataset plugins
(``datasets.from_images``) are drawn once and kept there; deleting the folder is always safe.
"""

from __future__ import annotations

import os
import pathlib


def cache_root(cache_dir: str | os.PathLike | None = None) -> pathlib.Path:
    """``cache_dir``, else ``$ACVAE_CACHE``, else ``~/.cache/acvae``."""
    root = cache_dir or os.environ.get("ACVAE_CACHE") or pathlib.Path.home() / ".cache" / "acvae"
    return pathlib.Path(root).expanduser()
