"""Tests for acvae.data.pipeline: channels, aspect-preserving padding, labels, the stable split."""

import io
import pathlib

import gin
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from acvae.core import config
from acvae.data import batches, pipeline, tfrecord
from acvae.data.errors import DataError, MissingData, SettingError
from acvae.data.schema import Schema


def png(pixels):
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(pixels, np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def tall_red_image():
    """8 high, 4 wide: opaque red on the left half, transparent (RGB junk) on the right."""
    pixels = np.zeros((8, 4, 4), np.uint8)
    pixels[:, :2] = (255, 0, 0, 255)
    pixels[:, 2:] = (0, 255, 0, 0)
    return pixels


def rows(names):
    """Rows of a small table: ``kind`` is categorical, ``tag`` one per item, ``mood`` constant."""
    return [{"name": name, "kind": f"k{int(name.split()[-1]) % 3}", "tag": f"t-{name}",
             "mood": "Lazy"} for name in names]


def write_villagers(path, names, shards=1, image=None, hues=None):
    """The villagers of ``rows``, with a continuous label ``hue`` when ``hues`` are given."""
    table = rows(names) if hues is None else [
        {**row, "hue": hue} for row, hue in zip(rows(names), hues)]
    schema = Schema.infer("name", {key: [row[key] for row in table] for key in table[0]})
    writer = tfrecord.ShardedWriter(path, shards)
    try:
        for row in table:
            pixels = image if image is not None else np.full((2, 2, 4), 255, np.uint8)
            writer.write(tfrecord.serialize_example(png(pixels), row, schema))
        writer.commit()
    finally:
        writer.discard()
    return str(path)


NAMES = [f"villager {i}" for i in range(120)]


def collect(dataset, key="name"):
    return [value for batch in dataset for value in batch[key].numpy().tolist()]


@pytest.mark.parametrize("n_channels", [1, 3, 4])
def test_channels_shapes_and_padding(n_channels, tmp_path):
    path = write_villagers(tmp_path / "v.tfrecord", NAMES[:12], image=tall_red_image())
    data = pipeline.input_pipeline(path, image_shape=(8, 8), n_channels=n_channels, batch_size=5)
    assert (data.image_shape, data.n_channels, data.batch_size) == ((8, 8), n_channels, 5)
    batch = next(iter(data.train))
    images = batch["image"].numpy()
    assert images.dtype == np.float32 and images.shape == (5, 8, 8, n_channels)
    assert images.min() >= 0.0 and images.max() <= 1.0
    image = images[0]
    pad = 0.0 if n_channels == 4 else 1.0
    np.testing.assert_allclose(image[:, :2], pad)  # aspect ratio kept: 2 columns padding each side
    np.testing.assert_allclose(image[:, 6:], pad)
    expected = {4: [(1, 0, 0, 1), (0, 0, 0, 0)], 3: [(1, 0, 0), (1, 1, 1)], 1: [(0.2989,), (1,)]}
    content, background = (np.broadcast_to(v, (8, n_channels)) for v in expected[n_channels])
    np.testing.assert_allclose(image[:, 2], content, atol=2e-3)
    np.testing.assert_allclose(image[:, 5], background, atol=2e-3)


def test_fit_image_downscales_wide_images_into_the_middle():
    rgba = tf.ones([10, 40, 4])
    image = pipeline.fit_image(rgba, (8, 16), 3).numpy()
    assert image.shape == (8, 16, 3)
    np.testing.assert_allclose(image, 1.0, atol=1e-6)  # white content, white padding
    alpha = pipeline.fit_image(rgba, (8, 16), 4).numpy()[..., 3]
    assert (alpha[:2] == 0).all() and (alpha[-2:] == 0).all() and (alpha[2:6] > 0.99).all()


def test_labels_travel_with_images_as_the_schema_says(tmp_path):
    path = write_villagers(tmp_path / "v.tfrecord", NAMES[:40])
    data = pipeline.input_pipeline(path, image_shape=(4, 4), batch_size=7)
    assert data.schema.id == "name"
    assert [(label.name, label.kind()) for label in data.schema.labels] == [
        ("kind", "categorical"), ("tag", "identifier"), ("mood", "constant")]
    assert data.schema.label("kind").values == ("k0", "k1", "k2")
    for dataset in (data.train, data.train_eval, data.validation):
        for batch in dataset:
            assert set(batch) == {"image", "name", "kind", "tag", "mood", "kind_id"}
            tags = [s.decode() for s in batch["tag"].numpy()]
            assert tags == [f"t-{n.decode()}" for n in batch["name"].numpy()]
            values = data.schema.label("kind").values
            decoded = [values[i] for i in batch["kind_id"].numpy()]
            assert decoded == [v.decode() for v in batch["kind"].numpy()]


def test_split_is_disjoint_stable_and_independent_of_order_and_shards(tmp_path):
    path = write_villagers(tmp_path / "a.tfrecord", NAMES)
    first = pipeline.input_pipeline(path, image_shape=(4, 4))
    train, validation = collect(first.train), collect(first.validation)
    assert not set(train) & set(validation)
    assert sorted(train + validation) == sorted(n.encode() for n in NAMES)
    assert (first.n_train, first.n_validation) == (len(train), len(validation))
    assert 0.03 < len(validation) / len(NAMES) < 0.2  # the default share, 0.1
    for _ in range(2):  # every epoch
        assert collect(first.validation) == validation
        assert sorted(collect(first.train)) == sorted(train)
        assert collect(first.train_eval) == collect(first.train_eval)
    reordered = write_villagers(tmp_path / "b.tfrecord", NAMES[::-1], shards=3)
    second = pipeline.input_pipeline(reordered, image_shape=(4, 4), seed=7)
    assert sorted(collect(second.validation)) == sorted(validation)
    quarter = pipeline.input_pipeline(str(tmp_path / "a.tfrecord"), validation_fraction=0.5)
    assert set(validation) <= set(collect(quarter.validation))  # nested as the fraction grows


def test_training_order_changes_every_epoch_but_is_seeded(tmp_path):
    path = write_villagers(tmp_path / "v.tfrecord", NAMES)
    data = pipeline.input_pipeline(path, image_shape=(4, 4), seed=3)
    epochs = [collect(data.train) for _ in range(3)]
    assert epochs[0] != epochs[1] != epochs[2]
    again = pipeline.input_pipeline(path, image_shape=(4, 4), seed=3)
    assert collect(again.train) == epochs[0]


def test_gin_bindings_configure_the_pipeline(tmp_path):
    path = write_villagers(tmp_path / "v.tfrecord", NAMES[:20])
    gin.parse_config("input_pipeline.n_channels = 1\ninput_pipeline.image_shape = (6, 5)")
    data = pipeline.input_pipeline([path])
    assert next(iter(data.validation))["image"].shape[1:] == (6, 5, 1)


def test_forward_passes_use_their_own_batch_size(tmp_path):
    path = write_villagers(tmp_path / "v.tfrecord", NAMES[:12])
    data = pipeline.input_pipeline(path, batch_size=2, validation_fraction=0.5,
                                   validation_batch_size=64)
    assert [len(b["image"]) for b in data.validation] == [data.n_validation]
    assert [len(b["image"]) for b in data.train_eval] == [data.n_train]
    assert max(len(b["image"]) for b in data.train) == 2
    small = pipeline.input_pipeline(path, batch_size=2, validation_fraction=0.5,
                                    validation_batch_size=None)
    assert max(len(b["image"]) for b in small.validation) == 2


@pytest.mark.parametrize("kwargs, message", [
    ({"n_channels": 2}, "n_channels must be one of 1, 3, 4"),
    ({"validation_fraction": 0.0}, r"validation_fraction must be in \(0, 1\)"),
    ({"validation_fraction": 1.0}, r"validation_fraction must be in \(0, 1\)"),
    ({"image_shape": (8,)}, "image_shape must be two positive integers"),
    ({"image_shape": 16}, "image_shape must be two positive integers"),
    ({"validation_fraction": "0.25"}, r"validation_fraction must be in \(0, 1\)"),
    ({"batch_size": 0}, "batch_size must be a positive integer"),
    ({"validation_batch_size": 0}, "validation_batch_size must be a positive integer or None"),
])
def test_bad_arguments(kwargs, message, tmp_path):
    path = write_villagers(tmp_path / "v.tfrecord", NAMES[:8])
    with pytest.raises(SettingError, match=message):
        pipeline.input_pipeline(path, **kwargs)


def test_bad_files(tmp_path):
    with pytest.raises(MissingData, match="no TFRecord at"):
        pipeline.input_pipeline(str(tmp_path / "missing.tfrecord"))
    (tmp_path / "junk.tfrecord").write_bytes(b"this is not a tfrecord at all")
    with pytest.raises(DataError, match="is not a TFRecord written by acvae.prepare"):
        pipeline.input_pipeline(str(tmp_path / "junk.tfrecord"))
    one = write_villagers(tmp_path / "one.tfrecord", NAMES[:1])
    with pytest.raises(DataError, match="split is empty"):
        pipeline.input_pipeline(one)


def test_cache_defaults_to_memory_only_when_the_decoded_data_fits():
    assert pipeline.decoded_megabytes(40_000, (64, 64), 4) == pytest.approx(2500)
    assert pipeline._cache_choice(None, 400, (64, 64), 4, budget_mb=1024) is True
    assert pipeline._cache_choice(None, 40_000, (64, 64), 4, budget_mb=1024) is False
    assert pipeline._cache_choice(True, 40_000, (64, 64), 4, budget_mb=1) is True
    assert pipeline._cache_choice(False, 1, (8, 8), 4, budget_mb=1024) is False
    with pytest.raises(SettingError, match="None .* True, False or a file path"):
        pipeline._cache_choice(3, 1, (8, 8), 4, budget_mb=1024)


@pytest.mark.parametrize("cache", [None, True, False, "file"])
def test_every_cache_choice_gives_the_same_data(cache, tmp_path):
    path = write_villagers(tmp_path / "v.tfrecord", NAMES[:30], shards=3)
    if cache == "file":
        cache = str(tmp_path / "cache" / "villagers")
    reference = pipeline.input_pipeline(path, image_shape=(4, 4), batch_size=4, cache=True)
    data = pipeline.input_pipeline(path, image_shape=(4, 4), batch_size=4, cache=cache,
                                   cache_budget_mb=0 if cache is None else 1024)
    for _ in range(2):  # the second pass reads the cache, if any
        assert collect(data.validation) == collect(reference.validation)
        assert collect(data.train_eval) == collect(reference.train_eval)
        assert sorted(collect(data.train)) == sorted(collect(reference.train))
    if isinstance(cache, str):
        assert list((tmp_path / "cache").glob("villagers.*.train*"))  # *: the data's key
        assert list((tmp_path / "cache").glob("villagers.*.validation*"))


def test_a_tfrecord_written_before_schemas_is_refused_in_one_line(tmp_path):
    legacy = tmp_path / "villagers.tfrecord"
    with tf.io.TFRecordWriter(str(legacy)) as writer:
        for i in range(8):
            values = {"image": png(np.zeros((2, 2, 4))), "name": f"v{i}".encode(),
                      "species": b"Cat", "personality": b"Lazy", "gender": b"Male"}
            feature = {key: tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))
                       for key, value in values.items()}
            writer.write(tf.train.Example(features=tf.train.Features(feature=feature))
                         .SerializeToString())
    with pytest.raises(DataError) as error:
        pipeline.input_pipeline(str(legacy))
    assert str(error.value).splitlines()[0] == (  # gin may add a line naming the configurable
        f"{legacy} was written by an older acvae and does not say which columns it holds; run "
        "python -m acvae.prepare on your data again to rewrite it")


