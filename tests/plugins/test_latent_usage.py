"""plugins.latent_usage: per-dimension KL and activity, and the figure on a tiny run."""

import json

import numpy as np
import pytest
from PIL import Image

from acvae.analysis import metrics
from plugins import latent_usage
from tests.visualise.tiny_runs import make_run


def test_statistics_match_closed_forms():  # the plugin draws acvae.analysis.metrics' statistics
    mean = np.array([[0.0, 1.0, 0.0], [0.0, -1.0, 0.0]])
    logvar = np.array([[0.0, 0.0, np.log(4.0)], [0.0, 0.0, np.log(4.0)]])
    np.testing.assert_allclose(metrics.kl_per_dimension(mean, logvar),
                               [0.0, 0.5, 0.5 * (4.0 - np.log(4.0) - 1.0)])
    np.testing.assert_allclose(metrics.active_units(mean)[1], [0.0, 1.0, 0.0])


@pytest.mark.parametrize("latent_dim, channels", [(3, 1)])
def test_figure_and_summary(tmp_path, villagers_tfrecord, latent_dim, channels):
    run = make_run(tmp_path, villagers_tfrecord, latent_dim, channels)
    png, summary = latent_usage.LatentUsage(dpi=30).on_train_end(run)
    assert png == run.figures_dir / "latent_usage.png"
    with Image.open(png) as image:
        assert np.asarray(image.convert("RGB")).std() > 0
    data = json.loads(summary.read_text())
    assert len(data["kl"]) == len(data["activity"]) == latent_dim
    assert 0 <= data["active_units"] <= latent_dim


def test_unknown_split_lists_the_valid_ones():
    with pytest.raises(ValueError, match="valid: train_eval, validation"):
        latent_usage.LatentUsage(split="test")
