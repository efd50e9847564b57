"""Helpers for the importer tests: the rows of the label-table fixture and a TFRecord reader."""

import io

import tensorflow as tf
from PIL import Image

from acvae.data import tfrecord
from acvae.data.schema import Schema

# names whose text must survive the round trip intact
AWKWARD = ("comma, and \"quotes\"", "line one\nline two", "$x^2$ costs $5", "Renée 日本 🐸")


def table_rows():
    """(file, name, category, subcategory) rows of a 24-image table, all written."""
    rows = []
    for i in range(24):
        name = AWKWARD[i] if i < len(AWKWARD) else f"emoji {i}"
        category = ("Animals & Nature", "Food, Drink", "Flags")[i % 3]
        rows.append((f"{i:04x}.png", name, category, f"sub-{i % 6}"))
    return rows


def read_rows(out):
    """Every Example of ``out`` as a dict of its text columns, with the schema header."""
    files = tfrecord.resolve_files(out)
    schema = Schema.from_header(tfrecord.read_header(files))
    rows = []
    for serialized in tf.data.TFRecordDataset(files):
        example = tfrecord.parse_example(serialized, schema.columns)
        rows.append({key: example[key].numpy().decode() for key in schema.columns})
        Image.open(io.BytesIO(example["image"].numpy())).verify()
    return schema, rows
