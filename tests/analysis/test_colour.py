"""Colour metrics against known answers: grey has no chroma, identity keeps it, known Lab pairs."""

import numpy as np
import pytest

from acvae.analysis import colour


def _rgba(rgb, alpha=1.0, n=2, size=4):
    image = np.ones([n, size, size, 4], np.float32)
    image[..., :3] = rgb
    image[..., 3] = alpha
    return image


def test_lab_of_reference_colours():
    # CIE 15 / sRGB: white is L*=100, a*=b*=0; sRGB red is (53.24, 80.09, 67.20)
    np.testing.assert_allclose(colour.srgb_to_lab([1, 1, 1]), [100, 0, 0], atol=1e-3)
    np.testing.assert_allclose(colour.srgb_to_lab([1, 0, 0]), [53.24, 80.09, 67.20], atol=0.01)
    np.testing.assert_allclose(colour.srgb_to_lab([0, 0, 0]), [0, 0, 0], atol=1e-9)


def test_grey_reconstruction_has_no_chroma_and_identity_keeps_it():
    originals = _rgba([0.9, 0.2, 0.1])
    grey = colour.reconstruction_colour(originals, _rgba([0.5, 0.5, 0.5]))
    assert grey["chroma_ratio"] == pytest.approx(0.0, abs=1e-6)
    same = colour.reconstruction_colour(originals, originals)
    assert same["chroma_ratio"] == pytest.approx(1.0)
    assert same["delta_e"] == pytest.approx(0.0)


def test_delta_e_of_a_known_pair():
    # black against white differs by exactly L* = 100 in CIE76
    result = colour.reconstruction_colour(_rgba([0, 0, 0]), _rgba([1, 1, 1]))
    assert result["delta_e"] == pytest.approx(100.0, abs=1e-3)


def test_only_opaque_pixels_of_the_original_count():
    originals = _rgba([0.9, 0.2, 0.1])
    originals[:, :2, :, 3] = 0.0  # top half transparent
    rebuilt = originals.copy()
    rebuilt[:, :2, :, :3] = 0.5  # wrong colour only where the original is transparent
    assert colour.reconstruction_colour(originals, rebuilt)["delta_e"] == pytest.approx(0.0)


def test_sample_chroma_uses_the_samples_own_opaque_pixels():
    originals = _rgba([0.9, 0.2, 0.1])
    assert colour.sample_chroma_ratio(originals, originals) == pytest.approx(1.0)
    assert colour.sample_chroma_ratio(originals, _rgba([0.9, 0.2, 0.1], alpha=0.0)) == 0.0
    with pytest.raises(ValueError, match="RGBA"):
        colour.sample_chroma_ratio(originals[..., :3], originals)


def test_sums_over_batches_equal_the_whole_and_rgb_counts_as_opaque():
    rng = np.random.default_rng(0)
    originals = rng.uniform(size=(5, 4, 4, 4)).astype(np.float32)
    rebuilt = rng.uniform(size=(5, 4, 4, 4)).astype(np.float32)
    whole = colour.reconstruction_colour(originals, rebuilt)
    sums = np.concatenate([colour.per_image_sums(originals[:2], rebuilt[:2]),
                           colour.per_image_sums(originals[2:], rebuilt[2:])])
    parts = colour.from_sums(sums)
    assert parts["chroma_ratio"] == pytest.approx(whole["chroma_ratio"])
    assert parts["delta_e"] == pytest.approx(whole["delta_e"])
    assert colour.as_rgba(originals[..., :3])[..., 3].min() == 1.0
    assert colour.as_rgba(originals[..., :1]) is None
