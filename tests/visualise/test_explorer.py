"""The latent explorer of index.html, driven in headless Chromium through Selenium: moving the
slider (1D), pointing at the map (2D, and above 2D the map of the code's two leading principal
directions, whose points decode the sampler's draws) or choosing an item and moving a dimension
(above 2D) changes the decoded image shown, and the nearest items are named by the dataset's
identifiers.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them); skipped with
the reason when either is missing.
"""

import json
import re
import shutil

import numpy as np
import pytest

from acvae.data import batches
from acvae.visualise import explorer, index_html, latents
from tests.visualise.test_index_html import CHROMIUM, CHROMIUM_FLAGS
from tests.visualise.test_latent_grid import RecordingSampler
from tests.visualise.tiny_runs import make_run

CHROMEDRIVER = shutil.which("chromedriver")
needs_browser = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="headless Chromium tests need chromium and chromedriver "
           "(apt-get install chromium chromium-driver)")


def page(tmp_path_factory, tfrecord, latent_dim, **kwargs):
    """A tiny run's index.html; the decoder is made to react strongly to z (it is untrained)."""
    run = make_run(tmp_path_factory.mktemp(f"explorer{latent_dim}"), tfrecord, latent_dim, 4)
    first = run.model.decoder.weights[0]
    first.assign(first * 30.0)
    (path,) = index_html.IndexHtml(steps=9, grid=6, pool=400, **kwargs).on_train_end(run)
    return run, path


def page_data(path) -> dict:
    """The explorer's JSON block of a page."""
    return json.loads(re.search(r'<script type="application/json" id="explorer-data">(.*?)'
                                r'</script>', path.read_text(), re.S).group(1))


def map_canvas(browser) -> str:
    """What the map canvas shows (its points and the marker), as a PNG data URI."""
    return browser.execute_script("return document.getElementById('explorer-map').toDataURL()")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument("--window-size=1200,1000")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def open_explorer(browser, path):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(path.resolve().as_uri())
    WebDriverWait(browser, 30).until(
        lambda d: d.find_element("id", "explorer").get_attribute("data-ready") == "true")
    return browser.find_element("id", "explorer")


def shown(browser) -> str:
    """What the decoded-image canvas shows, as a PNG data URI."""
    return browser.execute_script("return document.getElementById('explorer-decoded').toDataURL()")


def nearest_names(browser) -> list[str]:
    return [e.text for e in browser.find_elements("css selector", "#explorer-nearest figcaption")]


def training_ids(run) -> set[str]:
    from acvae.data import batches

    return set(batches.collect(run.data.train_eval)[run.data.schema.id])


@needs_browser
def test_the_1d_slider_changes_the_decoded_image(browser, tmp_path_factory, villagers_tfrecord):
    from selenium.webdriver.common.keys import Keys

    run, path = page(tmp_path_factory, villagers_tfrecord, 1)
    open_explorer(browser, path)
    slider = browser.find_element("id", "explorer-slider")
    before, where = shown(browser), browser.find_element("id", "explorer-where").text
    slider.send_keys(Keys.END)  # as a user does with the keyboard
    assert shown(browser) != before
    assert browser.find_element("id", "explorer-where").text != where
    names = nearest_names(browser)
    assert len(names) == 4 and set(names) <= training_ids(run)


@needs_browser
def test_pointing_at_the_2d_map_changes_the_image_and_names_the_nearest_items(
        browser, tmp_path_factory, villagers_tfrecord):
    from selenium.webdriver.common.action_chains import ActionChains

    run, path = page(tmp_path_factory, villagers_tfrecord, 2)
    open_explorer(browser, path)
    area = browser.find_element("id", "explorer-map")
    seen = set()
    for x, y in ((-150, -150), (150, 150), (150, -150)):
        ActionChains(browser).move_to_element_with_offset(area, x, y).perform()
        seen.add(shown(browser))
        names = nearest_names(browser)
        assert len(names) == 4 and set(names) <= training_ids(run)
    assert len(seen) == 3


