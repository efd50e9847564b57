"""Tests for acvae.data.synthetic: determinism, layout, distinct species, the cache, the command."""

import dataclasses
import errno
import itertools
import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from acvae.data import batches, pipeline, synthetic, tfrecord
from acvae.data.errors import WriteError
from acvae.data.importers import kaggle
from acvae.data.synthetic import art as villager_art
from acvae.data.synthetic import painter
from acvae.data.synthetic import records as villager_records
from tests.conftest import REPO


def test_generate_writes_the_kaggle_layout_deterministically(tmp_path):
    json_a = synthetic.generate(tmp_path / "a", n=18, seed=1)
    json_b = synthetic.generate(tmp_path / "b", n=18, seed=1)
    assert json_a.read_bytes() == json_b.read_bytes()
    records = json.loads(json_a.read_text(encoding="utf-8"))
    assert len(records) == 18
    assert all(tuple(r) == ("name",) + villager_records.FACTORS for r in records)
    assert sorted(r["species"] for r in records) == sorted(villager_art.SPECIES)  # balanced
    assert len({r["name"] for r in records}) == 18
    for r in records:
        assert r["personality"] in villager_art.PERSONALITIES[r["gender"]]
        file_name = f"{kaggle.image_stem(r['name'])}.png"
        image_a = (tmp_path / "a" / "images" / file_name).read_bytes()
        assert image_a == (tmp_path / "b" / "images" / file_name).read_bytes()
    other = json.loads(synthetic.generate(tmp_path / "c", n=18, seed=2).read_text(encoding="utf-8"))
    assert [r["name"] for r in other] != [r["name"] for r in records]
    for factor in villager_records.CONTINUOUS:
        assert [r[factor] for r in other] != [r[factor] for r in records]
    with pytest.raises(ValueError, match="is not empty"):
        synthetic.generate(tmp_path / "a", n=2)


def test_synthetic_villagers_flow_through_prepare_cleanly(tmp_path):
    json_path = synthetic.generate(tmp_path, n=20, seed=0)
    report = kaggle.prepare(json_path, tmp_path / "images", tmp_path / "villagers.tfrecord")
    assert report.written == 20 and report.issues == []
    assert report.schema.columns == kaggle.COLUMNS  # the real download's labels by default
    factors = villager_records.FACTORS
    report = kaggle.prepare(json_path, tmp_path / "images", tmp_path / "all.tfrecord",
                            labels=factors)
    assert report.written == 20 and report.issues == []
    assert [label.name for label in report.schema.factors] == list(factors)


def test_every_cause_the_painter_draws_is_recorded_and_describes_the_picture():
    shown = {"markings": {"marked": True, "plain": False}, "eyes": {"dark": True}}
    for record, look in villager_records.villagers(60, seed=4):
        for factor in ("species", "personality", "gender", "garment", "pattern", "accessory"):
            assert record[factor] == getattr(look, factor)
        assert shown["markings"][record["markings"]] == look.markings
        assert (look.eye == painter.INK) == shown["eyes"].get(record["eyes"], False)
        assert look.shirt2 == {"lighter": painter.shade(look.shirt, 1.75),
                               "darker": painter.shade(look.shirt, 0.55),
                               "white": (250, 250, 250)}.get(record["trim"], look.shirt2)
        for part in ("fur", "shirt"):
            hsv = [record[f"{part}_{name}"] for name in villager_records.HSV]
            assert all(isinstance(value, float) and 0.0 <= value <= 1.0 for value in hsv)
            np.testing.assert_allclose(painter.hsv(*hsv), getattr(look, part), atol=1)
        assert record["head_size"] == pytest.approx(look.head_scale, abs=1e-4)


def test_the_synthetic_tfrecord_carries_every_factor_reproducibly(villagers_tfrecord):
    data = pipeline.input_pipeline([str(villagers_tfrecord)], image_shape=(8, 8))
    factors = data.schema.factors
    assert len(factors) >= 8 and [label.name for label in factors] == list(
        villager_records.FACTORS)
    assert {label.name for label in data.schema.continuous} == set(villager_records.CONTINUOUS)
    arrays = batches.collect(data.train_eval)
    drawn = {record["name"]: record for record, _ in villager_records.villagers(24, seed=0)}
    for label in factors:
        values = arrays[label.name]
        expected = [drawn[name][label.name] for name in arrays["name"]]
        if label.continuous:
            assert values.dtype == np.float32
            np.testing.assert_allclose(values, expected, rtol=1e-6)
        else:
            assert list(values) == expected
            assert list(np.asarray(label.values)[arrays[f"{label.name}_id"]]) == expected


def test_names_include_the_awkward_characters_of_the_real_set():
    rng = random.Random(0)
    names = [villager_records.make_name(rng) for _ in range(400)]
    assert any(" " in n for n in names) and any("'" in n for n in names)
    assert any("-" in n for n in names) and any(not n.isascii() for n in names)


def look(species, **changes):
    base = villager_art.Look(
        species=species, gender="Male", personality="Lazy", fur=(180, 140, 100),
        fur2=(230, 210, 190), eye=(38, 30, 36), shirt=(60, 90, 200), shirt2=(250, 250, 250),
        pattern="solid", garment="tee", accessory="none", accessory_colour=(250, 90, 120))
    return dataclasses.replace(base, **changes)


