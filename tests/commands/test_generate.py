"""Tests for acvae.commands.generate: sample, interpolate and reconstruct on tiny trained runs."""

import numpy as np
import pytest
from PIL import Image

from acvae.commands import generate
from acvae.core import cli
from acvae.core.errors import UserError
from tests.plugins.tiny_trained import trained_run


@pytest.fixture
def plain_run(tmp_path_factory):
    return trained_run(tmp_path_factory, "demo")


@pytest.fixture
def conditional_run(tmp_path_factory):
    return trained_run(tmp_path_factory, "conditional")


def names_in(run_dir, n=2):
    from acvae.runs import experiment

    data = experiment.load_run(run_dir).data
    batch = next(iter(data.validation))
    return [v.decode("utf-8") for v in batch["name"].numpy()[:n]]


def generate_main(*argv):
    return cli.invoke(generate.main, [str(arg) for arg in argv])


def test_sample_writes_a_grid(plain_run, tmp_path):
    out = tmp_path / "grid.png"
    assert generate_main("--run_dir", plain_run, "--scale", "2", "sample", "--n", "4",
                         "--out", out) == out
    with Image.open(out) as image:
        assert image.size == (2 * 32 + 2, 2 * 32 + 2)  # 2x2 tiles of 16x16 at scale 2, 2px gaps


def test_interpolate_between_two_items_by_identifier(plain_run, tmp_path):
    first, second = names_in(plain_run)
    out = tmp_path / "walk.gif"
    generate_main("--run_dir", plain_run, "interpolate", first.upper(), second,
                  "--steps", "5", "--out", out)
    with Image.open(out) as image:
        assert image.n_frames == 5
    generate_main("--run_dir", plain_run, "interpolate", first, second, "--steps", "3",
                  "--linear", "--out", out)


def test_identifiers_match_in_any_unicode_normal_form(plain_run, tmp_path):
    import unicodedata

    from acvae.data import batches
    from acvae.runs import experiment

    data = experiment.load_run(plain_run).data
    names = [str(n) for split in (data.train_eval, data.validation)
             for n in batches.collect(split)["name"]]
    accented = [n for n in names if unicodedata.normalize("NFD", n) != n]
    assert accented, "the synthetic villagers include a name with an accent"
    typed = unicodedata.normalize("NFD", accented[0])  # as some keyboards and file systems give it
    generate_main("--run_dir", plain_run, "interpolate", typed, names[0], "--steps", "2",
                  "--out", tmp_path / "walk.gif")
    assert (tmp_path / "walk.gif").exists()


def test_reconstruct_any_image_file(plain_run, tmp_path):
    source = tmp_path / "photo.jpg"
    Image.new("RGB", (40, 20), (200, 30, 30)).save(source)
    out = tmp_path / "rec.png"
    generate_main("--run_dir", plain_run, "--scale", "1", "reconstruct", source, "--out", out)
    with Image.open(out) as image:
        assert image.size == (2 * 16 + 2, 16)


@pytest.mark.parametrize(
    "args, message",
    [(["interpolate", "Trool", "Nobody At All"], "no item with name 'Nobody At All'; valid: "),
     (["interpolate", "Trol", "Trool"], "no item with name 'Trol'; closest: Trool"),
     (["sample", "--species", "Frog"], "--label_value needs a label-conditional model"),
     (["sample", "--label_value", "Frog"], "--label_value needs a label-conditional model"),
     (["reconstruct", "missing.png"], "no image file at missing.png"),
     (["sample", "--n", "100000"], "--n must be between 1 and 1024"),
     (["draw"], "give a command: sample, interpolate, reconstruct")],
)
def test_mistakes_are_one_line(plain_run, tmp_path, args, message):
    with pytest.raises(UserError) as info:
        generate_main("--run_dir", plain_run, *args, "--out", tmp_path / "x.png")
    assert str(info.value).startswith(message)
    assert len(str(info.value).splitlines()) == 1
    assert not (tmp_path / "x.png").exists()


def test_out_naming_a_folder_is_refused(plain_run, tmp_path):
    with pytest.raises(UserError, match="is a folder; name a file"):
        generate_main("--run_dir", plain_run, "sample", "--out", tmp_path)


def test_conditional_sample_interpolate_and_reconstruct(conditional_run, tmp_path):
    out = tmp_path / "frogs.png"
    generate_main("--run_dir", conditional_run, "sample", "--n", "3", "--label_value", "frog",
                  "--out", out)
    assert out.exists()
    generate_main("--run_dir", conditional_run, "sample", "--n", "3", "--species", "Frog",
                  "--out", tmp_path / "alias.png")
    with Image.open(out) as first, Image.open(tmp_path / "alias.png") as second:
        assert np.array_equal(np.asarray(first), np.asarray(second))
    with pytest.raises(UserError, match="unknown species 'Frgo'; closest: Frog"):
        generate_main("--run_dir", conditional_run, "sample", "--species", "Frgo", "--out", out)
    first, second = names_in(conditional_run)
    generate_main("--run_dir", conditional_run, "interpolate", first, second, "--steps", "3",
                  "--out", tmp_path / "walk.gif")
    generate_main("--run_dir", conditional_run, "reconstruct", out, "--label_value", "Cat",
                  "--out", tmp_path / "rec.png")
    assert (tmp_path / "walk.gif").exists() and (tmp_path / "rec.png").exists()
