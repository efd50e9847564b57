"""``index.html``: one self-contained page per run that opens in any browser.

It embeds every figure in ``RUN/figures/`` (PNG, GIF and MP4 as base64 data URIs; a file with
the same bytes as one already shown, such as ``embedding.png`` beside ``embedding_<label>.png``,
once; an animation written as both GIF and MP4 as the looping MP4, which every current browser
plays at a fraction of the GIF's size), a chart of the loss history (``loss.loss_figure``,
drawn by matplotlib), the final metrics (the last history row and ``RUN/metrics.json`` if
present), a latent explorer (``explorer``: sliders or a map that show precomputed decodes as
the user points; above 2D a map of the code's two leading principal directions, decoded from
the sampler's draws) and the operative gin config. The page stays one offline file with no
external resource. A small script marks ``<body data-all-images-loaded="true">`` once every
image has decoded (and ``data-all-videos-loaded`` once every video has), which the tests check
in headless Chromium. It runs after the other visualisers (``order = 100``) so their figures
are on the page.
"""

from __future__ import annotations

import base64
import hashlib
import html
import pathlib

from acvae.analysis import metrics
from acvae.core import registry
from acvae.visualise import base, files, latents, loss
from acvae.visualise import explorer as explorer_module

FIGURE_ORDER = ("samples", "loss", "latent_grid", "latent_traversals", "factors", "embedding",
                "latent_walk", "training", "reconstructions", "nearest_train")
MIME = {".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
        ".mp4": "video/mp4"}
CHECK_IMAGES = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (im) { return !(im.complete && im.naturalWidth > 0); });
  document.body.setAttribute("data-all-images-loaded", broken.length === 0 ? "true" : "false");
  document.body.setAttribute("data-images", String(images.length));
  var videos = Array.prototype.slice.call(document.querySelectorAll("video"));
  var waiting = videos.length;
  document.body.setAttribute("data-videos", String(videos.length));
  videos.forEach(function (video) {
    function done(ok) {
      waiting -= 1;
      if (!ok) { document.body.setAttribute("data-all-videos-loaded", "false"); }
      else if (waiting === 0 && !document.body.hasAttribute("data-all-videos-loaded")) {
        document.body.setAttribute("data-all-videos-loaded", "true");
      }
    }
    if (video.readyState >= 2) { done(true); }
    else {
      video.addEventListener("loadeddata", function () { done(true); }, {once: true});
      video.addEventListener("error", function () { done(false); }, {once: true});
    }
  });
});
"""
STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
figure { display: inline-block; margin: 1em; vertical-align: top; }
figure img, figure video { max-width: 100%; border: 1px solid #ddd; }
table { border-collapse: collapse; } td, th { padding: 2px 10px; border-bottom: 1px solid #eee; }
td.value { text-align: right; font-family: monospace; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 12px; }
"""


def loss_chart(history: list[dict]) -> str:
    """An inline PNG chart of train and validation loss by epoch (a note without history)."""
    if not history:
        return "<p>No training history yet.</p>"
    fig = loss.loss_figure(history, 6.4, 2.6, 100, panels=(("loss", "loss (nats / image)"),))
    data = base64.b64encode(files.figure_bytes(fig)).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="loss history">'


def metrics_table(values: dict[str, object]) -> str:
    """An HTML table of ``name -> value`` rows."""
    def show(value):
        return f"{value:.6g}" if isinstance(value, float) else str(value)

    rows = "".join(f"<tr><td>{html.escape(str(k))}</td>"
                   f"<td class='value'>{html.escape(show(v))}</td></tr>"
                   for k, v in values.items())
    return f"<table>{rows}</table>" if rows else "<p>None.</p>"


