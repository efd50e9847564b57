"""Every built-in visualiser on tiny untrained runs: latent dimensions 1, 2, 3; channels 1, 3, 4.

Each figure must exist, open, have the documented size, not be blank, and (GIFs) have the
expected number of frames.
"""

import numpy as np
import pytest
from PIL import Image

from acvae import visualise
from acvae.core import registry
from acvae.core.errors import ConfigError
from acvae.data import batches
from acvae.visualise import images, plots, training_movie
from tests.visualise.tiny_runs import DPI, IMAGE, make_run


def check_image(path, size, n_frames=1):
    """Asserts ``path``'s (width, height) within a pixel, its frame count, and no blank frame."""
    assert path.exists(), path
    with Image.open(path) as image:
        assert abs(image.size[0] - size[0]) <= 1 and abs(image.size[1] - size[1]) <= 1, (
            f"{path.name} is {image.size}, expected {size}")
        assert getattr(image, "n_frames", 1) == n_frames
        for i in range(n_frames):
            image.seek(i)
            assert np.asarray(image.convert("RGB")).std() > 0, f"{path.name} frame {i} is blank"


def inches(width, height):
    return round(width * DPI), round(height * DPI)


def test_every_built_in_visualiser_is_registered_and_has_a_test():
    assert set(visualise.ALL) <= set(registry.names("visualisers"))
    assert set(visualise.ALL) == set(CHECKS)


def check_samples(run):
    (path,) = visualise.samples.Samples(dpi=DPI).on_train_end(run)
    assert path == run.figures_dir / "samples.png"
    check_image(path, inches(2.0 * 4, 2.4 * 2))


def check_loss(run):
    (path,) = visualise.loss.Loss(dpi=DPI).on_train_end(run)
    check_image(path, inches(12.0, 3.6))


def check_latent_grid(run):
    (path,) = visualise.latent_grid.LatentGrid(n=4, dpi=DPI).on_train_end(run)
    rows = {1: 1}.get(run.model.latent_dim, 4)
    panel = 4.0 if run.model.latent_dim > 2 else 0.0  # 3D+: the map and its panel of codes
    check_image(path, inches(4 * 0.9 + 1.0 + panel, rows * 0.9 + 1.0))


def check_latent_traversals(run):
    paths = visualise.latent_traversals.LatentTraversals(n=4, dpi=DPI).on_train_end(run)
    if run.model.latent_dim <= 2:  # latent_grid.png shows the whole code
        assert paths == []
        return
    check_image(paths[0], inches(4 * 0.9 + 1.0, run.model.latent_dim * 0.9 + 1.0))


def check_factors(run):
    visualiser = visualise.factors.Factors(n=4, dpi=DPI)
    (path,) = visualiser.on_train_end(run)
    rows = len(visualiser.scores(run).factors)  # every factor of the villagers varies
    assert rows == len(run.data.schema.factors)
    check_image(path, inches(4 * 0.9 + 9.0, rows * 0.9 + 1.6))


def check_embedding(run):
    paths = visualise.embedding.Embedding(dpi=DPI).on_train_end(run)
    names = [label.name for label in run.data.schema.categorical]
    assert [p.name for p in paths] == ["embedding.png"] + [f"embedding_{n}.png" for n in names]
    assert paths[0].read_bytes() == paths[1].read_bytes()  # the first categorical label's
    labels = batches.collect(run.data.validation)
    for label, path in zip(names[:1] + names, paths):
        if run.model.latent_dim == 1:
            count = len(set(labels[label]))
            check_image(path, inches(max(6.0, 0.5 * count + 2.0), 7.5))
        else:
            check_image(path, inches(7.0 + 2.2, 7.0))


def check_latent_walk(run):
    path, mp4 = visualise.latent_walk.LatentWalk(n_frames=12, min_size=2 * IMAGE).on_train_end(run)
    check_image(path, (2 * IMAGE, 14 + 2 * IMAGE), n_frames=12)
    assert mp4.name == "latent_walk.mp4"  # frames checked in test_movies


def check_training_movie(run):
    movie = visualise.training_movie.TrainingMovie(n=3)
    for epoch in (1, 2, 3):
        movie.on_epoch_end(run, epoch)
    path, mp4 = movie.on_train_end(run)
    assert mp4.name == "training.mp4"  # frames checked in test_movies
    rows = {1: 1, 2: 3}.get(run.model.latent_dim, 2)  # 3D+: originals over reconstructions
    check_image(path, (3 * (IMAGE + 1) - 1, 14 + rows * (IMAGE + 1) - 1), n_frames=3)


def check_reconstructions(run):
    (path,) = visualise.reconstructions.Reconstructions(n=4, cols=4, dpi=DPI).on_train_end(run)
    check_image(path, inches(1.2 * 4 + 0.4, 2.7 + 0.3))


def check_nearest_train(run):
    (path,) = visualise.nearest_train.NearestTrain(n=4, cols=4, dpi=DPI).on_train_end(run)
    check_image(path, inches(1.2 * 4 + 0.4, 2.7 + 0.5))


