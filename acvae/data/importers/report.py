"""The report of an import: how many items were written where, and every record or file left out.

Every layout reports in the same style, one line per problem, grouped by kind in the order of
``ISSUE_KINDS`` (a kind with several lines is preceded by its count)::

    wrote 1905 images to data/twemoji.tfrecord (annotations: data/twemoji.annotations.json)
    identifier name; labels: category (categorical, 9 values), subcategory (categorical, 98 values)
    duplicate: name 'man in tuxedo' on line 1236 repeats line 1231; kept the first (...)
"""

from __future__ import annotations

import dataclasses
import itertools
import pathlib

from acvae.data.schema import Schema

ISSUE_KINDS = (
    "no image",  # a record whose image file is missing
    "no villager",  # an image no record names (villager layout)
    "no row",  # an image no row names (table layout)
    "unreadable",
    "too large",
    "duplicate",  # a repeated identifier, or a second row naming one image
    "incomplete",  # a record lacking the identifier, the image or a label
    "ignored",  # a file, folder or column that is not part of the layout
    "skipped",  # hidden files and folders, and those an OS leaves (.DS_Store, __MACOSX)
    "not categorical",  # a label kept as text: constant, or one value per item
)


@dataclasses.dataclass(frozen=True)
class Issue:
    """One record, file or column that did not become part of the dataset as is, and why."""

    kind: str  # one of ISSUE_KINDS
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


def plural(count: int, noun: str) -> str:
    """``"1 image"``, ``"2 images"``."""
    return f"{count} {noun}{'s' * (count != 1)}"


@dataclasses.dataclass
class Report:
    """What an import wrote and everything it left out.

    Attributes:
      noun: what one item is called in the report (``villager``, ``image``).
      written: the number of Examples written.
      files: the TFRecord files written.
      annotations: the JSON file of every written item's text columns.
      schema: the schema stored in the files.
      describe_schema: print a line naming the identifier and each label's kind.
      issues: everything left out, in the order found.
    """

    noun: str = "image"
    written: int = 0
    files: list[pathlib.Path] = dataclasses.field(default_factory=list)
    annotations: pathlib.Path | None = None
    schema: Schema | None = None
    describe_schema: bool = False
    issues: list[Issue] = dataclasses.field(default_factory=list)

    def lines(self) -> list[str]:
        """The report for a person: the count written, the schema, then the issues by kind."""
        where = ", ".join(str(path) for path in self.files) or "nowhere"
        head = f"wrote {plural(self.written, self.noun)} to {where}"
        if self.annotations:
            head += f" (annotations: {self.annotations})"
        lines = [head]
        if self.describe_schema and self.schema is not None:
            labels = ", ".join(
                f"{label.name} ({label.kind()}"
                + ("" if label.continuous else f", {plural(len(label.values), 'value')}") + ")"
                for label in self.schema.labels
            )
            lines.append(f"identifier {self.schema.id}; labels: {labels or 'none'}")
        ordered = sorted(self.issues, key=lambda issue: ISSUE_KINDS.index(issue.kind))
        for kind, group in itertools.groupby(ordered, key=lambda issue: issue.kind):
            group = list(group)
            if len(group) > 1:
                lines.append(f"{kind}: {len(group)} in all")
            lines += [str(issue) for issue in group]
        return lines


def label_issues(schema: Schema, n_items: int, noun: str) -> list[Issue]:
    """A ``not categorical`` line for every label kept as text only (constant or identifier-like;
    continuous labels are numbers, not text).

    Args:
      schema: the schema of the written items (labels with their values).
      n_items: how many items were written.
      noun: what one item is called (``image``).
    """
    issues = []
    items = plural(n_items, noun)
    for label in schema.labels:
        if label.categorical or label.continuous:
            continue
        if label.kind() == "constant":
            what = f"has one value ({label.values[0]!r}) in all {items}" if label.values else (
                f"has no value in {items}")
        else:
            what = f"has {len(label.values)} different values in {items}, like an identifier"
        message = f"label {label.name!r} {what}; kept as text, not coloured or probed"
        issues.append(Issue("not categorical", message))
    return issues
