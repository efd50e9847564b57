"""The projector files load in TensorBoard's own projector plugin: the config, the embedding
tensor, one metadata row per item with every schema column, and a sprite of one thumbnail per
item, all in agreement."""

import io
import json

import numpy as np
import pytest
from PIL import Image
from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
from tensorboard.plugins import base_plugin
from tensorboard.plugins.projector import projector_plugin
from werkzeug import test as werkzeug_test

from acvae.data import batches
from acvae.visualise import projector
from tests.visualise.tiny_runs import IMAGE, make_run


def tensorboard_projector(logdir):
    """TensorBoard's projector plugin on ``logdir``, as ``tensorboard --logdir`` builds it."""
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(logdir))
    multiplexer.Reload()
    context = base_plugin.TBContext(
        logdir=str(logdir), data_provider=data_provider.MultiplexerDataProvider(multiplexer,
                                                                                str(logdir)))
    apps = projector_plugin.ProjectorPlugin(context).get_plugin_apps()

    def get(route, **args):
        response = werkzeug_test.Client(apps[route]).get(route, query_string=args)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_data()

    return get


@pytest.fixture(scope="module")
def run(tmp_path_factory, villagers_tfrecord):
    run = make_run(tmp_path_factory.mktemp("projector"), villagers_tfrecord, latent_dim=3,
                   n_channels=4)
    board = run.folder.tensorboard()  # the splits of a trained run hold event files
    board.scalars("train", {"loss": 1.0}, 1)
    board.scalars("validation", {"loss": 1.0}, 1)
    board.close()
    return run


def test_tensorboard_reads_embedding_metadata_and_sprite_that_agree(run):
    projector.write(run)
    run.epoch += 1
    paths = projector.write(run)  # a later evaluation replaces the first
    assert paths[-1].name == f"embedding-{run.epoch}"
    get = tensorboard_projector(run.folder.path / "logs")
    assert json.loads(get("/runs")) == ["validation"]  # not under train, evaluation or "."
    config = json.loads(get("/info", run="validation"))
    (embedding,) = config["embeddings"]
    assert embedding["tensorName"] == projector.TENSOR_NAME
    expected = batches.collect(run.data.validation, add=batches.posterior(run.model))
    n, latent_dim = expected["z"].shape
    assert [int(s) for s in embedding["tensorShape"]] == [n, latent_dim]
    tensor = np.frombuffer(get("/tensor", run="validation", name=projector.TENSOR_NAME),
                           np.float32).reshape(n, latent_dim)
    np.testing.assert_allclose(tensor, expected["z"], rtol=1e-5, atol=1e-6)

    rows = get("/metadata", run="validation", name=projector.TENSOR_NAME).decode().splitlines()
    schema = run.data.schema
    assert rows[0].split("\t") == list(schema.columns)  # the identifier and every label
    assert [row.split("\t")[0] for row in rows[1:]] == list(expected[schema.id])
    assert len(rows) == n + 1 and all(row.count("\t") == len(schema.columns) - 1 for row in rows)

    width, height = (int(s) for s in embedding["sprite"]["singleImageDim"])
    assert (width, height) == (IMAGE, IMAGE)
    sheet = Image.open(io.BytesIO(get("/sprite_image", run="validation",
                                      name=projector.TENSOR_NAME)))
    cols = int(np.ceil(np.sqrt(n)))
    assert sheet.size == (cols * width, int(np.ceil(n / cols)) * height)
    first = np.asarray(sheet.convert("RGB"))[:height, :width]
    from acvae.visualise import images
    np.testing.assert_array_equal(first, images.to_rgb(expected["image"][:1], "white")[0])
    written = sorted(p.name for p in (run.folder.path / projector.DIRECTORY).iterdir())
    assert [name for name in written if name.startswith("embedding-")] == [
        f"embedding-{run.epoch}.data-00000-of-00001", f"embedding-{run.epoch}.index"]
    assert all(run.folder.declares(p.relative_to(run.folder.path))
               for p in (run.folder.path / "logs").rglob("*") if p.is_file())


def test_metadata_escapes_tabs_and_line_breaks_and_one_column_has_no_header():
    tsv = projector.metadata_tsv({"name": ["a\tb", "c\nd"], "kind": ["x", ""]})
    assert tsv.splitlines() == ["name\tkind", "a b\tx", "c d\t "]
    assert projector.metadata_tsv({"name": ["a", "b"]}).splitlines() == ["a", "b"]


def test_a_sprite_of_many_items_shrinks_its_thumbnails_to_fit_the_limit():
    images = np.zeros((300, 64, 48, 3), np.uint8)  # 18 columns, 17 rows
    sheet, (width, height) = projector.sprite(images, max_size=600)
    assert sheet.shape == (17 * height, 18 * width, 3)
    assert 590 <= max(sheet.shape[:2]) <= 600 and abs(width / height - 48 / 64) < 0.03
    assert projector.sprite(images[:4])[1] == (48, 64)  # small sets keep their size
