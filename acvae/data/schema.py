"""What a dataset holds: an identifier column and label columns, worked out from the data.

A dataset is a contract, not a constant (disentanglement_lib's ``ground_truth_data``): every
item has an image, a unique identifier (used for the train/validation split, for captions and
for look-ups by name) and any number of string labels. ``Schema.infer`` decides from the
values which labels are **categorical** (a few distinct values: coloured in figures, probed
by ``evaluate``, usable as a condition) and which are identifier-like (about one value per
item) or constant (one value): those are kept as text but never coloured or probed.
The schema travels with the data (``InputData.schema``), so no later module names a label.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence

# a label with at least this share of distinct values per item is identifier-like
IDENTIFIER_SHARE = 0.9


class SchemaError(ValueError):
    """A schema that cannot describe the data; the message is one line saying why."""


@dataclasses.dataclass(frozen=True)
class Label:
    """One label column.

    Attributes:
      name: the column name (a feature key of the TFRecord and of every batch).
      values: its sorted distinct values over the whole dataset; batches carry
        ``<name>_id``, an int32 index into this tuple, for categorical labels.
      categorical: few distinct values (not constant, not one per item).
    """

    name: str
    values: tuple[str, ...]
    categorical: bool

    def kind(self) -> str:
        """``"categorical"``, ``"constant"`` or ``"identifier"`` (for reports)."""
        if self.categorical:
            return "categorical"
        return "constant" if len(self.values) <= 1 else "identifier"


@dataclasses.dataclass(frozen=True)
class Schema:
    """The identifier column and the label columns of a dataset, in table order.

    Attributes:
      id: the identifier column (unique per item).
      labels: every other label column.
    """

    id: str
    labels: tuple[Label, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Every text column: the identifier first, then the labels."""
        return (self.id,) + tuple(label.name for label in self.labels)

    @property
    def categorical(self) -> tuple[Label, ...]:
        """The categorical labels, in table order (the first is the default for figures)."""
        return tuple(label for label in self.labels if label.categorical)

    def label(self, name: str) -> Label:
        """The label called ``name``.

        Raises:
          SchemaError: no such label; the message lists the valid ones.
        """
        for label in self.labels:
            if label.name == name:
                return label
        valid = ", ".join(label.name for label in self.labels) or "none"
        raise SchemaError(f"the dataset has no label {name!r}; its labels: {valid}")

    def categorical_label(self, name: str | None = None) -> Label:
        """A categorical label by name, or the first one when ``name`` is None.

        Raises:
          SchemaError: no such categorical label (the message lists the valid ones).
        """
        valid = ", ".join(label.name for label in self.categorical) or "none"
        if name is None:
            if not self.categorical:
                raise SchemaError("the dataset has no categorical label")
            return self.categorical[0]
        label = self.label(name)
        if not label.categorical:
            raise SchemaError(
                f"label {name!r} is {label.kind()} ({len(label.values)} values), not "
                f"categorical; categorical labels: {valid}"
            )
        return label

    def to_json(self) -> str:
        """The schema as a JSON object (stable key order)."""
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Schema":
        """Inverse of ``to_json``.

        Raises:
          SchemaError: the text is not a schema.
        """
        try:
            raw = json.loads(text)
            labels = tuple(
                Label(str(l["name"]), tuple(str(v) for v in l["values"]), bool(l["categorical"]))
                for l in raw["labels"]
            )
            return cls(id=str(raw["id"]), labels=labels)
        except (ValueError, KeyError, TypeError) as error:
            raise SchemaError(f"not a dataset schema: {error}") from None

    @classmethod
    def infer(cls, id_column: str, columns: Mapping[str, Sequence[str]]) -> "Schema":
        """The schema of a table whose text columns are ``columns`` (name -> one value per item).

        A label is categorical when it has at least two distinct values and fewer than
        ``IDENTIFIER_SHARE`` distinct values per item.

        Args:
          id_column: the identifier column; must be among ``columns``.
          columns: every text column, in table order, each with one value per item.

        Raises:
          SchemaError: the identifier column is missing.
        """
        if id_column not in columns:
            raise SchemaError(
                f"no identifier column {id_column!r}; columns: {', '.join(columns) or 'none'}"
            )
        labels = []
        for name, values in columns.items():
            if name == id_column:
                continue
            distinct = tuple(sorted(set(values)))
            n_items = max(1, len(values))
            categorical = 2 <= len(distinct) < IDENTIFIER_SHARE * n_items
            labels.append(Label(name, distinct, categorical))
        return cls(id=id_column, labels=tuple(labels))

