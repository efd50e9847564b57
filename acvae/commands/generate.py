"""Images from a trained model: ``python -m acvae generate --run_dir=RUN COMMAND ... [flags]``.

Commands:

- ``sample --n=64 --out=grid.png [--label_value=Frog]``: decoded samples (of the model's
  ``sampler``, the prior unless another is set; a learned sampler is restored from
  ``RUN/sampler``, or fitted in memory with a line saying so, as ``generate`` never writes the
  run: ``acvae.runs.experiment.Run.fit_sampler``) as a grid; with ``--label_value``, from a
  label-conditional model (``configs/conditional.gin``) for that value of its label.
  ``--species`` is the villagers' alias of ``--label_value``.
- ``interpolate "Agent S" "Peanut" --steps=12 --out=walk.gif [--linear]``: a walk between the
  posterior means of two dataset items, by identifier; spherical (slerp, White 2016,
  "Sampling Generative Networks") by default, linear with ``--linear``. A conditional model
  also blends the two items' label values.
- ``reconstruct IMAGE.png --out=rec.png [--label_value=Frog]``: any image file, fitted like the
  training data (aspect kept, padded), beside its reconstruction.

The run is rebuilt with ``acvae.runs.experiment.load_run`` (its best checkpoint; ``--checkpoint=
latest`` for the latest). Every flag is checked before any work: its range (absl bounds and
validators), and ``--out``: its extension must name a format the command writes (``FORMATS``;
``interpolate --out walk.png`` writes the frames side by side), and an existing file there
is replaced only when acvae wrote it (``acvae.core.outputs``), else with ``--overwrite``. Once the
run's image size is known, before anything is decoded, an output too large to hold or to open
(``outputs.check_pixels``: ``--n``, ``--cols``, ``--steps`` and ``--scale`` together) is
refused. Outputs are written atomically; mistakes end with one ``error:`` line (unknown names list the
closest).
"""

from __future__ import annotations

import math
import pathlib

import numpy as np
from absl import flags

from acvae.analysis import generation
from acvae.commands import run_flags
from acvae.core import cli, fileio, outputs
from acvae.core.errors import UserError

RUN_DIR, TRUST_PLUGINS, ALLOW_DATA_CHANGE, CHECKPOINT = run_flags.define()
SEED = cli.define(flags.DEFINE_integer, "seed", 0, "Seed for samples.", lower_bound=0)
OUT = cli.define(flags.DEFINE_string, "out", None, "Output file (default: samples.png, "
                 "walk.gif or reconstruction.png).")
OVERWRITE = cli.define(flags.DEFINE_bool, *outputs.OVERWRITE_FLAG)
N = cli.define(flags.DEFINE_integer, "n", 64, "sample: number of samples.", lower_bound=1)
COLS = cli.define(flags.DEFINE_integer, "cols", None, "sample: grid columns (default: square).",
                  lower_bound=1)
BACKGROUND = cli.define(flags.DEFINE_string, "background", "white", "Colour under RGBA images.")
SCALE = cli.define(flags.DEFINE_integer, "scale", 2, "Pixel upscaling of the output.",
                   lower_bound=1)
STEPS = cli.define(flags.DEFINE_integer, "steps", 12, "interpolate: frames, both ends included.",
                   lower_bound=2)
LINEAR = cli.define(flags.DEFINE_bool, "linear", False, "interpolate: linear, not spherical.")
FPS = cli.define(flags.DEFINE_float, "fps", 6.0, "interpolate: GIF frames per second.")
flags.register_validator("fps", lambda fps: 0 < fps < math.inf,
                         "must be a number of frames per second above 0")
LABEL_VALUE = cli.define(flags.DEFINE_string, "label_value", None,
                         "sample, reconstruct: a value of the label a conditional model "
                         "conditions on (e.g. Frog).")
SPECIES = cli.define(flags.DEFINE_string, "species", None,
                     "Villager runs: alias of --label_value for a species-conditional model.")

COMMANDS = {"sample": "samples.png", "interpolate": "walk.gif",
            "reconstruct": "reconstruction.png"}
FORMATS = {"sample": (".png",), "interpolate": (".gif", ".png"), "reconstruct": (".png",)}
MAX_SAMPLES = 1024  # one grid image; more would not fit in memory as a picture


def requested_value(model) -> str | None:
    """``--label_value``, or ``--species`` for a model conditioned on species (villagers)."""
    if SPECIES.value is None:
        return LABEL_VALUE.value
    label = model.conditions
    if label is not None and label.name != "species":
        raise UserError(f"this model conditions on {label.name!r}, not species: use "
                        "--label_value")
    return SPECIES.value


