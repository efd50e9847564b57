"""index.html: self-contained, shows metrics and the escaped config, and every image loads in
headless Chromium (skipped only when Chromium is not installed)."""

import pathlib
import re
import shutil
import subprocess

import pytest

from acvae import visualise
from acvae.core import registry
from acvae.visualise import index_html
from tests.visualise.tiny_runs import DPI, make_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync")


@pytest.fixture(scope="module")
def page_run(tmp_path_factory, villagers_tfrecord):
    """A tiny run with every figure, an operative config and metrics.json, then its index.html."""
    run_dir = tmp_path_factory.mktemp("page_run")
    run = make_run(run_dir, villagers_tfrecord, latent_dim=2, n_channels=4)
    config = "build_vae.latent_dim = 2  # <b>not bold</b> & co\n"
    run.folder.write_config(config)
    run.folder.write_metrics({"test": {"elbo": -123.5, "kl": 4.25}})
    small = dict(samples={"dpi": DPI}, loss={"dpi": DPI}, latent_grid={"n": 3, "dpi": DPI},
                 embedding={"dpi": DPI}, latent_walk={"n_frames": 4}, training_movie={"n": 3},
                 factors={"n": 3, "dpi": DPI},
                 reconstructions={"n": 4, "dpi": DPI}, nearest_train={"n": 4, "dpi": DPI})
    visualisers = [registry.get("visualisers", name)(**small.get(name, {}))
                   for name in reversed(visualise.ALL)]  # train_end must still run index_html last
    paths = visualise.train_end(visualisers, run)
    assert paths[-1].name == "index.html"
    return run


def test_page_is_self_contained_with_metrics_and_escaped_config(page_run):
    page = (page_run.figures_dir / "index.html").read_text()
    figures = sorted(p.name for p in page_run.figures_dir.iterdir()
                     if p.suffix in (".png", ".gif", ".mp4"))
    labels = len(page_run.data.schema.categorical)  # one embedding figure each, and
    assert len(figures) == 11 + labels  # embedding.png, embedding_species.png's twin: shown once
    shown = re.findall(r'<img src="data:image/(?:png|gif);base64,[^"]*" alt="([^"]+)"', page)
    videos = re.findall(r'<video src="data:video/mp4;base64,[^"]*" title="([^"]+)"', page)
    assert videos == ["latent_walk.mp4", "training.mp4"]  # in place of their GIFs
    assert sorted(shown + videos) == sorted(
        set(figures) - {"embedding_species.png", "latent_walk.gif", "training.gif"}
        | {"loss history"})
    assert not re.search(r'src="(?!data:)', page)  # nothing loaded from files or the network
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; co" in page and "<b>not bold</b>" not in page
    assert "test.elbo" in page and "-123.5" in page
    assert "val_loss" in page


def test_loss_chart_handles_short_histories():
    assert "No training history" in index_html.loss_chart([])
    chart = index_html.loss_chart([{"epoch": 1, "train_loss": 3.0, "val_loss": 4.0}])
    assert chart.startswith('<img src="data:image/png;base64,') and 'alt="loss history"' in chart


def dump_dom(html_path: pathlib.Path, tmp_path: pathlib.Path) -> str:
    command = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}",
               "--dump-dom", html_path.resolve().as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_every_image_loads_in_headless_chromium(page_run, tmp_path):
    dom = dump_dom(page_run.figures_dir / "index.html", tmp_path)
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'data-all-images-loaded="true"' in body
    # the figures but the GIFs beside videos and a twin, one embedding a label, the loss chart
    assert f'data-images="{7 + len(page_run.data.schema.categorical)}"' in body
    assert 'data-videos="2"' in body
    # The check itself catches a broken image.
    broken = tmp_path / "broken.html"
    broken.write_text((page_run.figures_dir / "index.html").read_text().replace(
        "<h2>Figures</h2>", '<h2>Figures</h2><img src="data:image/png;base64,AAAA">'))
    assert 'data-all-images-loaded="false"' in dump_dom(broken, tmp_path)
