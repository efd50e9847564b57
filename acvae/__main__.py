"""acvae's commands in one place: ``python -m acvae COMMAND [flags]`` or ``acvae COMMAND [flags]``.

``python -m acvae --help`` lists the commands; ``python -m acvae COMMAND --help`` shows one
command's flags. Each command is also a console script (``acvae-train``, ``acvae-evaluate``,
...). Either way TensorFlow starts quietly before the command's module is imported
(``acvae.core.cli.launch``): none of its C++ start-up lines unless ``--verbosity=1`` or more.
"""

from __future__ import annotations

import dataclasses
import sys

from acvae import __version__


@dataclasses.dataclass(frozen=True)
class Command:
    """A command: its module (with ``main(argv)``) and what it does, in one line."""

    name: str
    module: str
    summary: str

    def __call__(self) -> None:
        """Runs the command on ``sys.argv[1:]`` (a console script's entry point)."""
        from acvae.core import cli

        cli.launch(self.module, f"acvae {self.name}", sys.argv[1:])


COMMANDS = (
    Command("synthetic", "acvae.commands.synthetic",
            "draw synthetic villagers in the Kaggle layout (JSON + PNGs)"),
    Command("prepare", "acvae.prepare", "turn images and labels into a TFRecord with its schema"),
    Command("show-sample", "acvae.commands.show_sample", "a labelled grid of images from a TFRecord"),
    Command("train", "acvae.main", "train a VAE from gin configs into a run folder"),
    Command("visualise", "acvae.commands.visualise", "write a run's figures and index.html"),
    Command("evaluate", "acvae.commands.evaluate", "ELBO, IWAE, probes and more into metrics.json"),
    Command("generate", "acvae.commands.generate", "sample, interpolate or reconstruct images"),
    Command("export", "acvae.commands.export", "export a run's model as a SavedModel"),
)
BY_NAME = {command.name: command for command in COMMANDS}

# Console-script entry points (setup.cfg): one per command.
synthetic, prepare, show_sample, train, visualise, evaluate, generate, export = COMMANDS


def usage() -> str:
    """The command list ``--help`` prints."""
    width = max(len(command.name) for command in COMMANDS)
    lines = [f"acvae {__version__}: train and explore VAEs on labelled images.", "",
             "usage: python -m acvae COMMAND [flags]   (or: acvae COMMAND [flags])", "",
             "commands:"]
    lines += [f"  {command.name:<{width}}  {command.summary}" for command in COMMANDS]
    lines += ["", "python -m acvae COMMAND --help shows a command's flags; --verbosity=1 shows "
              "TensorFlow's start-up lines."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Runs ``acvae COMMAND [flags]`` (``argv`` without the program name; ``sys.argv[1:]``)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        sys.exit(0 if argv else 2)
    if argv[0] == "--version":
        print(f"acvae {__version__}")
        return
    name = argv[0].replace("_", "-")
    if name not in BY_NAME:
        print(f"error: unknown command {argv[0]!r}; valid: {', '.join(BY_NAME)}",
              file=sys.stderr)
        sys.exit(2)
    from acvae.core import cli

    command = BY_NAME[name]
    cli.launch(command.module, f"acvae {command.name}", argv[1:])


if __name__ == "__main__":
    main()