def check_index_html(run):
    (path,) = visualise.index_html.IndexHtml().on_train_end(run)
    page = path.read_text()
    shown = visualise.index_html.figure_files(run.figures_dir)
    movies = {p.with_suffix(".gif").name for p in shown if p.suffix == ".mp4"}  # not their GIFs
    assert {p.name for p in shown} | {"embedding_species.png"} | movies >= {
        p.name for p in run.figures_dir.iterdir() if p.suffix in (".png", ".gif", ".mp4")}
    assert (page.count('<img src="data:image/') + page.count('<video src="data:video/mp4')
            == len(shown) + 1)  # and the loss chart
    assert 'alt="loss history"' in page and "val_loss" in page


CHECKS = {
    "samples": check_samples,
    "loss": check_loss,
    "latent_grid": check_latent_grid,
    "latent_traversals": check_latent_traversals,
    "factors": check_factors,
    "embedding": check_embedding,
    "latent_walk": check_latent_walk,
    "training_movie": check_training_movie,
    "reconstructions": check_reconstructions,
    "nearest_train": check_nearest_train,
    "index_html": check_index_html,
}


@pytest.mark.parametrize("name", visualise.ALL)
def test_visualiser_writes_a_valid_figure(tiny_run, name):
    CHECKS[name](tiny_run)


def test_training_movie_resumes_from_stored_frames(tmp_path, villagers_tfrecord):
    run = make_run(tmp_path, villagers_tfrecord, latent_dim=1, n_channels=4, n_epochs=2)
    first = training_movie.TrainingMovie(n=3)
    for epoch in (1, 2):
        first.on_epoch_end(run, epoch)
    # A resumed process: a fresh visualiser, epoch 2 redone after a crash, then epoch 3.
    run.epoch = 3
    resumed = training_movie.TrainingMovie(n=3)
    resumed.on_epoch_end(run, 2)
    resumed.on_epoch_end(run, 3)
    path = resumed.on_train_end(run)[0]
    stored = sorted(p.name for p in (run.figures_dir / training_movie.FRAMES_DIR).iterdir())
    assert stored == ["epoch_000001.png", "epoch_000002.png", "epoch_000003.png"]
    with Image.open(path) as gif:
        assert gif.n_frames == 3
    thinned = training_movie.TrainingMovie(n=3, max_frames=2).on_train_end(run)[0]
    with Image.open(thinned) as gif:
        assert gif.n_frames == 2


def test_training_movie_of_a_3d_code_shows_the_same_validation_items_over_their_reconstructions(
        tmp_path, villagers_tfrecord):
    run = make_run(tmp_path, villagers_tfrecord, latent_dim=3, n_channels=4)
    movie = training_movie.TrainingMovie(n=3, pad=0)
    frame = movie.frame(run, 1)
    shown = batches.collect(run.data.validation, limit=3)
    originals = images.to_rgb(shown["image"], "white")
    rebuilt = images.to_rgb(np.asarray(run.model.reconstruct(shown["image"])), "white")
    assert frame.shape == (14 + 2 * IMAGE, 3 * IMAGE, 3)  # caption, originals, reconstructions
    np.testing.assert_array_equal(frame[14:14 + IMAGE], np.concatenate(list(originals), axis=1))
    np.testing.assert_array_equal(frame[14 + IMAGE:], np.concatenate(list(rebuilt), axis=1))
    run.model.decoder.trainable_weights[0].assign_add(0.5)  # training moves the decoder
    later = movie.frame(run, 2)
    np.testing.assert_array_equal(later[14:14 + IMAGE], frame[14:14 + IMAGE])
    assert not np.array_equal(later[14 + IMAGE:], frame[14 + IMAGE:])


def test_training_movie_post_hoc_without_frames_writes_one(tmp_path, villagers_tfrecord):
    run = make_run(tmp_path, villagers_tfrecord, latent_dim=2, n_channels=4, n_epochs=5)
    path = training_movie.TrainingMovie(n=2).on_train_end(run)[0]
    with Image.open(path) as gif:
        assert gif.n_frames == 1
    assert (run.figures_dir / training_movie.FRAMES_DIR / "epoch_000005.png").exists()


def test_category_styles_tell_35_species_apart():
    species = [f"species{i}" for i in range(35)]
    styles = plots.category_styles(species)
    assert len(set(styles.values())) == 35
    assert len({colour for colour, _ in styles.values()}) == 35


def test_98_values_keep_the_39_most_frequent_and_one_other_group():
    values = [f"sub{i:02d}" for i in range(98) for _ in range(1 + (i < 39))]  # 39 twice as often
    grouped, other = plots.grouped(values)
    assert other == "other (59 values)"
    assert len(set(grouped)) == 40 and grouped.count(other) == 59
    styles = plots.category_styles(grouped, other)
    assert styles[other] == plots.OTHER_STYLE
    assert len({colour for colour, _ in styles.values()}) == 40


def test_a_label_that_is_not_categorical_lists_the_categorical_ones(tmp_path, villagers_tfrecord):
    run = make_run(tmp_path, villagers_tfrecord, latent_dim=2, n_channels=4)
    with pytest.raises(ConfigError, match="no label 'colour'; its labels: species"):
        visualise.embedding.Embedding(labels=("colour",), dpi=DPI).on_train_end(run)
    with pytest.raises(ConfigError, match="no label 'colour'"):
        visualise.latent_walk.LatentWalk(label="colour").on_train_end(run)
