"""What a dataset holds: an identifier column and label columns, worked out from the data.

A dataset is a contract, not a constant (disentanglement_lib's ``ground_truth_data``): every
item has an image, a unique identifier (used for the train/validation split, for captions and
for look-ups by name) and any number of labels. ``Schema.infer`` decides from the values which
labels are **categorical** (a few distinct values: coloured in figures, probed by
``evaluate``, usable as a condition), which are **continuous** (numbers, not text: a generative
factor such as a hue or a size, stored as a float) and which are identifier-like (about one
value per item) or constant (one value): those are kept as text but never coloured or probed.
Categorical and continuous labels are the dataset's **factors** (``Schema.factors``), which
the disentanglement scores relate to the code. Text is never taken for a number: the importers
of tables and class folders hand over text, so only a source with typed values (the villager
JSON's numbers, see ``acvae.data.importers.kaggle``) has continuous labels.
The schema travels with the data: ``acvae.prepare`` stores its ``header`` (the columns and
which labels are categorical or continuous) in every TFRecord Example, the input pipeline
reads it back and adds each categorical label's values (``InputData.schema``), so no later
module names a label.
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
from collections.abc import Mapping, Sequence

from acvae.data.batches import ids_key
from acvae.data.errors import DataError

# a label with more than this share of distinct values per item is identifier-like ...
IDENTIFIER_SHARE = 0.9
# ... in a table of at least this many items (fewer cannot tell a category from a name)
IDENTIFIER_MIN_ITEMS = 20
# the feature names every TFRecord Example has besides the text columns
IMAGE_FEATURE = "image"
SCHEMA_FEATURE = "_schema"
HEADER_VERSION = 1  # a header without continuous labels (byte for byte as before they existed)
CONTINUOUS_HEADER_VERSION = 2  # a header with continuous labels: older readers refuse it in a line


class SchemaError(DataError):
    """A schema that cannot describe the data; the message is one line saying why."""


@dataclasses.dataclass(frozen=True)
class Label:
    """One label column.

    Attributes:
      name: the column name (a feature key of the TFRecord and of every batch).
      values: its sorted distinct values over the whole dataset; batches carry
        ``<name>_id``, an int32 index into this tuple, for categorical labels. Empty for a
        continuous label.
      categorical: few distinct values (not constant, not one per item).
      continuous: a number per item (a float feature in the TFRecord, float32 in batches).
    """

    name: str
    values: tuple[str, ...]
    categorical: bool
    continuous: bool = False

    def kind(self) -> str:
        """``"categorical"``, ``"continuous"``, ``"constant"`` or ``"identifier"`` (for
        reports)."""
        if self.categorical:
            return "categorical"
        if self.continuous:
            return "continuous"
        return "constant" if len(self.values) <= 1 else "identifier"


@dataclasses.dataclass(frozen=True)
class Schema:
    """The identifier column and the label columns of a dataset, in table order.

    Attributes:
      id: the identifier column (unique per item).
      labels: every other label column.

    Raises:
      SchemaError: a column name is empty, repeated, or taken by a feature of its own
        (``image``, ``_schema``, or ``<label>_id`` of a categorical label), or a label is
        both categorical and continuous.
    """

    id: str
    labels: tuple[Label, ...] = ()

    def __post_init__(self):
        for label in self.labels:
            if label.categorical and label.continuous:
                raise SchemaError(f"label {label.name!r} cannot be categorical and continuous")
        names = self.columns
        taken = {IMAGE_FEATURE, SCHEMA_FEATURE}
        taken |= {ids_key(label.name) for label in self.categorical}
        for name in names:
            if not name:
                raise SchemaError("a column has an empty name")
            if names.count(name) > 1:
                raise SchemaError(f"column {name!r} appears twice")
            if name in taken:
                raise SchemaError(
                    f"column {name!r} clashes with a feature of the same name in the TFRecord "
                    "and every batch; rename the column"
                )

    @property
    def columns(self) -> tuple[str, ...]:
        """Every text column: the identifier first, then the labels."""
        return (self.id,) + tuple(label.name for label in self.labels)

    @property
    def categorical(self) -> tuple[Label, ...]:
        """The categorical labels, in table order (the first is the default for figures)."""
        return tuple(label for label in self.labels if label.categorical)

    @property
    def continuous(self) -> tuple[Label, ...]:
        """The continuous labels, in table order."""
        return tuple(label for label in self.labels if label.continuous)

    @property
    def factors(self) -> tuple[Label, ...]:
        """The labels that describe the items, categorical and continuous, in table order."""
        return tuple(label for label in self.labels if label.categorical or label.continuous)

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

    def header(self) -> str:
        """The compact JSON stored in every TFRecord Example: the columns and which labels are
        categorical, without the values (the reader collects those from the data).

        ``{"categorical": ["category"], "id": "name", "labels": ["category", "note"], "version": 1}``

        A schema with continuous labels says which (``"continuous": [...]``) under version 2,
        which acvae before continuous labels refuses with a one-line error; without them the
        header is version 1, as it always was, so the fingerprints of existing runs' data hold.
        """
        header = {
            "version": HEADER_VERSION,
            "id": self.id,
            "labels": [label.name for label in self.labels],
            "categorical": [label.name for label in self.categorical],
        }
        if self.continuous:
            header.update(version=CONTINUOUS_HEADER_VERSION,
                          continuous=[label.name for label in self.continuous])
        return json.dumps(header, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_header(
        cls, text: str, values: Mapping[str, Sequence[str]] | None = None
    ) -> "Schema":
        """Inverse of ``header``, with each label's ``values`` when given (sorted here).

        Raises:
          SchemaError: the text is not a header this version of acvae can read.
        """
        try:
            raw = json.loads(text)
            version = raw["version"]
            id_column, names = str(raw["id"]), [str(name) for name in raw["labels"]]
            categorical = {str(name) for name in raw["categorical"]}
            continuous = {str(name) for name in raw.get("continuous", ())}
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise SchemaError(f"not a dataset schema header: {error}") from None
        if version not in (HEADER_VERSION, CONTINUOUS_HEADER_VERSION):
            raise SchemaError(
                f"schema version {version!r} is not {HEADER_VERSION} or "
                f"{CONTINUOUS_HEADER_VERSION}; run the acvae that wrote the data, or run python "
                "-m acvae.prepare again"
            )
        if not continuous <= set(names):
            raise SchemaError(f"not a dataset schema header: continuous labels "
                              f"{sorted(continuous - set(names))} are not among its labels")
        values = values or {}
        labels = tuple(
            Label(name, () if name in continuous else tuple(sorted(set(values.get(name, ())))),
                  name in categorical, name in continuous)
            for name in names
        )
        return cls(id=id_column, labels=labels)

    @classmethod
    def infer(cls, id_column: str, columns: Mapping[str, Sequence[str]]) -> "Schema":
        """The schema of a table whose columns are ``columns`` (name -> one value per item).

        A label whose values are all finite numbers (``int`` or ``float``, not text, not
        ``bool``), at least two of them distinct, is **continuous**. Otherwise its values are
        text: it is **constant** with one distinct value; **identifier-like** when more than
        ``IDENTIFIER_SHARE`` of its values are distinct in a table of at least
        ``IDENTIFIER_MIN_ITEMS`` items; otherwise **categorical**. So Twemoji's 98
        subcategories over 1,906 images are categorical, a column of one name per item is
        not, and a 24-item fixture with 18 values of a label still colours by it; a column of
        numbers written as text (a CSV's) stays text, as users' tables always were.

        Args:
          id_column: the identifier column; must be among ``columns``.
          columns: every column, in table order, each with one value per item (text, or
            numbers for a continuous label; ``serialize_example`` writes numbers of another
            column as text).

        Raises:
          SchemaError: the identifier column is missing, or a column name is not allowed.
        """
        if id_column not in columns:
            raise SchemaError(
                f"no identifier column {id_column!r}; columns: {', '.join(columns) or 'none'}"
            )
        labels = []
        for name, values in columns.items():
            if name == id_column:
                continue
            if all(map(is_number, values)) and len(set(values)) >= 2:
                labels.append(Label(name, (), False, continuous=True))
                continue
            distinct = tuple(sorted({str(value) for value in values}))
            n_items = len(values)
            identifier = (
                n_items >= IDENTIFIER_MIN_ITEMS and len(distinct) > IDENTIFIER_SHARE * n_items
            )
            labels.append(Label(name, distinct, len(distinct) >= 2 and not identifier))
        return cls(id=id_column, labels=tuple(labels))


def is_number(value) -> bool:
    """Whether ``value`` is a finite ``int`` or ``float`` (not text, not ``bool``): the values
    of a continuous label."""
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value))
