"""``python -m acvae.main --gin_file=configs/demo.gin``: the train command
(``acvae.commands.train``), kept at the top of the package for the usage line users type."""

from acvae.commands.train import main
from acvae.core import cli

__all__ = ["main"]

if __name__ == "__main__":
    cli.run(main)
