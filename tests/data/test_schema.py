"""The dataset schema: categorical vs identifier vs constant labels, JSON round trip, look-ups."""

import pytest

from acvae.data.schema import Schema, SchemaError


def _table():
    return {
        "name": [f"item {i}" for i in range(10)],
        "kind": ["a", "b"] * 5,
        "serial": [str(i) for i in range(10)],
        "colour": ["red"] * 10,
    }


def test_infer_tells_categorical_identifier_and_constant_labels():
    schema = Schema.infer("name", _table())
    assert schema.id == "name"
    assert schema.columns == ("name", "kind", "serial", "colour")
    kinds = {label.name: label.kind() for label in schema.labels}
    assert kinds == {"kind": "categorical", "serial": "identifier", "colour": "constant"}
    assert [label.name for label in schema.categorical] == ["kind"]
    assert schema.label("kind").values == ("a", "b")


def test_json_round_trip_keeps_everything():
    schema = Schema.infer("name", {**_table(), "note": ["$x$, \"q\"\nü"] * 5 + ["ok"] * 5})
    assert Schema.from_json(schema.to_json()) == schema


def test_lookups_fail_with_the_valid_names():
    schema = Schema.infer("name", _table())
    assert schema.categorical_label().name == "kind"
    with pytest.raises(SchemaError, match="its labels: kind, serial, colour"):
        schema.label("species")
    with pytest.raises(SchemaError, match="identifier.*categorical labels: kind"):
        schema.categorical_label("serial")
    with pytest.raises(SchemaError, match="no identifier column 'file'"):
        Schema.infer("file", _table())
    with pytest.raises(SchemaError, match="not a dataset schema"):
        Schema.from_json("[1, 2]")
