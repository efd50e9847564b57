"""Tests for acvae.data.tfrecord: Example round trip with its schema, legacy files, shards, file
resolution, atomic writer."""

import pytest
import tensorflow as tf

from acvae.data import tfrecord
from acvae.data.errors import DataError
from acvae.data.schema import Schema

ROW = {"name": "Renée O'Hare", "kind": "Cat, \"big\"\n$x$", "size": "Big sister"}
SCHEMA = Schema.infer("name", {key: [value, value + "2"] for key, value in ROW.items()})


def test_example_round_trip_keeps_text_and_the_schema_header():
    serialized = tfrecord.serialize_example(b"\x89PNG", ROW, SCHEMA)
    parsed = tfrecord.parse_example(tf.constant(serialized), SCHEMA.columns)
    assert set(parsed) == {"image", "name", "kind", "size"}
    assert parsed["image"].numpy() == b"\x89PNG"
    assert {key: parsed[key].numpy().decode() for key in SCHEMA.columns} == ROW
    example = tf.train.Example.FromString(serialized)
    header = example.features.feature["_schema"].bytes_list.value[0].decode()
    assert Schema.from_header(header).columns == SCHEMA.columns
    assert serialized == tfrecord.serialize_example(b"\x89PNG", dict(reversed(ROW.items())), SCHEMA)


def write(out, shards, n=5, schema=SCHEMA):
    writer = tfrecord.ShardedWriter(out, shards)
    try:
        for i in range(n):
            writer.write(tfrecord.serialize_example(b"", {**ROW, "name": f"v{i}"}, schema))
        return writer.commit()
    finally:
        writer.discard()


def names(files):
    return sorted(tfrecord.parse_example(s, ["name"])["name"].numpy().decode()
                  for s in tf.data.TFRecordDataset(files))


def test_every_shard_carries_the_header_and_empty_shards_are_skipped(tmp_path):
    files = [str(f) for f in write(tmp_path / "v.tfrecord", 4, n=2)]
    assert tfrecord.read_header(files) == SCHEMA.header()
    assert tfrecord.read_header(files[1:2]) == SCHEMA.header()
    with pytest.raises(DataError, match="holds no items"):
        tfrecord.read_header(files[2:])


def test_a_file_without_a_schema_is_refused_in_one_line(tmp_path):
    legacy = tmp_path / "old.tfrecord"
    feature = {key: tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"x"]))
               for key in ("image", "name", "species", "personality", "gender")}
    with tf.io.TFRecordWriter(str(legacy)) as writer:
        writer.write(tf.train.Example(features=tf.train.Features(feature=feature))
                     .SerializeToString())
    with pytest.raises(DataError) as error:
        tfrecord.read_header([str(legacy)])
    assert str(error.value) == (
        f"{legacy} was written by an older acvae and does not say which columns it holds; run "
        "python -m acvae.prepare on your data again to rewrite it")


def test_files_of_different_datasets_are_refused(tmp_path):
    other = Schema.infer("name", {"name": ["a", "b"], "kind": ["x", "y"]})
    first = write(tmp_path / "a.tfrecord", 1)
    second = write(tmp_path / "b.tfrecord", 1, schema=other)
    with pytest.raises(DataError, match="hold different columns"):
        tfrecord.read_header([str(first[0]), str(second[0])])
    (tmp_path / "junk.tfrecord").write_bytes(b"definitely not a tfrecord")
    with pytest.raises(DataError, match="is not a TFRecord written by acvae.prepare"):
        tfrecord.read_header([str(tmp_path / "junk.tfrecord")])


def test_shards_round_robin_and_resolve(tmp_path):
    out = tmp_path / "sub" / "v.tfrecord"
    files = write(out, 3)
    assert [f.name for f in files] == [f"v.tfrecord-0000{i}-of-00003" for i in range(3)]
    assert tfrecord.resolve_files(out) == [str(f) for f in files]
    assert tfrecord.resolve_files(str(tmp_path / "sub" / "*")) == [str(f) for f in files]
    assert names(tfrecord.resolve_files(out)) == [f"v{i}" for i in range(5)]
    assert tfrecord.resolve_files(tmp_path / "nothing.tfrecord") == []
    assert tfrecord.resolve_files(tmp_path) == []


def test_commit_removes_a_previous_layout(tmp_path):
    out = tmp_path / "v.tfrecord"
    write(out, 3)
    write(out, 1, n=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.tfrecord"]
    assert names([str(out)]) == ["v0", "v1"]
    write(out, 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "v.tfrecord-00000-of-00002", "v.tfrecord-00001-of-00002"]


def test_discard_leaves_nothing_and_keeps_the_old_file(tmp_path):
    out = tmp_path / "v.tfrecord"
    out.write_bytes(b"old")
    writer = tfrecord.ShardedWriter(out, 2)
    writer.write(tfrecord.serialize_example(b"", ROW, SCHEMA))
    writer.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.tfrecord"]
    assert out.read_bytes() == b"old"


@pytest.mark.parametrize("shards", [0, -1, 1.5])
def test_bad_shard_count(shards, tmp_path):
    with pytest.raises(ValueError, match="shards must be a positive integer"):
        tfrecord.ShardedWriter(tmp_path / "v.tfrecord", shards)


def test_a_continuous_label_is_a_float_feature_and_parses_as_float32():
    rows = [{**ROW, "name": f"v{i}", "hue": i / 4} for i in range(3)]
    schema = Schema.infer("name", {key: [row[key] for row in rows] for key in rows[0]})
    serialized = tfrecord.serialize_example(b"\x89PNG", rows[1], schema)
    feature = tf.train.Example.FromString(serialized).features.feature
    assert list(feature["hue"].float_list.value) == [0.25] and not feature["hue"].bytes_list.value
    parsed = tfrecord.parse_schema_example(tf.constant(serialized), schema)
    assert parsed["hue"].dtype == tf.float32 and parsed["hue"].numpy() == 0.25
    assert parsed["kind"].numpy().decode() == ROW["kind"]
