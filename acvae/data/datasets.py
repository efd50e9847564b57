"""Registered datasets (gin kind ``datasets``): each returns the ``InputData`` of one source.

Configs pick one with parentheses, ``train.dataset = @datasets.synthetic()``; the shape, channel,
batch and split settings come from the gin bindings of ``input_pipeline``.
"""

from __future__ import annotations

from acvae import registry
from acvae.data import tfrecord as tfrecord_files
from acvae.data.pipeline import InputData, input_pipeline

MISSING_TFRECORD = (
    "no TFRecord at {path} — create it with 'python -m acvae.prepare VILLAGERS.json IMAGES_DIR "
    "--out {path}', or train on synthetic villagers with --gin_file=configs/demo.gin"
)


@registry.register("datasets")
def tfrecord(path: str = "data/villagers.tfrecord") -> InputData:
    """Real villagers from a TFRecord written by ``python -m acvae.prepare``.

    Args:
      path: the TFRecord, the stem of its shards, or a glob.

    Raises:
      FileNotFoundError: nothing at ``path``; the message says how to create it.
    """
    files = tfrecord_files.resolve_files(path)
    if not files:
        raise FileNotFoundError(MISSING_TFRECORD.format(path=path))
    return input_pipeline(files)


@registry.register("datasets")
def synthetic(n: int = 400, seed: int = 0, cache_dir: str | None = None) -> InputData:
    """Procedural cartoon villagers, generated once and cached; needs no download.

    Args:
      n: the number of villagers.
      seed: which villagers (the same seed gives the same images).
      cache_dir: cache root; defaults to ``$ACVAE_CACHE`` or ``~/.cache/acvae``.
    """
    # imported here so that ``python -m acvae.data.synthetic`` does not import itself twice
    from acvae.data import synthetic as synthetic_villagers

    return input_pipeline([str(synthetic_villagers.cached_tfrecord(n, seed, cache_dir))])
