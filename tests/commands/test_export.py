"""Tests for acvae.commands.export: a SavedModel that plain TensorFlow loads in a fresh process."""

import json
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from acvae.analysis import saved_model
from acvae.commands import export
from acvae.core import cli
from acvae.core.errors import UserError
from acvae.runs import experiment
from tests.plugins.tiny_trained import trained_run
from tests.conftest import without_tf_log


LOAD_AND_DECODE = textwrap.dedent("""
    import sys
    import numpy as np
    import tensorflow as tf

    model = tf.saved_model.load(sys.argv[1])
    z = np.load(sys.argv[2])
    images = model.decode(tf.constant(z))["images"].numpy()
    encoded = model.encode(tf.constant(images))
    samples = model.sample(tf.constant(3))["images"]
    prior_z = model.prior_sample(tf.constant(3))["z"]
    assert prior_z.shape == (3, z.shape[1])
    serving = model.signatures["decode"](z=tf.constant(z))["images"].numpy()
    np.save(sys.argv[3], images)
    assert np.allclose(images, serving)
    assert tuple(encoded["mean"].shape) == tuple(encoded["logvar"].shape) == z.shape
    assert samples.shape[0] == 3 and int(model.latent_dim) == z.shape[1]
    assert not [m for m in sys.modules if m.split(".")[0] in ("acvae", "gin", "plugins")]
    print("ok", model.image_shape.numpy().tolist())
""")


def test_export_loads_and_decodes_in_a_fresh_process_without_acvae(tmp_path_factory, tmp_path):
    run_dir = trained_run(tmp_path_factory, "demo")
    out = tmp_path / "export"
    assert cli.invoke(export.main, ["--run_dir", str(run_dir), "--out", str(out)]) == out
    info = json.loads((out / saved_model.SIGNATURE_FILE).read_text())
    assert info["image_shape"] == [16, 16, 4] and info["latent_dim"] == 40  # demo.gin: 8 + 2x2x8
    assert set(info["functions"]) == {"encode", "decode", "sample", "prior_sample"}
    assert info["sampler"] == "gaussian_mixture"  # configs/base.gin
    assert "tf.saved_model.load" in (out / saved_model.README_FILE).read_text()

    z = np.random.default_rng(0).normal(size=(4, info["latent_dim"])).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    script = tmp_path / "load.py"
    script.write_text(LOAD_AND_DECODE)
    result = subprocess.run(
        [sys.executable, "-I", str(script), str(out), str(tmp_path / "z.npy"),
         str(tmp_path / "images.npy")],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    stderr = without_tf_log(result.stderr)
    assert result.returncode == 0, stderr
    assert result.stdout.strip() == "ok [16, 16, 4]"
    decoded = np.load(tmp_path / "images.npy")
    model = experiment.load_run(run_dir).model
    np.testing.assert_allclose(decoded, model.decode_mean(z), atol=1e-5)
    assert decoded.min() >= 0.0 and decoded.max() <= 1.0


def test_conditional_export_has_conditioned_functions(tmp_path_factory, tmp_path):
    run_dir = trained_run(tmp_path_factory, "conditional")
    out = cli.invoke(export.main, ["--run_dir", str(run_dir), "--out", str(tmp_path / "export")])
    info = json.loads((out / saved_model.SIGNATURE_FILE).read_text())
    assert info["condition"]["label"] == "species"
    frog = info["condition"]["values"].index("Frog")
    assert set(info["functions"]) >= {"encode_conditioned", "decode_conditioned"}
    loaded = tf.saved_model.load(str(out))
    z = tf.zeros([2, 2])
    images = loaded.decode_conditioned(z, tf.constant([frog, frog]))["images"]
    expected = experiment.load_run(run_dir).model.decode_mean(z, tf.constant([frog, frog]))
    np.testing.assert_allclose(images, expected, atol=1e-5)
    assert "label_id: the species" in (out / saved_model.README_FILE).read_text()
    again = cli.invoke(export.main, ["--run_dir", str(run_dir), "--out", str(out),
                                     "--overwrite"])  # an earlier export needs --overwrite
    assert again == out and (out / saved_model.SIGNATURE_FILE).exists()


def test_export_refuses_to_overwrite_another_folder(tmp_path_factory, tmp_path):
    run_dir = trained_run(tmp_path_factory, "demo")
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "thesis.txt").write_text("keep")
    with pytest.raises(UserError, match="precious already exists and acvae did not write it"):
        cli.invoke(export.main, ["--run_dir", str(run_dir), "--out", str(tmp_path / "precious")])
    assert (tmp_path / "precious" / "thesis.txt").read_text() == "keep"


def test_installed_console_script_exits_zero(tmp_path_factory, tmp_path):
    script = pathlib.Path(sys.executable).parent / "acvae-export"
    if not script.exists():
        pytest.skip("acvae is not installed with its console scripts in this environment")
    run_dir = trained_run(tmp_path_factory, "demo")
    result = subprocess.run([str(script), f"--run_dir={run_dir}", f"--out={tmp_path / 'e'}"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "unrestored" not in result.stderr  # the optimizer is skipped without warnings
    assert (tmp_path / "e" / saved_model.SIGNATURE_FILE).exists()


def test_exported_samples_come_from_the_runs_sampler(tmp_path_factory, tmp_path):
    """sample(n) draws from the fitted mixture (as generate does), prior_sample(n) from N(0, I)."""
    run_dir = trained_run(tmp_path_factory, "demo")
    out = cli.invoke(export.main, ["--run_dir", str(run_dir), "--out", str(tmp_path / "export")])
    loaded = tf.saved_model.load(str(out))
    sampler = experiment.load_run(run_dir).model.sampler
    weights, means = sampler.weights, sampler.means
    centre = (weights[:, None] * means).sum(0)
    spread = np.sqrt((weights[:, None] * (means - centre) ** 2).sum(0)
                     + (weights[:, None] * np.square(sampler.cholesky).sum(-1)).sum(0))
    z = loaded.sample(tf.constant(4000))["z"].numpy()
    prior_z = loaded.prior_sample(tf.constant(4000))["z"].numpy()
    np.testing.assert_allclose(z.mean(0), centre, atol=0.15 * spread.max() + 0.05)
    np.testing.assert_allclose(z.std(0), spread, rtol=0.15, atol=0.02)
    np.testing.assert_allclose(prior_z.mean(0), 0.0, atol=0.1)
    np.testing.assert_allclose(prior_z.std(0), 1.0, atol=0.1)
