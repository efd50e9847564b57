"""Tests for acvae.data.datasets: registration, the missing-TFRecord message, gin configuration."""

import gin
import pytest

import acvae.data  # noqa: F401  (registers the datasets)
from acvae import registry
from acvae.data import kaggle, synthetic


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
    assert set(batch) == {"image", "name", "species", "personality", "gender",
                          "species_id", "personality_id", "gender_id"}


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