@needs_browser
def test_3d_sliders_move_one_dimension_from_the_chosen_item(browser, tmp_path_factory,
                                                             villagers_tfrecord):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    run, path = page(tmp_path_factory, villagers_tfrecord, 3)
    open_explorer(browser, path)
    items = Select(browser.find_element("id", "explorer-item"))
    assert len(items.options) > 2 and {o.text for o in items.options} <= training_ids(run)
    items.select_by_index(2)
    first_item, marked = shown(browser), map_canvas(browser)
    items.select_by_index(1)
    second_item = shown(browser)
    assert second_item != first_item
    assert map_canvas(browser) != marked  # the map marks where the chosen code lies
    sliders = browser.find_elements("css selector", ".explorer-dimension")
    assert len(sliders) == 3
    sliders[2].send_keys(Keys.HOME)
    moved = shown(browser)
    assert moved != second_item
    sliders[0].send_keys(Keys.END)  # the third dimension returns to the item's value
    assert shown(browser) not in (moved, second_item)
    where = browser.find_element("id", "explorer-where").text
    assert where.startswith("z = (") and where.count(",") == 2


@needs_browser
def test_above_max_dimensions_each_slider_moves_its_own_dimension(browser, tmp_path_factory,
                                                                   villagers_tfrecord):
    from selenium.webdriver.common.keys import Keys

    run, path = page(tmp_path_factory, villagers_tfrecord, 5, max_dimensions=2)
    open_explorer(browser, path)
    sliders = browser.find_elements("css selector", ".explorer-dimension")
    assert len(sliders) == 2
    dims = page_data(path)["dimensions"]["dims"]
    before = shown(browser)
    sliders[1].send_keys(Keys.END)
    assert shown(browser) != before
    where = browser.find_element("id", "explorer-where").text
    assert where.startswith(f"z{dims[0] + 1} ") and f", z{dims[1] + 1} " in where
    assert where.endswith("(the other 3 dimensions at the item's values)")


def test_the_page_data_covers_the_range_the_training_data_occupies(tmp_path, villagers_tfrecord):
    run = make_run(tmp_path, villagers_tfrecord, latent_dim=1, n_channels=3)
    data = explorer.Explorer(steps=5, margin=0.1).data(run)
    z = np.asarray(data["items"]["z"])[:, 0]
    low, high = np.percentile(z, [1, 99])
    assert data["values"][0] == pytest.approx(low - 0.1 * max(high - low, 0.1), abs=1e-3)
    assert data["values"][-1] == pytest.approx(high + 0.1 * max(high - low, 0.1), abs=1e-3)
    assert len(data["values"]) == 5
    assert data["decodes"]["sheet"].startswith("data:image/jpeg;base64,")


def test_the_page_stays_one_offline_file_of_sensible_size(tmp_path, villagers_tfrecord):
    run = make_run(tmp_path, villagers_tfrecord, latent_dim=3, n_channels=4)
    (path,) = index_html.IndexHtml().on_train_end(run)
    text = path.read_text()
    assert not re.search(r'(?:src|href)="(?!data:)', text)
    payload = re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>',
                        text, re.S).group(1)
    data = json.loads(payload)
    decodes = len(data["dimensions"]["chosen"]) * (3 * 41 + 1)
    assert decodes <= 1200 and data["mode"] == "map" and data["grid"] == 20
    assert len(text) < 5_000_000


@needs_browser
def test_the_movies_play_as_videos_in_chromium(browser, tmp_path_factory, villagers_tfrecord):
    from selenium.webdriver.support.ui import WebDriverWait

    from acvae.visualise import latent_walk, training_movie

    run, _ = page(tmp_path_factory, villagers_tfrecord, 2)
    latent_walk.LatentWalk(n_frames=4).on_train_end(run)
    training_movie.TrainingMovie(n=3).on_train_end(run)
    (path,) = index_html.IndexHtml(steps=5, grid=4).on_train_end(run)
    browser.get(path.resolve().as_uri())
    body = WebDriverWait(browser, 30).until(
        lambda d: d.find_element("tag name", "body").get_attribute("data-all-videos-loaded"))
    assert body == "true"
    sizes = browser.execute_script(
        "return Array.from(document.querySelectorAll('video')).map(v => v.videoWidth)")
    assert len(sizes) == 2 and min(sizes) > 0


