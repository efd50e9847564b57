"""Command line: an image set in any supported layout -> a training-ready TFRecord and a report.

    python -m acvae.prepare villagers.json images/ [--out data/villagers.tfrecord]
    python -m acvae.prepare labels.csv images/ [--id name] [--labels a,b] [--image_column file]
    python -m acvae.prepare classes/ [--class_column class]

The layout (the villager JSON + images, a label table + images, or one folder per class) is
recognised from the arguments, or named with ``--layout``. Prints how many items were written,
the schema found (for tables and class folders), and one line for every record or file left
out (no image, no villager / no row, unreadable, too large, duplicate, incomplete, ignored)
and every label kept as text only (not categorical). Exits 0 when at least one item was
written, otherwise prints one ``error:`` line and exits 1; nothing is written half-way.
"""

from __future__ import annotations

from absl import flags

from acvae import cli
from acvae.errors import UserError

FLAGS = flags.FLAGS
LAYOUTS = ("kaggle", "table", "folders")


def define_flags() -> None:
    """Defines the command's flags (only when it runs, so importing it defines none)."""
    flags.adopt_module_key_flags(cli)  # --traceback, shown by --help
    flags.DEFINE_string(
        "out", None, "TFRecord to write (default: data/villagers.tfrecord for the villager JSON, "
        "else data/<folder name>.tfrecord).")
    flags.DEFINE_integer("shards", 1, "Number of TFRecord files.")
    flags.DEFINE_enum("layout", None, LAYOUTS, "The layout, when not recognised: kaggle "
                      "(villager JSON + images), table (label table + images), folders (one "
                      "folder per class).")
    flags.DEFINE_string("image_column", None, "Table: the column naming each image file "
                        "(default: file, filename, image or path).")
    flags.DEFINE_string("id", None, "Table: the identifier column (default: name, else the "
                        "image file name without its extension).")
    flags.DEFINE_list("labels", None, "Table: the label columns to keep (default: all others).")
    flags.DEFINE_string("class_column", None, "Class folders: the label holding the folder "
                        "name (default: class).")


def main(argv: list[str]) -> None:
    arguments = argv[1:]
    if not 1 <= len(arguments) <= 2:
        raise UserError(
            "give SOURCE [IMAGES_DIR]: python -m acvae.prepare villagers.json images/, "
            "labels.csv images/, or classes/ (one folder per class)")
    if FLAGS.shards < 1:
        raise UserError("--shards must be at least 1")
    from acvae.data import importers

    report = importers.prepare(
        arguments[0],
        arguments[1] if len(arguments) == 2 else None,
        out=FLAGS.out,
        layout=FLAGS.layout,
        shards=FLAGS.shards,
        image_column=FLAGS.image_column,
        id_column=FLAGS.id,
        labels=FLAGS.labels,
        class_column=FLAGS.class_column,
    )
    print("\n".join(report.lines()))


def run(argv: list[str] | None = None) -> None:
    """Entry point (``acvae-prepare``): defines the flags and runs ``main`` under the
    command-line convention (``acvae.cli``)."""
    define_flags()
    cli.run(main, argv)


if __name__ == "__main__":
    run()
