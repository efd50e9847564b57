"""The latent explorer of ``index.html``: point at the latent space and see what it decodes to.

No model runs in the page. ``section(run)`` decodes, once, every latent point the page can show
and packs the images as sprite sheets (base64 JPEG, a quarter of PNG's size) with their
coordinates in a JSON block; a small script draws them as the user moves:

- 1D: a slider along the range the data occupies (the 1st to 99th percentile of the training
  posterior means, widened by ``margin`` of that width each side), ``steps`` decodes.
- 2D: a map of the training items' posterior means over the same range on each axis; pointing
  (mouse, pen or touch) shows the decode of the nearest of ``grid`` x ``grid`` points and the
  ``k`` nearest real items with their pictures and names (the schema's identifier).
- 3D and more: the same map over a 2D chart of the code (``latents.Chart``: the two leading
  principal directions of the training codes), each of its ``grid`` x ``grid`` points decoded
  from the full code the run's sampler gives there, as in ``latent_grid.png``
  (``latents.map_codes``: of ``pool`` seeded draws, the one projected nearest the point).
  Below it, a second view: a select box of items and one slider per dimension; moving a slider
  changes that dimension from the chosen item's posterior mean, the others staying at the
  item's values, and the map marks where that code lies. Sliders are given to at most
  ``max_dimensions`` dimensions (0: no such view), those whose traversal changes the picture
  most (``latents.visible_dimensions``, the same as ``latent_traversals.png``);
  ``max_decodes`` bounds how many items can be chosen.

The page keeps at most ``max_items`` training items (evenly spread), as thumbnails of
``thumbnail`` pixels.
"""

from __future__ import annotations

import base64
import html
import json
import math

import numpy as np

from acvae.data import batches
from acvae.visualise import files, images, latents

