"""plugins.shapes: a dataset in one file, drawn in Python, switched on from a .gin file."""

import math

import gin
import numpy as np
import pytest

from acvae.core import config, registry
from acvae.data.errors import SettingError
from acvae.runs.run_folder import RunFolder
from acvae.training.loop import train
from plugins import shapes
from tests.conftest import REPO


def coverage(image):
    return (image[..., 3] > 127).mean()


def test_shapes_are_drawn_with_their_colour_size_and_area():
    circle = shapes.draw("circle", "red", "large", image_size=64)
    assert circle.shape == (64, 64, 4) and circle.dtype == np.uint8
    assert tuple(circle[32, 32]) == (*shapes.COLOURS["red"], 255)
    assert circle[0, 0, 3] == 0  # transparent background
    radius = shapes.SIZES["large"]
    areas = {"circle": math.pi, "square": 2.0, "triangle": 3 * math.sqrt(3) / 4}
    for shape, area in areas.items():
        drawn = shapes.draw(shape, "blue", "large", image_size=64)
        assert coverage(drawn) == pytest.approx(area * radius**2, rel=0.05), shape
    small = shapes.draw("circle", "blue", "small", image_size=64)
    assert coverage(small) < coverage(circle) / 2
    turned = shapes.draw("square", "blue", "large", angle=45, image_size=64)
    assert coverage(turned) == pytest.approx(coverage(shapes.draw("square", "blue", "large")),
                                             rel=0.05)
    assert not np.array_equal(turned, shapes.draw("square", "blue", "large"))


def test_dataset_schema_and_size(tmp_path):
    data = shapes.shapes(angles=(0, 45), image_size=16, cache_dir=tmp_path)
    assert data.n_train + data.n_validation == 48
    assert data.schema.id == "name"
    assert [label.name for label in data.schema.categorical] == ["shape", "colour", "size",
                                                                 "angle"]
    assert data.schema.label("colour").values == ("blue", "green", "red", "yellow")
    batch = next(iter(data.validation))
    assert set(batch) >= {"image", "name", "shape_id", "colour_id", "size_id"}


@pytest.mark.parametrize("kwargs, message", [
    ({"shapes": ("hexagon",)}, "datasets.shapes.shapes = \\('hexagon',\\): give some of circle"),
    ({"colours": ()}, "give some of red, green, blue, yellow"),
])
def test_bad_settings_are_one_line(kwargs, message, tmp_path):
    with pytest.raises(SettingError, match=message):
        shapes.shapes(cache_dir=tmp_path, **kwargs)


def test_a_gin_file_switches_it_on_and_it_trains(tmp_path):
    assert registry.get("datasets", "shapes") is shapes.shapes
    config.load(
        [str(REPO / "configs/shapes.gin"), str(REPO / "configs/test.gin")],
        ["N_EPOCHS = 1", "BATCH_SIZE = 9", "train.visualisers = []",
         f"datasets.shapes.cache_dir = '{tmp_path / 'cache'}'"],
        finalize=False,
    )
    run = train(tmp_path / "run")
    assert run.data.schema.label("shape").categorical
    folder = RunFolder(tmp_path / "run")
    (row,) = folder.read_history()
    assert math.isfinite(row["train_loss"]) and math.isfinite(row["val_loss"])
    assert "datasets.shapes" in folder.config_path.read_text()
    gin.clear_config()