def _grid(decoded: np.ndarray, cols: int, background: str, scale: int) -> np.ndarray:
    """``decoded`` [N, H, W, C] as one RGB picture: on ``background``, enlarged ``scale``
    times, in ``cols`` columns."""
    from acvae.visualise import images

    rgb = images.enlarge(images.to_rgb(decoded, background), scale)
    return images.tile(rgb, cols, fill=images.fill_colour(background))


def _frame(image: np.ndarray, i: int, n: int, background: str, scale: int) -> np.ndarray:
    """One GIF frame: the image above a progress bar (which keeps every frame distinct)."""
    from acvae.visualise import images

    picture = _grid(image[None], 1, background, scale)
    strip = images.caption_strip(f"{i + 1}/{n}", picture.shape[1], background=background,
                                 progress=i / max(1, n - 1))
    return np.concatenate([picture, strip])


def _check(argv: list[str]) -> tuple[str, list[str], pathlib.Path]:
    """(command, its arguments, output path) from the command line; one line if wrong."""
    from acvae.visualise import images

    if len(argv) < 2 or argv[1] not in COMMANDS:
        raise UserError(f"give a command: {', '.join(COMMANDS)} (e.g. python -m acvae generate "
                        "--run_dir=runs/demo sample --n=16)")
    command, args = argv[1], argv[2:]
    expected = {"sample": 0, "interpolate": 2, "reconstruct": 1}[command]
    if len(args) != expected:
        raise UserError(f"{command} takes {expected} argument(s), got {len(args)}: "
                        f"{' '.join(args) or 'none'}")
    if not RUN_DIR.value:
        raise UserError("--run_dir is required (a folder made by python -m acvae.main)")
    if N.value > MAX_SAMPLES:  # --n is shared with other commands: its upper bound is here
        raise UserError(f"--n must be between 1 and {MAX_SAMPLES}, got {N.value}")
    try:
        images.parse_colour(BACKGROUND.value)
    except UserError as error:
        raise UserError(f"--background: {error}") from None
    out = pathlib.Path(OUT.value or COMMANDS[command])
    if out.is_dir():
        raise UserError(f"--out {out} is a folder; name a file, e.g. {out / COMMANDS[command]}")
    outputs.check_extension(out, FORMATS[command], command)
    outputs.check(out, OVERWRITE.value, outputs.written_image)
    return command, args, out


def _writer(command: str, args: list[str], out: pathlib.Path, loaded):
    """The decoded images of ``command`` as a ``write(path)`` of the format ``out`` names."""
    from acvae.visualise import files

    background, scale = BACKGROUND.value, SCALE.value
    if command == "sample":
        decoded = generation.sample(loaded, N.value, SEED.value, requested_value(loaded.model))
        cols = COLS.value or int(np.ceil(np.sqrt(N.value)))
        return files.png(_grid(decoded, cols, background, scale))
    if command == "reconstruct":
        decoded = generation.reconstruct(loaded, args[0], requested_value(loaded.model))
        return files.png(_grid(decoded, 2, background, scale))
    decoded = generation.interpolate(loaded, args[0], args[1], STEPS.value, LINEAR.value)
    if out.suffix.lower() == ".png":  # the walk's frames side by side
        return files.png(_grid(decoded, len(decoded), background, scale))
    return files.gif([_frame(image, i, len(decoded), background, scale)
                      for i, image in enumerate(decoded)], FPS.value)


def _check_size(command: str, out: pathlib.Path, image_shape) -> None:
    """Refuses an output of more pixels than ``outputs.MAX_PIXELS``, before decoding."""
    height, width = (side * SCALE.value for side in image_shape)
    if command == "sample":
        cols = COLS.value or int(np.ceil(np.sqrt(N.value)))
        cells, lower = cols * -(-N.value // cols), "--n, --cols or --scale"
    elif command == "reconstruct":
        cells, lower = 2, "--scale"
    else:
        cells, lower = STEPS.value, "--steps or --scale"
    outputs.check_pixels(out, cells * height * width, lower)


def main(argv: list[str]) -> pathlib.Path:
    """Runs the command and returns the file it wrote."""
    command, args, out = _check(argv)
    from acvae.runs import experiment

    loaded = experiment.load_run(RUN_DIR.value, CHECKPOINT.value, TRUST_PLUGINS.value,
                                  ALLOW_DATA_CHANGE.value)
    _check_size(command, out, loaded.data.image_shape)
    write = _writer(command, args, out, loaded)
    try:
        path = fileio.write_with(out, write)
    except OSError as error:
        raise UserError(f"cannot write {out}: {fileio.write_error(error)}") from None
    print(f"wrote {path}", flush=True)
    return path


if __name__ == "__main__":
    cli.run(main)
