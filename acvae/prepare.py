"""``python -m acvae.prepare --layout=...``: the import command (``acvae.commands.prepare``),
kept at the top of the package for the usage line users type."""

from acvae.commands.prepare import main
from acvae.core import cli

__all__ = ["main"]

if __name__ == "__main__":
    cli.run(main)
