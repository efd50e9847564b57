"""Command line: an image set in any supported layout -> a training-ready TFRecord and a report.

    python -m acvae.prepare villagers.json images/ [--out data/villagers.tfrecord] [--labels a,b]
    python -m acvae.prepare labels.csv images/ [--id name] [--labels a,b] [--image_column file]
    python -m acvae.prepare classes/ [--class_column class]

The layout (the villager JSON + images, a label table + images, or one folder per class) is
recognised from the arguments, or named with ``--layout``. Prints how many items were written,
the schema found (for tables and class folders), and one line for every record or file left
out (no image, no villager / no row, unreadable, too large, duplicate, incomplete, ignored)
and every label kept as text only (not categorical). Exits 0 when at least one item was
written, otherwise prints one ``error:`` line and exits 1; nothing is written half-way. An
existing ``--out`` is replaced only when it is a TFRecord acvae wrote (its records carry the
schema header); any other file there is refused before any work unless ``--overwrite``.
"""

from __future__ import annotations

from absl import flags

from acvae.core import cli, outputs
from acvae.core.errors import UserError

LAYOUTS = ("kaggle", "table", "folders")


OUT = cli.define(
    flags.DEFINE_string, "out", None, "TFRecord to write (default: data/villagers.tfrecord for "
    "the villager JSON, else data/<folder name>.tfrecord).")
OVERWRITE = cli.define(flags.DEFINE_bool, *outputs.OVERWRITE_FLAG)
SHARDS = cli.define(flags.DEFINE_integer, "shards", 1, "Number of TFRecord files.",
                    lower_bound=1)
LAYOUT = cli.define(
    flags.DEFINE_enum, "layout", None, LAYOUTS, "The layout, when not recognised: kaggle "
    "(villager JSON + images), table (label table + images), folders (one folder per class).")
IMAGE_COLUMN = cli.define(flags.DEFINE_string, "image_column", None, "Table: the column naming "
                          "each image file (default: file, filename, image or path).")
ID_COLUMN = cli.define(flags.DEFINE_string, "id", None, "Table: the identifier column "
                       "(default: name, else the image file name without its extension).")
LABELS = cli.define(flags.DEFINE_list, "labels", None,
                    "Table: the label columns to keep (default: all others). Villager JSON: "
                    "the fields kept as labels (default: species, personality, gender); JSON "
                    "numbers become continuous labels.")
CLASS_COLUMN = cli.define(flags.DEFINE_string, "class_column", None, "Class folders: the label "
                          "holding the folder name (default: class).")


def main(argv: list[str]) -> None:
    arguments = argv[1:]
    if not 1 <= len(arguments) <= 2:
        raise UserError(
            "give SOURCE [IMAGES_DIR]: python -m acvae.prepare villagers.json images/, "
            "labels.csv images/, or classes/ (one folder per class)")
    from acvae.data import importers

    report = importers.prepare(
        arguments[0],
        arguments[1] if len(arguments) == 2 else None,
        out=OUT.value,
        layout=LAYOUT.value,
        shards=SHARDS.value,
        overwrite=OVERWRITE.value,
        image_column=IMAGE_COLUMN.value,
        id_column=ID_COLUMN.value,
        labels=LABELS.value,
        class_column=CLASS_COLUMN.value,
    )
    print("\n".join(report.lines()))


if __name__ == "__main__":
    cli.run(main)
