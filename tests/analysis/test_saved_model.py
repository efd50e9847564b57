"""Tests for acvae.analysis.saved_model without a trained run: ``signature.json`` and
``README.txt`` say what a model's export holds, and ``check_out`` refuses an ``out`` that is a
file or an earlier export (unless ``overwrite``) before any work. The export itself, loaded by
plain TensorFlow, is tested through the command (tests/commands/test_export.py)."""

import types

import pytest

from acvae.analysis import saved_model
from acvae.core.errors import UserError


def stand_in(conditions=None, sampler_name=None):
    """What ``describe`` reads of a model: 16x16 RGBA images, a 6-number code, a prior, a
    sampler of that name (the prior when None) and the label it conditions on."""
    prior = types.SimpleNamespace(name="standard_normal")
    sampler = prior if sampler_name is None else types.SimpleNamespace(name=sampler_name)
    return types.SimpleNamespace(image_shape=(16, 16), n_channels=4, latent_dim=6, prior=prior,
                                 sampler=sampler, conditions=conditions)


def test_the_signature_and_readme_of_a_plain_model(tmp_path):
    info = saved_model.describe(stand_in(sampler_name="gaussian_mixture"), tmp_path)
    assert set(info["functions"]) == {"encode", "decode", "sample", "prior_sample"}
    assert info["image_shape"] == [16, 16, 4] and info["latent_dim"] == 6
    assert info["channels"] == "RGBA, straight alpha" and info["sampler"] == "gaussian_mixture"
    assert info["functions"]["decode"]["inputs"] == {"z": "float32 [B, 6]"}
    assert info["run_dir"] == str(tmp_path.resolve()) and "condition" not in info
    text = saved_model.readme(info)
    assert "tf.random.normal([8, 6])" in text and "from the gaussian_mixture sampler" in text
    assert "  decode(z: float32 [B, 6]) -> {images: float32 [B, 16, 16, 4] in [0, 1]}" in text
    assert "label_id" not in text


def test_the_signature_and_readme_of_a_conditional_model(tmp_path):
    label = types.SimpleNamespace(name="species", values=("Cat", "Frog"))
    info = saved_model.describe(stand_in(conditions=label), tmp_path)
    assert info["sampler"] == "prior"
    assert info["condition"] == {"label": "species", "values": ["Cat", "Frog"]}
    assert {"encode_conditioned", "decode_conditioned"} <= set(info["functions"])
    assert saved_model.readme(info).endswith(
        "label_id: the species (index: value):\n  0: Cat\n  1: Frog\n\n"
        f"Trained in {tmp_path.resolve()}; details in signature.json.\n")


def test_check_out_refuses_a_file_and_an_earlier_export_without_overwrite(tmp_path):
    assert saved_model.check_out(tmp_path / "new") is False
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="is a file; an export is a folder"):
        saved_model.check_out(tmp_path / "notes.txt", overwrite=True)
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / saved_model.SIGNATURE_FILE).write_text("{}")  # as an export before manifests
    assert saved_model.is_export(earlier) and not saved_model.is_export(tmp_path / "new")
    with pytest.raises(UserError, match="holds an earlier acvae export; choose another --out"):
        saved_model.check_out(earlier)
    assert saved_model.check_out(earlier, overwrite=True) is True