def alpha(image):
    return np.asarray(image)[..., 3] > 127


@pytest.mark.parametrize("species", sorted(villager_art.SPECIES))
def test_every_species_draws_on_a_transparent_background(species):
    genders = villager_art.SPECIES[species].genders
    variants = itertools.product(genders, ["Lazy", "Peppy"], [0.94, 1.06])
    for gender, personality, head_scale in variants:
        image = villager_art.draw_villager(
            look(species, gender=gender, personality=personality, head_scale=head_scale), scale=1)
        pixels = np.asarray(image)
        assert image.mode == "RGBA" and image.size == (170, 200)
        assert (pixels[:2, :, 3] == 0).all() and (pixels[:, :2, 3] == 0).all()  # margins clear
        assert (pixels[-2:, :, 3] == 0).all() and (pixels[:, -2:, 3] == 0).all()
        assert 0.2 < alpha(image).mean() < 0.6


def test_species_silhouettes_differ():
    masks = {name: alpha(villager_art.draw_villager(look(name), scale=1))
             for name in villager_art.SPECIES}
    for a, b in itertools.combinations(masks, 2):
        iou = (masks[a] & masks[b]).sum() / (masks[a] | masks[b]).sum()
        assert iou < 0.93, f"{a} and {b} have nearly the same silhouette (IoU {iou:.3f})"


def test_personality_and_gender_show_in_the_face():
    faces = {}
    for gender, personalities in villager_art.PERSONALITIES.items():
        for personality in personalities:
            bear = look("Bear", gender=gender, personality=personality)
            image = villager_art.draw_villager(bear, scale=1)
            faces[gender, personality] = np.asarray(image)[40:130].astype(int)
    for a, b in itertools.combinations(faces, 2):
        assert np.abs(faces[a] - faces[b]).sum() > 0, f"{a} and {b} look the same"


def test_cache_is_built_once_atomically(tmp_path, monkeypatch):
    path = synthetic.cached_tfrecord(n=6, seed=0, cache_dir=tmp_path)
    assert path == tmp_path / "synthetic" / f"v{synthetic.VERSION}-n6-seed0" / "villagers.tfrecord"
    assert path.is_file() and (path.parent / "images").is_dir()
    folders = [p.name for p in (tmp_path / "synthetic").iterdir()]
    assert folders == [path.parent.name]  # no temporary folders left

    def no_generation(*args):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(synthetic, "generate", no_generation)
    assert synthetic.cached_tfrecord(n=6, seed=0, cache_dir=tmp_path) == path
    monkeypatch.setenv("ACVAE_CACHE", str(tmp_path))
    assert synthetic.cached_tfrecord(n=6, seed=0) == path
    with pytest.raises(AssertionError):
        synthetic.cached_tfrecord(n=7, seed=0)
    assert [p.name for p in (tmp_path / "synthetic").iterdir()] == [path.parent.name]


def run_command(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-m", "acvae", "synthetic", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=120, cwd=REPO)


def test_command_writes_the_layout_and_errors_are_one_line(tmp_path):
    result = run_command(tmp_path / "out", "--n", "3", "--seed", "5")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote 3 villagers")
    assert len(list((tmp_path / "out" / "images").glob("*.png"))) == 3
    result = run_command(tmp_path / "out2", "--n", "0")
    assert result.returncode != 0 and "Traceback" not in result.stderr  # the flag's own bound
    assert "--n=0: 0 is not a positive integer" in result.stderr
    assert not (tmp_path / "out2").exists()


def test_a_full_disk_while_drawing_the_cache_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    calls = []

    def full_disk(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, *args, **kwargs)

    real = Image.Image.save
    monkeypatch.setattr(Image.Image, "save", full_disk)
    with pytest.raises(WriteError) as error:
        synthetic.cached_tfrecord(n=4, seed=0, cache_dir=tmp_path)
    assert str(error.value) == (
        f"cannot write 4 synthetic villagers into the cache {tmp_path / 'synthetic'}: disk full; "
        "free some space or set ACVAE_CACHE to another folder")
    assert list((tmp_path / "synthetic").iterdir()) == []


def test_a_full_disk_while_writing_the_cache_tfrecord_is_one_line(tmp_path, monkeypatch):
    def full_disk(self, serialized):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tfrecord.ShardedWriter, "write", full_disk)
    with pytest.raises(WriteError, match="synthetic villagers into the cache .*: disk full; free some"):
        synthetic.cached_tfrecord(n=2, seed=0, cache_dir=tmp_path)
    assert list((tmp_path / "synthetic").iterdir()) == []


def test_sharded_cache_holds_every_villager_once(tmp_path):
    path = synthetic.cached_tfrecord(n=9, seed=0, cache_dir=tmp_path, shards=3)
    assert path.parent.name == f"v{synthetic.VERSION}-n9-seed0-shards3"
    files = tfrecord.resolve_files(path)
    assert len(files) == 3
    names = [
        tfrecord.parse_example(record, ["name"])["name"].numpy()
        for record in tf.data.TFRecordDataset(files)
    ]
    assert len(names) == len(set(names)) == 9
    with pytest.raises(ValueError, match="shards must be a positive integer"):
        synthetic.cached_tfrecord(n=9, cache_dir=tmp_path, shards=0)