def test_above_max_dimensions_the_sliders_go_to_the_dimensions_that_show_most(tmp_path,
                                                                              villagers_tfrecord):
    """The explorer ranks dimensions as latent_grid.png does (latents.visible_dimensions of
    the run's training codes); its sliders span the codes' range widened by its margin."""
    run = make_run(tmp_path, villagers_tfrecord, latent_dim=5, n_channels=4)
    data = explorer.Explorer(steps=3, max_dimensions=2).data(run)["dimensions"]
    values = np.asarray(data["values"])
    assert len(data["dims"]) == 2 and values.shape == (2, 3)
    z = batches.collect(run.data.train_eval, add=batches.posterior(run.model))["z"]
    low, high = explorer.data_range(z, explorer.Explorer().margin)
    shows = latents.visible_dimensions(run.model, run.training_codes(), 2)
    np.testing.assert_allclose(run.training_codes(), z, atol=1e-6)  # encoded once, for both
    assert data["dims"] == shows.tolist()
    np.testing.assert_allclose(values[:, [0, -1]], np.stack([low, high], 1)[shows], atol=1e-4)
    html = explorer.Explorer(steps=3, max_dimensions=2).section(run)
    assert html.count('class="explorer-dimension"') == 2
    assert f"z{shows[0] + 1} <input" in html and f"z{shows[1] + 1} <input" in html


@needs_browser
def test_pointing_at_the_map_of_a_5d_code_shows_the_samplers_draws_there(
        browser, tmp_path_factory, villagers_tfrecord):
    from selenium.webdriver.common.action_chains import ActionChains

    run, path = page(tmp_path_factory, villagers_tfrecord, 5)
    open_explorer(browser, path)
    assert "PC1 (" in browser.find_element("id", "explorer-controls").text
    area = browser.find_element("id", "explorer-map")
    decoded = browser.find_element("id", "explorer-decoded")
    seen, cells = set(), set()
    for x, y in ((-150, -150), (150, 150), (150, -150)):  # top left, bottom right, top right
        ActionChains(browser).move_to_element_with_offset(area, x, y).perform()
        seen.add(shown(browser))
        cells.add(int(decoded.get_attribute("data-index")))
        where = browser.find_element("id", "explorer-where").text
        assert where.startswith("PC1 ") and ", PC2 " in where and "sampler's draw" in where
        names = nearest_names(browser)
        assert len(names) == 4 and set(names) <= training_ids(run)
    assert cells == {0, 35, 5} and len(seen) == 3  # the corners of the 6 x 6 map


def test_the_maps_points_decode_the_sampler_draws_nearest_them_as_latent_grid_does(
        tmp_path, villagers_tfrecord, monkeypatch):
    """Above 2D the explorer's map is latent_grid.png's: the same chart and the same pool of
    sampler draws (drawn once for both), each point the draw projected nearest it."""
    from acvae.visualise import latent_grid

    run = make_run(tmp_path, villagers_tfrecord, latent_dim=5, n_channels=4)
    sampler = RecordingSampler(run.training_codes())
    run.model.sampler = sampler
    decoded = []
    original = latents.decode
    monkeypatch.setattr(latents, "decode",
                        lambda model, z, condition=None: decoded.append(np.asarray(z))
                        or original(model, z, condition))
    data = explorer.Explorer(grid=4, pool=300, max_dimensions=0).data(run)
    assert data["mode"] == "map" and "dimensions" not in data
    (points,) = decoded  # the map's 16 points; no slider decodes with max_dimensions=0
    pool = sampler.pool()
    chart = latents.run_chart(run)
    low, high = np.asarray(data["low"]), np.asarray(data["high"])
    centres = explorer.Explorer(grid=4).map_points(low, high)
    distance = np.square((chart.project(pool)[None] - centres[:, None]) / (high - low)).sum(-1)
    np.testing.assert_array_equal(points, pool[distance.argmin(axis=1)])
    kept = np.asarray(data["items"]["z"])
    np.testing.assert_allclose(kept, chart.project(run.training_codes())[:len(kept)], atol=1e-3)
    calls = len(sampler.calls)
    latent_grid.LatentGrid(n=3, pool=300, dpi=20).on_train_end(run)
    assert len(sampler.calls) == calls  # the figure reuses the explorer's draws
