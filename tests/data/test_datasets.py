"""Tests for acvae.data.datasets: registration, the missing-TFRecord message, gin configuration,
and ``from_images``, the one call of a dataset plugin."""

import errno

import gin
import numpy as np
import pytest
import tensorflow as tf

from acvae.core import registry
from acvae.data import datasets, synthetic, tfrecord
from acvae.data.errors import DataError, WriteError
from acvae.data.importers import kaggle
from acvae.data.synthetic import records as villager_records


@gin.configurable("receive_dataset_for_test")
def receive(dataset):
    return dataset


def test_datasets_are_registered():
    assert {"tfrecord", "synthetic"} <= set(registry.names("datasets"))
    assert registry.describe(registry.get("datasets", "synthetic"))


def test_missing_tfrecord_says_how_to_make_one(tmp_path):
    path = tmp_path / "villagers.tfrecord"
    with pytest.raises(FileNotFoundError) as error:
        registry.get("datasets", "tfrecord")(str(path))
    assert str(error.value) == (
        f"no TFRecord at {path} — create it with 'python -m acvae.prepare VILLAGERS.json "
        f"IMAGES_DIR --out {path}', or train on synthetic villagers with "
        "--gin_file=configs/demo.gin"
    )


def test_synthetic_dataset_from_gin(tmp_path):
    gin.parse_config(f"""
        receive_dataset_for_test.dataset = @datasets.synthetic()
        datasets.synthetic.n = 16
        datasets.synthetic.seed = 0
        datasets.synthetic.cache_dir = '{tmp_path}'
        input_pipeline.image_shape = (20, 17)
        input_pipeline.n_channels = 3
        input_pipeline.batch_size = 4
    """)
    data = receive()
    assert data.n_train + data.n_validation == 16 and data.n_train > data.n_validation > 0
    batch = next(iter(data.train))
    assert batch["image"].shape == (4, 20, 17, 3)
    factors = villager_records.FACTORS
    assert set(batch) == {"image", "name", *factors,
                          *(f"{name}_id" for name in villager_records.CATEGORICAL)}
    assert all(batch[name].dtype == tf.float32 for name in villager_records.CONTINUOUS)


def test_tfrecord_dataset_from_gin(tmp_path):
    json_path = synthetic.generate(tmp_path, n=12, seed=1)
    out = tmp_path / "shards" / "villagers.tfrecord"
    kaggle.prepare(json_path, tmp_path / "images", out, shards=2)
    gin.parse_config(f"""
        receive_dataset_for_test.dataset = @datasets.tfrecord()
        datasets.tfrecord.path = '{out}'
        input_pipeline.image_shape = (8, 8)
    """)
    data = receive()
    assert data.n_train + data.n_validation == 12 and data.n_channels == 4


def squares(n=24):
    """(row, image) pairs: grey squares of two sizes, one per name."""
    for i in range(n):
        image = np.zeros((8, 8, 4), np.uint8)
        size = 2 + 4 * (i % 2)
        image[:size, :size] = (i * 10, 100, 200, 255)
        yield {"name": f"square {i}", "size": ("small", "large")[i % 2], "shade": str(i)}, image


def test_from_images_writes_once_and_reads_through_the_pipeline(tmp_path, monkeypatch):
    data = datasets.from_images("squares", squares(), "name", cache_dir=tmp_path)
    assert data.n_train + data.n_validation == 24
    assert [(label.name, label.kind()) for label in data.schema.labels] == [
        ("size", "categorical"), ("shade", "identifier")]
    (cached,) = (tmp_path / "datasets").iterdir()
    assert cached.name.startswith("squares-") and cached.suffix == ".tfrecord"
    batch = next(iter(data.validation))
    assert set(batch) == {"image", "name", "size", "shade", "size_id"}

    def no_writing(*args, **kwargs):
        raise AssertionError("the cached file should have been read")

    monkeypatch.setattr(tfrecord, "ShardedWriter", no_writing)
    again = datasets.from_images("squares", squares(), "name", cache_dir=tmp_path)
    assert again.n_train == data.n_train
    with pytest.raises(AssertionError):  # other images: another file
        datasets.from_images("squares", squares(23), "name", cache_dir=tmp_path)


def test_from_images_refuses_bad_items(tmp_path):
    repeated = [({"name": "a"}, np.zeros((2, 2), np.uint8))] * 2
    with pytest.raises(DataError, match="repeats the name 'a'"):
        datasets.from_images("bad", repeated, "name", cache_dir=tmp_path)
    mixed = [({"name": "a"}, np.zeros((2, 2), np.uint8)),
             ({"name": "b", "x": "1"}, np.zeros((2, 2), np.uint8))]
    with pytest.raises(DataError, match="do not all have the columns"):
        datasets.from_images("bad", mixed, "name", cache_dir=tmp_path)
    with pytest.raises(DataError, match="has no items"):
        datasets.from_images("bad", [], "name", cache_dir=tmp_path)


def test_from_images_on_a_full_disk_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    def full_disk(self, serialized):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tfrecord.ShardedWriter, "write", full_disk)
    with pytest.raises(WriteError) as error:
        datasets.from_images("squares", squares(), "name", cache_dir=tmp_path)
    assert str(error.value) == (
        f"cannot write dataset 'squares' into the cache {tmp_path / 'datasets'}: disk full; "
        "free some space or set ACVAE_CACHE to another folder")
    assert list((tmp_path / "datasets").iterdir()) == []
