"""The dataset schema: categorical vs identifier vs constant labels, JSON and header round trips,
look-ups, and column names that would clash."""

import pytest

from acvae.data.schema import Label, Schema, SchemaError


def _table(n=24):
    return {
        "name": [f"item {i}" for i in range(n)],
        "kind": ["a", "b"] * (n // 2),
        "serial": [str(i) for i in range(n)],
        "colour": ["red"] * n,
    }


def test_infer_tells_categorical_identifier_and_constant_labels():
    schema = Schema.infer("name", _table())
    assert schema.id == "name"
    assert schema.columns == ("name", "kind", "serial", "colour")
    kinds = {label.name: label.kind() for label in schema.labels}
    assert kinds == {"kind": "categorical", "serial": "identifier", "colour": "constant"}
    assert [label.name for label in schema.categorical] == ["kind"]
    assert schema.label("kind").values == ("a", "b")


def test_many_categories_over_many_items_are_categorical_few_items_cannot_be_identifiers():
    # Twemoji: 98 subcategories over 1,906 images
    subcategories = [f"sub{i % 98}" for i in range(1906)]
    schema = Schema.infer("name", {"name": [str(i) for i in range(1906)], "sub": subcategories})
    assert schema.label("sub").categorical and len(schema.label("sub").values) == 98
    # 24 villagers of 18 species, and 5 villagers of 5 species: still categories
    for n, n_species in ((24, 18), (5, 5)):
        species = [f"s{i % n_species}" for i in range(n)]
        schema = Schema.infer("name", {"name": [str(i) for i in range(n)], "species": species})
        assert schema.label("species").categorical
    # 20 items: 18 distinct values are categories (20 villagers of 18 species), 19 are not
    for n_values, kind in ((18, "categorical"), (19, "identifier")):
        schema = Schema.infer("name", {"name": [str(i) for i in range(20)],
                                       "note": [str(i % n_values) for i in range(20)]})
        assert schema.label("note").kind() == kind


def test_header_round_trips_keep_everything():
    schema = Schema.infer("name", {**_table(), "note": ["$x$, \"q\"\nü"] * 12 + ["ok"] * 12})
    values = {label.name: list(reversed(label.values)) * 2 for label in schema.labels}
    assert Schema.from_header(schema.header(), values) == schema
    bare = Schema.from_header(schema.header())
    assert bare.columns == schema.columns and bare.label("serial").values == ()
    assert [label.name for label in bare.categorical] == ["kind", "note"]


def test_lookups_fail_with_the_valid_names():
    schema = Schema.infer("name", _table())
    assert schema.categorical_label().name == "kind"
    with pytest.raises(SchemaError, match="its labels: kind, serial, colour"):
        schema.label("species")
    with pytest.raises(SchemaError, match="identifier.*categorical labels: kind"):
        schema.categorical_label("serial")
    with pytest.raises(SchemaError, match="no identifier column 'file'"):
        Schema.infer("file", _table())
    with pytest.raises(SchemaError, match="not a dataset schema header"):
        Schema.from_header("{}")
    with pytest.raises(SchemaError, match="schema version 7 is not 1"):
        Schema.from_header('{"version": 7, "id": "a", "labels": [], "categorical": []}')


@pytest.mark.parametrize("columns, message", [
    ({"name": ["a", "b"], "image": ["x", "y"]}, "column 'image' clashes"),
    ({"name": ["a", "b"], "_schema": ["x", "y"]}, "column '_schema' clashes"),
    ({"name": ["a", "b"], "kind": ["x", "y"], "kind_id": ["1", "2"]}, "column 'kind_id' clashes"),
    ({"image": ["a", "b"]}, "column 'image' clashes"),
])
def test_column_names_that_clash_with_features_are_refused(columns, message):
    id_column = next(iter(columns))
    with pytest.raises(SchemaError, match=message):
        Schema.infer(id_column, columns)
    with pytest.raises(SchemaError, match="appears twice"):
        Schema("a", (Label("a", (), False),))


def _measured(n=24):
    """A table with two continuous labels (numbers) beside text ones."""
    return {**_table(n), "hue": [i / n for i in range(n)], "size": [1 + i % 3 for i in range(n)]}


def test_numbers_are_continuous_labels_and_text_never_is():
    schema = Schema.infer("name", _measured())
    kinds = {label.name: label.kind() for label in schema.labels}
    assert kinds == {"kind": "categorical", "serial": "identifier", "colour": "constant",
                     "hue": "continuous", "size": "continuous"}
    assert [label.name for label in schema.continuous] == ["hue", "size"]
    assert [label.name for label in schema.factors] == ["kind", "hue", "size"]
    assert schema.label("hue").values == () and not schema.label("hue").categorical
    # a CSV's numbers arrive as text: kept as users' tables always were
    text = Schema.infer("name", {**_table(), "size": [str(1 + i % 3) for i in range(24)]})
    assert text.label("size").kind() == "categorical" and not text.continuous
    # a constant number, booleans, a column mixing numbers and text, a NaN: text as before
    for values in ([0.5] * 24, [True, False] * 12, [1.0, "2"] * 12, [float("nan"), 1.0] * 12):
        label = Schema.infer("name", {**_table(), "x": values}).label("x")
        assert not label.continuous, values


def test_a_header_with_continuous_labels_round_trips_and_one_without_is_unchanged():
    schema = Schema.infer("name", _measured())
    header = schema.header()
    assert '"continuous": ["hue", "size"]' in header and '"version": 2' in header
    values = {label.name: list(label.values) for label in schema.labels}
    assert Schema.from_header(header, {**values, "hue": ["0.5"]}) == schema
    # no continuous label: the header acvae always wrote, byte for byte
    plain = Schema.infer("name", _table())
    assert plain.header() == ('{"categorical": ["kind"], "id": "name", "labels": ["kind", '
                              '"serial", "colour"], "version": 1}')
    assert not Schema.from_header(plain.header()).continuous


def test_continuous_headers_and_labels_that_cannot_be():
    with pytest.raises(SchemaError, match="continuous labels \\['hue'\\] are not among"):
        Schema.from_header('{"version": 2, "id": "a", "labels": ["b"], "categorical": [], '
                           '"continuous": ["hue"]}')
    with pytest.raises(SchemaError, match="schema version 3 is not 1 or 2"):
        Schema.from_header('{"version": 3, "id": "a", "labels": [], "categorical": []}')
    with pytest.raises(SchemaError, match="cannot be categorical and continuous"):
        Schema("a", (Label("b", ("x", "y"), True, continuous=True),))
