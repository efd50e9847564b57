"""Tests for acvae.generate: sample, interpolate and reconstruct on tiny trained runs."""

import numpy as np
import pytest
from PIL import Image

from acvae import generate
from tests.plugins.tiny_trained import trained_run


@pytest.fixture
def plain_run(tmp_path_factory):
    return trained_run(tmp_path_factory, "demo")


@pytest.fixture
def conditional_run(tmp_path_factory):
    return trained_run(tmp_path_factory, "conditional")


def names_in(run_dir, n=2):
    from acvae import runs

    data = runs.load_run(run_dir).data
    batch = next(iter(data.validation))
    return [v.decode("utf-8") for v in batch["name"].numpy()[:n]]


def test_slerp_and_lerp():
    a, b = np.array([2.0, 0.0]), np.array([0.0, 2.0])
    path = generate.slerp(a, b, np.linspace(0, 1, 5))
    np.testing.assert_allclose(path[0], a, atol=1e-6)
    np.testing.assert_allclose(path[-1], b, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 2.0, atol=1e-5)  # on the circle
    np.testing.assert_allclose(generate.lerp(a, b, [0.5])[0], [1.0, 1.0])
    one_d = generate.slerp(np.array([-1.0]), np.array([3.0]), np.linspace(0, 1, 3))
    np.testing.assert_allclose(one_d[:, 0], [-1.0, 1.0, 3.0])  # antiparallel: linear


def test_sample_writes_a_grid(plain_run, tmp_path):
    out = tmp_path / "grid.png"
    assert generate.main(["--run_dir", str(plain_run), "--scale", "2", "sample", "--n", "4",
                         "--out", str(out)]) == out
    with Image.open(out) as image:
        assert image.size == (2 * 32 + 2, 2 * 32 + 2)  # 2x2 tiles of 16x16 at scale 2, 2px gaps


def test_interpolate_between_two_villagers_by_name(plain_run, tmp_path):
    first, second = names_in(plain_run)
    out = tmp_path / "walk.gif"
    generate.main(["--run_dir", str(plain_run), "interpolate", first.upper(), second,
                  "--steps", "5", "--out", str(out)])
    with Image.open(out) as image:
        assert image.n_frames == 5
    generate.main(["--run_dir", str(plain_run), "interpolate", first, second, "--steps", "3",
                  "--linear", "--out", str(out)])


def test_reconstruct_any_image_file(plain_run, tmp_path):
    source = tmp_path / "photo.jpg"
    Image.new("RGB", (40, 20), (200, 30, 30)).save(source)
    out = tmp_path / "rec.png"
    generate.main(["--run_dir", str(plain_run), "--scale", "1", "reconstruct", str(source),
                  "--out", str(out)])
    with Image.open(out) as image:
        assert image.size == (2 * 16 + 2, 16)


@pytest.mark.parametrize(
    "args, message",
    [(["interpolate", "Trool", "Nobody At All"], "no villager named 'Nobody At All'; valid: "),
     (["interpolate", "Trol", "Trool"], "no villager named 'Trol'; closest: Trool"),
     (["sample", "--species", "Frog"], "--species needs a label-conditional model"),
     (["reconstruct", "missing.png"], "no image file at missing.png")],
)
def test_mistakes_are_one_line(plain_run, tmp_path, args, message):
    with pytest.raises(SystemExit) as info:
        generate.main(["--run_dir", str(plain_run), *args[:1], *args[1:],
                      "--out", str(tmp_path / "x.png")])
    assert str(info.value).startswith(f"error: {message}")
    assert len(str(info.value).splitlines()) == 1
    assert not (tmp_path / "x.png").exists()


def test_conditional_sample_interpolate_and_reconstruct(conditional_run, tmp_path):
    out = tmp_path / "frogs.png"
    generate.main(["--run_dir", str(conditional_run), "sample", "--n", "3", "--species", "frog",
                  "--out", str(out)])
    assert out.exists()
    with pytest.raises(SystemExit, match="error: unknown species 'Frgo'; closest: Frog"):
        generate.main(["--run_dir", str(conditional_run), "sample", "--species", "Frgo",
                      "--out", str(out)])
    first, second = names_in(conditional_run)
    generate.main(["--run_dir", str(conditional_run), "interpolate", first, second,
                  "--steps", "3", "--out", str(tmp_path / "walk.gif")])
    generate.main(["--run_dir", str(conditional_run), "reconstruct", str(out), "--species",
                  "Cat", "--out", str(tmp_path / "rec.png")])
    assert (tmp_path / "walk.gif").exists() and (tmp_path / "rec.png").exists()
