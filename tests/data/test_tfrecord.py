"""Tests for acvae.data.tfrecord: Example round trip, shards, file resolution, atomic writer."""

import pytest
import tensorflow as tf

from acvae.data import tfrecord

LABELS = {"name": "Renée O'Hare", "species": "Cat", "personality": "Big sister",
          "gender": "Female"}


def test_example_round_trip_keeps_unicode():
    parsed = tfrecord.parse_example(tf.constant(tfrecord.serialize_example(b"\x89PNG", LABELS)))
    assert set(parsed) == set(tfrecord.FEATURES)
    assert parsed["image"].numpy() == b"\x89PNG"
    assert {key: parsed[key].numpy().decode() for key in tfrecord.LABELS} == LABELS


def write(out, shards, n=5):
    writer = tfrecord.ShardedWriter(out, shards)
    try:
        for i in range(n):
            writer.write(tfrecord.serialize_example(b"", {**LABELS, "name": f"v{i}"}))
        return writer.commit()
    finally:
        writer.discard()


def names(files):
    return sorted(tfrecord.parse_example(s)["name"].numpy().decode()
                  for s in tf.data.TFRecordDataset(files))


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
    writer.write(tfrecord.serialize_example(b"", LABELS))
    writer.discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.tfrecord"]
    assert out.read_bytes() == b"old"


@pytest.mark.parametrize("shards", [0, -1, 1.5])
def test_bad_shard_count(shards, tmp_path):
    with pytest.raises(ValueError, match="shards must be a positive integer"):
        tfrecord.ShardedWriter(tmp_path / "v.tfrecord", shards)