SCRIPT = r"""
(function () {
  var root = document.getElementById("explorer");
  if (!root) { return; }
  var data = JSON.parse(document.getElementById("explorer-data").textContent);
  var shown = document.getElementById("explorer-decoded");
  var where = document.getElementById("explorer-where");
  var nearest = document.getElementById("explorer-nearest");
  var sheets = {};
  var names = ["decodes", "items"].concat(data.dimensions ? ["dimensions"] : []);
  var pending = names.length;
  names.forEach(function (name) {
    var image = new Image();
    image.onload = function () { pending -= 1; if (pending === 0) { start(); } };
    image.src = data[name].sheet;
    sheets[name] = image;
  });

  function draw(canvas, sheetName, index) {
    var sheet = data[sheetName];
    var context = canvas.getContext("2d");
    context.imageSmoothingEnabled = false;
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    var col = index % sheet.cols, row = Math.floor(index / sheet.cols);
    context.drawImage(sheets[sheetName], col * sheet.width, row * sheet.height, sheet.width,
                      sheet.height, 0, 0, canvas.width, canvas.height);
    canvas.setAttribute("data-index", String(index));
  }

  function format(z, dims) {
    if (dims && dims.length < z.length) {
      return dims.map(function (d) { return "z" + (d + 1) + " " + z[d].toFixed(2); })
        .join(", ") + " (the other " + (z.length - dims.length) +
        " dimensions at the item's values)";
    }
    return "z = (" + z.map(function (v) { return v.toFixed(2); }).join(", ") + ")";
  }

  function formatChart(z) {
    return data.axes[0] + " " + z[0].toFixed(2) + ", " + data.axes[1] + " " + z[1].toFixed(2) +
      ": the sampler's draw projected nearest this point";
  }

  function project(z) {  // a full code's place on the chart (map mode)
    var chart = data.chart;
    return chart.directions.map(function (direction) {
      var sum = 0;
      for (var j = 0; j < z.length; j++) { sum += (z[j] - chart.mean[j]) * direction[j]; }
      return sum;
    });
  }

  function showNearest(z) {
    var items = data.items, order = [];
    for (var i = 0; i < items.z.length; i++) {
      var d = 0;
      for (var j = 0; j < z.length; j++) { d += Math.pow(items.z[i][j] - z[j], 2); }
      order.push([d, i]);
    }
    order.sort(function (a, b) { return a[0] - b[0]; });
    nearest.innerHTML = "";
    order.slice(0, data.k).forEach(function (pair) {
      var figure = document.createElement("figure");
      var canvas = document.createElement("canvas");
      canvas.width = data.items.width * 2;
      canvas.height = data.items.height * 2;
      draw(canvas, "items", pair[1]);
      var caption = document.createElement("figcaption");
      caption.textContent = items.names[pair[1]];
      figure.appendChild(canvas);
      figure.appendChild(caption);
      nearest.appendChild(figure);
    });
  }

  function start() {
    if (data.mode === "1d") { startSlider(); }
    else if (data.mode === "2d") { startMap(); }
    else {
      var mark = startMap();
      if (data.dimensions) { startDimensions(mark); }
    }
    root.setAttribute("data-ready", "true");
  }

  function startSlider() {
    var slider = document.getElementById("explorer-slider");
    function update() {
      var step = Number(slider.value), z = [data.values[step]];
      draw(shown, "decodes", step);
      where.textContent = format(z);
      showNearest(z);
    }
    slider.addEventListener("input", update);
    update();
  }

  function startMap() {  // returns a function that marks a point of the map
    var map = document.getElementById("explorer-map");
    var context = map.getContext("2d");
    var low = data.low, high = data.high, n = data.grid;
    function toPixel(z) {
      return [(z[0] - low[0]) / (high[0] - low[0]) * map.width,
              (1 - (z[1] - low[1]) / (high[1] - low[1])) * map.height];
    }
    function drawMap(marker) {
      context.fillStyle = "#fff";
      context.fillRect(0, 0, map.width, map.height);
      context.fillStyle = "rgba(40, 90, 160, 0.55)";
      data.items.z.forEach(function (z) {
        var p = toPixel(z);
        context.beginPath();
        context.arc(p[0], p[1], 3, 0, 2 * Math.PI);
        context.fill();
      });
      if (marker) {
        context.strokeStyle = "#d22";
        context.lineWidth = 2;
        context.beginPath();
        context.arc(marker[0], marker[1], 7, 0, 2 * Math.PI);
        context.stroke();
      }
    }
    function point(x, y) {
      var z = [low[0] + x / map.width * (high[0] - low[0]),
               low[1] + (1 - y / map.height) * (high[1] - low[1])];
      function cell(share) { return Math.min(n - 1, Math.max(0, Math.round(share * (n - 1)))); }
      var col = cell((z[0] - low[0]) / (high[0] - low[0]));
      var row = cell((high[1] - z[1]) / (high[1] - low[1]));
      draw(shown, "decodes", row * n + col);
      where.textContent = data.mode === "map" ? formatChart(z) : format(z);
      showNearest(z);
      drawMap([x, y]);
    }
    map.addEventListener("pointermove", function (event) {
      var box = map.getBoundingClientRect();
      point((event.clientX - box.left) * map.width / box.width,
            (event.clientY - box.top) * map.height / box.height);
    });
    point(map.width / 2, map.height / 2);
    return function (z) { drawMap(toPixel(z)); };
  }

  function startDimensions(mark) {
    var view = data.dimensions;
    var select = document.getElementById("explorer-item");
    var sliders = Array.prototype.slice.call(document.querySelectorAll(".explorer-dimension"));
    var L = sliders.length, S = view.values[0].length;
    function base(item) { return item * (L * S + 1); }
    function closest(values, v) {
      var best = 0;
      values.forEach(function (w, i) {
        if (Math.abs(w - v) < Math.abs(values[best] - v)) { best = i; }
      });
      return best;
    }
    function reset(keep) {
      var z = view.chosen[Number(select.value)];
      sliders.forEach(function (slider, i) {
        if (i !== keep) { slider.value = String(closest(view.values[i], z[view.dims[i]])); }
      });
      return z.slice();
    }
    function show(index, z) {
      draw(shown, "dimensions", index);
      where.textContent = format(z, view.dims);
      var place = project(z);
      showNearest(place);
      mark(place);
    }
    select.addEventListener("change", function () {
      show(base(Number(select.value)) + L * S, reset(-1));
    });
    sliders.forEach(function (slider, i) {
      slider.addEventListener("input", function () {
        var item = Number(select.value), step = Number(slider.value), z = reset(i);
        z[view.dims[i]] = view.values[i][step];
        show(base(item) + i * S + step, z);
      });
    });
    reset(-1);
  }
})();
"""

STYLE = """
#explorer { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
#explorer canvas { image-rendering: pixelated; border: 1px solid #ddd; }
#explorer-map { cursor: crosshair; touch-action: none; }
#explorer-controls label { display: block; font-size: 13px; }
#explorer-controls input[type=range] { width: 320px; }
#explorer-nearest figure { margin: 0 0.5em 0.5em 0; font-size: 12px; text-align: center; }
#explorer-nearest { display: flex; flex-wrap: wrap; max-width: 420px; }
"""


