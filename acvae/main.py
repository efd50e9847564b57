"""``python -m acvae.main --gin_file=configs/demo.gin``: the train command
(``acvae.commands.train``), kept at the top of the package for the usage line users type."""

from acvae.commands.train import main, run

__all__ = ["main", "run"]

if __name__ == "__main__":
    run()