def figure_files(figures_dir: pathlib.Path) -> list[pathlib.Path]:
    """The images and videos in ``figures_dir``: built-in figures in reading order, then the
    rest by name; a file with the bytes of an earlier one is left out, and so is a GIF beside
    an MP4 of the same name."""
    images = [p for p in figures_dir.iterdir()
              if p.suffix.lower() in MIME and not p.name.startswith(".")]
    videos = {p.stem for p in images if p.suffix.lower() == ".mp4"}
    images = [p for p in images if not (p.suffix.lower() == ".gif" and p.stem in videos)]

    def rank(path):
        for i, prefix in enumerate(FIGURE_ORDER):
            if path.stem == prefix or path.stem.startswith(prefix + "_"):
                return (i, path.name)
        return (len(FIGURE_ORDER), path.name)

    unique = {}
    for path in sorted(images, key=rank):
        unique.setdefault(hashlib.sha1(path.read_bytes()).hexdigest(), path)
    return list(unique.values())


@registry.register("visualisers", "index_html")
class IndexHtml(base.Visualiser):
    """A self-contained index.html: every figure, the loss history, final metrics, a latent
    explorer, the gin config."""

    filename = "index.html"
    order = 100

    def __init__(self, explorer: bool = True, steps: int = 41, grid: int = 20,
                 max_items: int = 400, max_dimensions: int = 16, pool: int = latents.POOL,
                 seed: int = 0, background="white"):
        """
        Args:
          explorer: include the latent explorer.
          steps: decodes along each explorer slider.
          grid: decodes per side of the 2D explorer's map.
          max_items: training items the explorer keeps as nearest neighbours.
          max_dimensions: explorer sliders above 2D (the dimensions whose traversal shows most;
            0: the map only).
          pool: sampler draws the explorer's map chooses from above 2D (as
            ``visualisers.latent_grid.pool``: the same draws when both are equal).
          seed: the pool's seed.
          background: colour RGBA images are composited onto.
        """
        self.explorer = (explorer_module.Explorer(steps=steps, grid=grid, max_items=max_items,
                                                  max_dimensions=max_dimensions,
                                                  pool=pool, seed=seed, background=background)
                         if explorer else None)

    def on_train_end(self, run) -> list[pathlib.Path]:
        run_dir = run.folder.path
        title = html.escape(f"acvae run {run_dir.resolve().name} — epoch {run.epoch}")
        final = dict(run.history[-1]) if run.history else {}
        evaluation = metrics.flatten(run.folder.read_metrics() or {})
        config = run.folder.read_config() or "(no operative_config.gin)"
        figures = []
        for path in figure_files(run.figures_dir) if run.figures_dir.is_dir() else []:
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            name = html.escape(path.name)
            source = f"data:{MIME[path.suffix.lower()]};base64,{data}"
            shown = (f'<video src="{source}" title="{name}" autoplay loop muted playsinline '
                     'controls></video>' if path.suffix.lower() == ".mp4"
                     else f'<img src="{source}" alt="{name}">')
            figures.append(f"<figure>{shown}<figcaption>{name}</figcaption></figure>")
        page = "\n".join([
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{title}</title><style>{STYLE}{explorer_module.STYLE}</style>",
            f"<script>{CHECK_IMAGES}</script></head><body>",
            f"<h1>{title}</h1>",
            f"<p>Run folder: <code>{html.escape(str(run_dir.resolve()))}</code></p>",
            "<h2>Loss history</h2>", loss_chart(run.history),
            "<h2>Final metrics</h2><h3>Last epoch</h3>", metrics_table(final),
            "<h3>Evaluation (metrics.json)</h3>",
            metrics_table(evaluation) if evaluation else
            "<p>Not evaluated yet: <code>python -m acvae evaluate --run_dir="
            f"{html.escape(str(run_dir))}</code> adds ELBO, IWAE, active units, probes and "
            "memorisation here.</p>",
            "<h2>Latent explorer</h2>",
            self.explorer.section(run) if self.explorer else "<p>Switched off.</p>",
            "<h2>Figures</h2>", "\n".join(figures) or "<p>No figures yet.</p>",
            "<h2>Operative gin config</h2>", f"<pre>{html.escape(config)}</pre>",
            "</body></html>",
        ])
        return [run.folder.write_figure(self.filename, files.text(page))]
