"""Command line: write synthetic villagers in the Kaggle layout, to look at or to import.

    python -m acvae synthetic OUT_DIR [--n 400] [--seed 0]

Writes ``OUT_DIR/villagers.json`` and ``OUT_DIR/images/*.png`` and prints the ``prepare``
command that turns them into a TFRecord keeping every generative factor as a label. Mistakes (a bad ``--n``, a non-empty ``images/``,
an existing ``villagers.json`` without ``--overwrite``, an unwritable folder) are one
``error:`` line, before anything is written.
"""

from __future__ import annotations

import pathlib

from absl import app, flags

from acvae.core import cli, fileio, outputs
from acvae.core.errors import UserError

N = cli.define(flags.DEFINE_integer, "n", 400, "Number of villagers.", lower_bound=1)
SEED = cli.define(flags.DEFINE_integer, "seed", 0,
                  "Random seed: the same seed gives the same villagers.", lower_bound=0)
OVERWRITE = cli.define(flags.DEFINE_bool, *outputs.OVERWRITE_FLAG)


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise app.UsageError("give one OUT_DIR: python -m acvae synthetic OUT_DIR [--n 400]")
    from acvae.data import synthetic
    from acvae.data.synthetic import records

    out_dir = pathlib.Path(argv[1])
    images_dir = out_dir / "images"
    if images_dir.is_dir() and any(images_dir.iterdir()):
        raise UserError(f"{images_dir} is not empty; choose a new folder for synthetic villagers")
    # the JSON holds nothing that says who wrote it: an existing one is never replaced silently
    outputs.check(out_dir / "villagers.json", OVERWRITE.value, lambda path: False,
                  "choose a new folder for synthetic villagers")
    try:
        json_path = synthetic.generate(out_dir, N.value, SEED.value)
    except OSError as error:
        raise UserError(f"cannot write {out_dir}: {fileio.write_error(error)}") from None
    print(f"wrote {N.value} villagers: {json_path} and {images_dir}/\n"
          f"next: python -m acvae.prepare {json_path} {images_dir} "
          f"--out {out_dir / 'villagers.tfrecord'} --labels {','.join(records.FACTORS)}")


if __name__ == "__main__":
    cli.run(main)