def _write_with_one_bad_record(path, bad_serialized, at=4):
    """Eight villagers with record ``at`` (1-based) replaced by ``bad_serialized``."""
    table = rows(NAMES[:8])
    schema = Schema.infer("name", {key: [row[key] for row in table] for key in table[0]})
    with tf.io.TFRecordWriter(str(path)) as writer:
        for number, row in enumerate(table, start=1):
            image = png(np.full((2, 2, 4), 255, np.uint8))
            serialized = tfrecord.serialize_example(image, row, schema)
            writer.write(bad_serialized(image, row, schema) if number == at else serialized)
    return str(path)


@pytest.mark.parametrize("bad, message", [
    (lambda image, row, schema: tfrecord.serialize_example(b"GIF89a not a png", row, schema),
     r"1 record\(s\) hold an image that is not a complete PNG: record 4 of .*v.tfrecord "
     r"\(name 'villager 3'\); run python -m acvae.prepare"),
    (lambda image, row, schema: tfrecord.serialize_example(image[: len(image) // 2], row, schema),
     r"record 4 of .*v.tfrecord \(name 'villager 3'\)"),
    (lambda image, row, schema: b"\x0a\xff\xff garbage",
     r"record 4 of .*v.tfrecord is not an acvae Example"),
])
def test_a_bad_record_is_refused_before_training_naming_its_number(bad, message, tmp_path):
    path = _write_with_one_bad_record(tmp_path / "v.tfrecord", bad)
    with pytest.raises(DataError, match=message) as error:
        pipeline.input_pipeline(path, image_shape=(4, 4))
    assert "\n" not in config.explain(error.value)  # without gin's "In call to" trail


def test_a_cut_short_or_garbled_file_is_refused_naming_the_record(tmp_path):
    path = pathlib.Path(write_villagers(tmp_path / "v.tfrecord", NAMES[:8]))
    content = path.read_bytes()
    record = len(content) // 8
    for extra in (5, 100):  # inside the 12-byte frame of record 7 (TensorFlow sees no error), after
        path.write_bytes(content[: 6 * record + extra])
        with pytest.raises(DataError, match=r"v.tfrecord is damaged or cut short at record 7 "):
            pipeline.input_pipeline(str(path), image_shape=(4, 4))
    middle = 4 * record + record // 2
    path.write_bytes(content[:middle] + bytes([content[middle] ^ 0xFF]) + content[middle + 1:])
    with pytest.raises(DataError, match=r"v.tfrecord is damaged or cut short at record 5 "):
        pipeline.input_pipeline(str(path), image_shape=(4, 4))


def test_the_fingerprint_follows_the_items_not_the_files(tmp_path):
    one = pipeline.input_pipeline(write_villagers(tmp_path / "a.tfrecord", NAMES[:30]),
                                  image_shape=(4, 4))
    sharded = pipeline.input_pipeline(write_villagers(tmp_path / "b.tfrecord", NAMES[:30], 3),
                                      image_shape=(4, 4))
    fewer = pipeline.input_pipeline(write_villagers(tmp_path / "c.tfrecord", NAMES[:29]),
                                    image_shape=(4, 4))
    assert one.fingerprint == sharded.fingerprint != fewer.fingerprint
    other_split = pipeline.input_pipeline(str(tmp_path / "a.tfrecord"), image_shape=(4, 4),
                                          validation_fraction=0.5)
    assert other_split.fingerprint != one.fingerprint


def test_continuous_labels_travel_as_floats_and_are_factors(tmp_path):
    hues = [i / 40 for i in range(40)]
    path = write_villagers(tmp_path / "v.tfrecord", NAMES[:40], hues=hues)
    data = pipeline.input_pipeline(path, image_shape=(4, 4), batch_size=7)
    assert data.schema.label("hue").kind() == "continuous"
    assert [label.name for label in data.schema.factors] == ["kind", "hue"]
    arrays = batches.collect(data.train_eval)
    assert arrays["hue"].dtype == np.float32
    expected = {name: hue for name, hue in zip(NAMES, hues)}
    np.testing.assert_allclose(arrays["hue"], [expected[name] for name in arrays["name"]],
                               rtol=1e-6)
    table = batches.factors(arrays, data.schema)
    assert list(table) == ["kind", "hue"] and table["kind"].dtype == np.int32
    assert table["hue"] is arrays["hue"]
    moved = write_villagers(tmp_path / "w.tfrecord", NAMES[:40], hues=hues[::-1])
    assert pipeline.input_pipeline(moved, image_shape=(4, 4)).fingerprint != data.fingerprint
