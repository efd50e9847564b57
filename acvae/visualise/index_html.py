"""``index.html``: one self-contained page per run that opens in any browser.

It embeds every figure in ``RUN/figures/`` (PNG and GIF as base64 data URIs), an inline SVG of
the loss history, the final metrics (the last history row and ``RUN/metrics.json`` if present)
and the operative gin config. A small script marks ``<body data-all-images-loaded="true">`` once
every image has decoded, which the tests check in headless Chromium. It runs after the other
visualisers (``order = 100``) so their figures are on the page.
"""

from __future__ import annotations

import base64
import html
import json
import math
import pathlib

from acvae import registry
from acvae.visualise import base

FIGURE_ORDER = ("samples", "loss", "latent_grid", "embedding", "latent_walk", "training",
                "reconstructions", "nearest_train")
MIME = {".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
CHECK_IMAGES = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (im) { return !(im.complete && im.naturalWidth > 0); });
  document.body.setAttribute("data-all-images-loaded", broken.length === 0 ? "true" : "false");
  document.body.setAttribute("data-images", String(images.length));
});
"""
STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
figure { display: inline-block; margin: 1em; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #ddd; }
table { border-collapse: collapse; } td, th { padding: 2px 10px; border-bottom: 1px solid #eee; }
td.value { text-align: right; font-family: monospace; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 12px; }
"""


def history_svg(history: list[dict], width: int = 640, height: int = 240) -> str:
    """An inline SVG of train and validation loss by epoch (empty note without history)."""
    series = [(key, colour) for key, colour in (("train_loss", "#1f77b4"), ("val_loss", "#ff7f0e"))
              if history and all(math.isfinite(float(row.get(key, math.nan))) for row in history)]
    if not series:
        return "<p>No training history yet.</p>"
    left, right, top, bottom = 60, 110, 10, 30
    epochs = [float(row["epoch"]) for row in history]
    values = [float(row[key]) for key, _ in series for row in history]
    x0, x1 = min(epochs), max(epochs) if max(epochs) > min(epochs) else min(epochs) + 1
    y0, y1 = min(values), max(values) if max(values) > min(values) else min(values) + 1

    def label(x, y, text, anchor="start"):
        return f'<text x="{x}" y="{y}" text-anchor="{anchor}" font-size="11">{text}</text>'

    def point(epoch, value):
        x = left + (epoch - x0) / (x1 - x0) * (width - left - right)
        y = top + (y1 - value) / (y1 - y0) * (height - top - bottom)
        return f"{x:.1f},{y:.1f}"

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="loss by epoch">',
             f'<rect x="{left}" y="{top}" width="{width - left - right}" '
             f'height="{height - top - bottom}" fill="none" stroke="#999"/>',
             label(left - 4, top + 10, f"{y1:.4g}", "end"),
             label(left - 4, height - bottom, f"{y0:.4g}", "end"),
             label(left, height - 10, f"epoch {x0:g}"),
             label(width - right, height - 10, f"{x1:g}", "end")]
    for i, (key, colour) in enumerate(series):
        points = " ".join(point(float(row["epoch"]), float(row[key])) for row in history)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        if len(history) == 1:
            x, y = point(epochs[0], float(history[0][key])).split(",")
            parts.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}"/>')
        parts.append(f'<text x="{width - right + 8}" y="{top + 14 + 16 * i}" font-size="12" '
                     f'fill="{colour}">{html.escape(key)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def flatten(metrics, prefix: str = "") -> dict[str, object]:
    """Nested dicts -> ``{"a.b": value}``."""
    if not isinstance(metrics, dict):
        return {prefix: metrics}
    flat = {}
    for key, value in metrics.items():
        flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def metrics_table(metrics: dict[str, object]) -> str:
    """An HTML table of ``name -> value`` rows."""
    def show(value):
        return f"{value:.6g}" if isinstance(value, float) else str(value)

    rows = "".join(f"<tr><td>{html.escape(str(k))}</td>"
                   f"<td class='value'>{html.escape(show(v))}</td></tr>"
                   for k, v in metrics.items())
    return f"<table>{rows}</table>" if rows else "<p>None.</p>"


def figure_files(figures_dir: pathlib.Path) -> list[pathlib.Path]:
    """The images in ``figures_dir``: built-in figures in reading order, then the rest by name."""
    files = [p for p in figures_dir.iterdir()
             if p.suffix.lower() in MIME and not p.name.startswith(".")]

    def rank(path):
        for i, prefix in enumerate(FIGURE_ORDER):
            if path.stem == prefix or path.stem.startswith(prefix + "_"):
                return (i, path.name)
        return (len(FIGURE_ORDER), path.name)

    return sorted(files, key=rank)


@registry.register("visualisers", "index_html")
class IndexHtml(base.Visualiser):
    """A self-contained index.html: every figure, the loss history, final metrics, gin config."""

    filename = "index.html"
    order = 100

    def on_train_end(self, run) -> list[pathlib.Path]:
        run_dir = pathlib.Path(run.run_dir)
        title = html.escape(f"acvae run {run_dir.resolve().name} — epoch {run.epoch}")
        final = dict(run.history[-1]) if run.history else {}
        metrics_file = run_dir / "metrics.json"
        evaluation = flatten(json.loads(metrics_file.read_text())) if metrics_file.exists() else {}
        config_file = run_dir / "operative_config.gin"
        config = config_file.read_text() if config_file.exists() else "(no operative_config.gin)"
        figures = []
        for path in figure_files(run.figures_dir):
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            name = html.escape(path.name)
            figures.append(f'<figure><img src="data:{MIME[path.suffix.lower()]};base64,{data}" '
                           f'alt="{name}"><figcaption>{name}</figcaption></figure>')
        page = "\n".join([
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{title}</title><style>{STYLE}</style>",
            f"<script>{CHECK_IMAGES}</script></head><body>",
            f"<h1>{title}</h1>",
            f"<p>Run folder: <code>{html.escape(str(run_dir.resolve()))}</code></p>",
            "<h2>Loss history</h2>", history_svg(run.history),
            "<h2>Final metrics</h2><h3>Last epoch</h3>", metrics_table(final),
            "<h3>Evaluation (metrics.json)</h3>",
            metrics_table(evaluation) if evaluation else
            "<p>Not evaluated yet: <code>python -m acvae.evaluate --run_dir="
            f"{html.escape(str(run_dir))}</code> adds ELBO, IWAE, active units, probes and "
            "memorisation here.</p>",
            "<h2>Figures</h2>", "\n".join(figures) or "<p>No figures yet.</p>",
            "<h2>Operative gin config</h2>", f"<pre>{html.escape(config)}</pre>",
            "</body></html>",
        ])
        path = run.figures_dir / self.filename
        base.atomic_write(path, lambda tmp: pathlib.Path(tmp).write_text(page, encoding="utf-8"))
        return [path]