def sheet(pictures: np.ndarray) -> dict:
    """uint8 ``[N, H, W, 3]`` pictures as one JPEG sprite sheet for the page: a data URI, the
    pictures per row and one picture's size (picture ``i`` is at row ``i // cols``)."""
    n, height, width, _ = pictures.shape
    cols = math.ceil(math.sqrt(n))
    tiled = images.tile(pictures, cols, pad=0)
    encoded = base64.b64encode(files.jpeg_bytes(tiled)).decode("ascii")
    return {"sheet": f"data:image/jpeg;base64,{encoded}", "cols": cols, "width": width,
            "height": height}


def data_range(z: np.ndarray, margin: float,
               quantiles=(1.0, 99.0)) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension (low, high) of ``[N, L]`` points: the percentiles ``quantiles``, widened
    by ``margin`` of their width each side (and at least 0.1 wide)."""
    low, high = np.percentile(z, quantiles, axis=0)
    width = np.maximum(high - low, 0.1)
    return low - margin * width, high + margin * width


class Explorer:
    """Builds the explorer section of a run's page.

    Args:
      steps: decodes along a slider (1D, and each dimension above 2D).
      grid: decodes per side of the map (2D, and the chart above 2D).
      k: nearest items shown.
      margin: share of the data's width added beyond each end of the range.
      max_items: training items kept in the page (evenly spread).
      max_decodes: bound on the slider decodes above 2D (fixes how many items the select box
        offers).
      max_dimensions: sliders above 2D, for the dimensions whose traversal shows most (0: the
        map only).
      pool: sampler draws the map's points choose from above 2D (``latents.map_codes``).
      seed: the pool's seed.
      thumbnail: pixels of an item's picture (the larger side).
      background: colour RGBA images are composited onto.
    """

    def __init__(self, steps: int = 41, grid: int = 20, k: int = 4, margin: float = 0.1,
                 max_items: int = 400, max_decodes: int = 1200, max_dimensions: int = 16,
                 pool: int = latents.POOL, seed: int = 0, thumbnail: int = 32,
                 background="white"):
        latents.check_draws(pool)
        self.steps, self.grid, self.k, self.margin = steps, grid, k, margin
        self.max_items, self.max_decodes, self.thumbnail = max_items, max_decodes, thumbnail
        self.max_dimensions, self.pool, self.seed = max_dimensions, pool, seed
        self.background = background

    def _decode(self, model, z: np.ndarray) -> np.ndarray:
        return images.to_rgb(latents.decode(model, z), self.background)

    def _items(self, run) -> dict:
        """Training items: posterior means ``z`` (the run's training codes, encoded once for
        every figure), identifiers and thumbnails, at most ``max_items`` evenly spread."""
        from PIL import Image

        schema, codes = run.data.schema, run.training_codes()

        def add(batch):
            pictures = images.to_rgb(batch["image"], self.background)
            height, width = pictures.shape[1:3]
            scale = min(1.0, self.thumbnail / max(height, width))
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            small = [np.asarray(Image.fromarray(p).resize(size, Image.Resampling.BOX))
                     for p in pictures]
            return {"thumbnail": np.stack(small)}

        # The same items in the same order as the codes (the first ones of the fixed split).
        data = batches.collect(run.data.train_eval, limit=len(codes), add=add,
                               keep=(schema.id,))
        n = len(codes)
        kept = np.unique(np.linspace(0, n - 1, min(n, self.max_items)).round().astype(int))
        return {"z": codes, "kept": kept, "names": data[schema.id],
                "thumbnails": data["thumbnail"]}

    def map_points(self, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        """float32 ``[grid * grid, 2]``: the map's points, row-major from the top left (the
        second coordinate decreasing down the rows), spanning ``low`` to ``high``."""
        axes = [np.linspace(low[d], high[d], self.grid, dtype=np.float32) for d in (0, 1)]
        first, second = np.meshgrid(axes[0], axes[1][::-1])
        return np.stack([first.ravel(), second.ravel()], 1)

    def data(self, run) -> dict:
        """The JSON-ready data the page's script draws from."""
        items = self._items(run)
        kept = items["kept"]
        model, latent_dim = run.model, run.model.latent_dim
        chart = latents.run_chart(run) if latent_dim > 2 else None
        shown = items["z"] if chart is None else chart.project(items["z"])
        low, high = data_range(shown, self.margin)
        out = {"k": self.k, "latent_dim": latent_dim,
               "items": {**sheet(items["thumbnails"][kept]),
                         "z": shown[kept].round(4).tolist(),
                         "names": [str(name) for name in items["names"][kept]]}}
        if latent_dim == 1:
            values = np.linspace(low[0], high[0], self.steps, dtype=np.float32)
            out.update(mode="1d", values=values.round(4).tolist())
            out["decodes"] = sheet(self._decode(model, values[:, None]))
            return out
        out.update(grid=self.grid, low=low.tolist(), high=high.tolist())
        points = self.map_points(low, high)
        if latent_dim == 2:
            out.update(mode="2d", decodes=sheet(self._decode(model, points)))
            return out
        codes, _ = latents.map_codes(run, points, self.pool, self.seed, high - low)
        out.update(mode="map", axes=["PC1", "PC2"], axis_names=list(chart.axis_names()),
                   chart={"mean": chart.mean.round(5).tolist(),
                          "directions": chart.directions.round(5).tolist()},
                   decodes=sheet(self._decode(model, codes)))
        if self.max_dimensions > 0:
            out["dimensions"] = self._dimensions(run, items["z"][kept], out["items"]["names"],
                                                 data_range(items["z"], self.margin))
        return out

    def _dimensions(self, run, codes: np.ndarray, names: list[str], extent) -> dict:
        """The per-dimension view above 2D: traversals of the chosen items' codes ``[N, L]``
        along the dimensions that show most, spanning ``extent`` (low [L], high [L])."""
        dims = latents.run_visible_dimensions(run, self.max_dimensions)
        values = np.stack([np.linspace(extent[0][d], extent[1][d], self.steps,
                                       dtype=np.float32) for d in dims])
        per_item = len(dims) * self.steps + 1
        n_chosen = max(1, min(len(codes), self.max_decodes // per_item))
        chosen = codes[:n_chosen]
        points = []
        for centre in chosen:  # [slider, step] traversals, then the item itself
            for i, d in enumerate(dims):
                traversal = np.repeat(centre[None], self.steps, axis=0)
                traversal[:, d] = values[i]
                points.append(traversal)
            points.append(centre[None])
        decoded = self._decode(run.model, np.concatenate(points).astype(np.float32))
        return {**sheet(decoded), "values": values.round(4).tolist(), "dims": dims.tolist(),
                "chosen": chosen.round(4).tolist(), "chosen_names": names[:n_chosen]}

    def controls(self, data: dict) -> tuple[str, str]:
        """``(hint, controls HTML)`` of the page's mode."""
        if data["mode"] == "1d":
            return ("Move the slider along the latent axis.",
                    f'<label for="explorer-slider">z, over the range of the training data'
                    f'</label><input type="range" id="explorer-slider" min="0" '
                    f'max="{self.steps - 1}" value="{self.steps // 2}">')
        map_canvas = ('<canvas id="explorer-map" width="360" height="360" '
                      'aria-label="latent map"></canvas>')
        if data["mode"] == "2d":
            return "Point at the map of the training items' posterior means.", map_canvas
        x_name, y_name = (html.escape(name) for name in data["axis_names"])
        hint = ("Point at the map of where the training items' posterior means lie on their two "
                "leading principal directions: each point shows the full code the sampler gives "
                "there (of its draws, the one projected nearest the point).")
        controls = (f'<figure>{map_canvas}<figcaption>across: {x_name}; up: {y_name}'
                    '</figcaption></figure>')
        if "dimensions" not in data:
            return hint, controls
        view = data["dimensions"]
        options = "".join(f'<option value="{i}">{html.escape(name)}</option>'
                          for i, name in enumerate(view["chosen_names"]))
        sliders = "".join(
            f'<label>z{d + 1} <input type="range" class="explorer-dimension" min="0" '
            f'max="{self.steps - 1}" value="{self.steps // 2}"></label>' for d in view["dims"])
        hint += (" Or choose an item and move one dimension at a time from its posterior mean "
                 "(the other dimensions return to the item's values); the map marks where "
                 "that code lies.")
        return hint, (f'{controls}<p>One dimension at a time</p>'
                      f'<label for="explorer-item">item</label>'
                      f'<select id="explorer-item">{options}</select>{sliders}')

    def section(self, run) -> str:
        """The explorer's HTML: controls, the decoded image, the nearest items, data, script."""
        data = self.data(run)
        size = 4 * data["decodes"]["width"], 4 * data["decodes"]["height"]
        decoded = (f'<canvas id="explorer-decoded" width="{size[0]}" height="{size[1]}" '
                   'aria-label="decoded image"></canvas>')
        hint, controls = self.controls(data)
        payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
        return "\n".join([
            f"<p>{hint} The images were decoded when this page was written; nearest items are "
            "training items.</p>",
            '<div id="explorer" data-ready="false">',
            f'<div id="explorer-controls">{controls}</div>',
            f'<div><figure>{decoded}<figcaption id="explorer-where"></figcaption></figure></div>',
            '<div><p>Nearest training items</p><div id="explorer-nearest"></div></div>',
            "</div>",
            f'<script type="application/json" id="explorer-data">{payload}</script>',
            f"<script>{SCRIPT}</script>",
        ])
