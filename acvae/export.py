"""A trained model as a SavedModel: ``python -m acvae.export --run_dir=RUN --out DIR``.

The export needs plain TensorFlow only (no acvae, no gin, no Keras code)::

    import tensorflow as tf
    model = tf.saved_model.load("DIR")
    images = model.decode(tf.random.normal([8, int(model.latent_dim)]))["images"]

Functions of the SavedModel (also its serving signatures, for TF Serving and ``saved_model_cli``):

- ``encode(images)``: float32 [B, H, W, C] in [0, 1] -> {"mean": [B, L], "logvar": [B, L]},
  the posterior q(z|x).
- ``decode(z)``: float32 [B, L] -> {"images": [B, H, W, C]}, mean images in [0, 1].
- ``sample(n)``: int32 scalar -> {"z": [n, L], "images": [n, H, W, C]}, prior samples.
- label-conditional models (``configs/conditional.gin``) add ``encode_species(images,
  species_id)`` and ``decode_species(z, species_id)`` with int32 [B] ids into ``species``;
  the plain ``encode`` and ``decode`` use the mean species embedding.

Channels: 4 = RGBA (straight alpha), 3 = RGB composited on white, 1 = grey. ``DIR`` also holds
``signature.json`` (shapes, ranges, species names, the run) and ``README.txt``. The folder is
written beside ``DIR`` and renamed into place, so ``DIR`` is never half-written.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import sys
import tempfile

import tensorflow as tf

SIGNATURE_FILE = "signature.json"
README_FILE = "README.txt"


class ExportedVAE(tf.Module):
    """The encoder, decoder, prior and likelihood of a VAE behind fixed input signatures."""

    def __init__(self, model):
        super().__init__(name="acvae_export")
        self.model = model
        height, width = model.image_shape
        channels, latent_dim = model.n_channels, model.latent_dim
        # Variables, not constants: only tracked variables are saved as attributes.
        self.latent_dim = tf.Variable(latent_dim, trainable=False, name="latent_dim")
        self.image_shape = tf.Variable([height, width, channels], trainable=False,
                                       name="image_shape")
        images = tf.TensorSpec([None, height, width, channels], tf.float32, name="images")
        z = tf.TensorSpec([None, latent_dim], tf.float32, name="z")
        n = tf.TensorSpec([], tf.int32, name="n")
        ids = tf.TensorSpec([None], tf.int32, name="species_id")
        self.encode = tf.function(self._encode, input_signature=[images])
        self.decode = tf.function(self._decode, input_signature=[z])
        self.sample = tf.function(self._sample, input_signature=[n])
        if callable(getattr(model, "decode_mean_for", None)):
            self.encode_species = tf.function(self._encode_species, input_signature=[images, ids])
            self.decode_species = tf.function(self._decode_species, input_signature=[z, ids])

    def _encode(self, images):
        mean, logvar = self.model.encode(images)
        return {"mean": mean, "logvar": logvar}

    def _decode(self, z):
        return {"images": self.model.likelihood.mean(self.model.decode(z))}

    def _sample(self, n):
        z = tf.cast(self.model.prior.sample(n), tf.float32)
        return {"z": z, "images": self.model.likelihood.mean(self.model.decode(z))}

    def _encode_species(self, images, species_id):
        mean, logvar = self.model.encode(images, species_ids=species_id)
        return {"mean": mean, "logvar": logvar}

    def _decode_species(self, z, species_id):
        params = self.model.decode(z, species_ids=species_id)
        return {"images": self.model.likelihood.mean(params)}

    def signatures(self) -> dict:
        """The serving signatures: every exported function."""
        names = ["encode", "decode", "sample", "encode_species", "decode_species"]
        return {name: getattr(self, name) for name in names if hasattr(self, name)}


def describe(model, run_dir) -> dict:
    """The contents of ``signature.json``: functions, shapes, value ranges, labels."""
    height, width = model.image_shape
    channels, dim = model.n_channels, model.latent_dim
    image = f"float32 [B, {height}, {width}, {channels}] in [0, 1]"
    functions = {
        "encode": {"inputs": {"images": image},
                   "outputs": {"mean": f"float32 [B, {dim}]", "logvar": f"float32 [B, {dim}]"}},
        "decode": {"inputs": {"z": f"float32 [B, {dim}]"}, "outputs": {"images": image}},
        "sample": {"inputs": {"n": "int32 scalar"},
                   "outputs": {"z": f"float32 [n, {dim}]", "images": image.replace("B", "n")}},
    }
    info = {
        "format": "TensorFlow SavedModel; load with tf.saved_model.load(DIR)",
        "image_shape": [height, width, channels],
        "latent_dim": dim,
        "channels": {4: "RGBA, straight alpha", 3: "RGB composited on white",
                     1: "grey"}[channels],
        "functions": functions,
        "run_dir": str(pathlib.Path(run_dir).resolve()),
    }
    species = getattr(model, "species", None)
    if species is not None and callable(getattr(model, "decode_mean_for", None)):
        ids = "int32 [B], index into species"
        functions["encode_species"] = {"inputs": {"images": image, "species_id": ids},
                                       "outputs": functions["encode"]["outputs"]}
        functions["decode_species"] = {"inputs": {"z": f"float32 [B, {dim}]", "species_id": ids},
                                       "outputs": {"images": image}}
        info["species"] = list(species)
    return info


def readme(info: dict) -> str:
    """``README.txt``: how to use the export with plain TensorFlow."""
    lines = [
        "A VAE exported by acvae (python -m acvae.export). Needs TensorFlow only:",
        "",
        "    import tensorflow as tf",
        "    model = tf.saved_model.load('THIS_FOLDER')",
        f"    z = tf.random.normal([8, {info['latent_dim']}])",
        "    images = model.decode(z)['images']   # [8, H, W, C] in [0, 1]",
        "",
        f"Images: {info['image_shape']} (H, W, C), {info['channels']}, float32 in [0, 1].",
        f"Latent space: {info['latent_dim']} dimensions; the prior is sampled by sample(n).",
        "",
        "Functions (also serving signatures):",
    ]
    for name, spec in info["functions"].items():
        inputs = ", ".join(f"{k}: {v}" for k, v in spec["inputs"].items())
        outputs = ", ".join(f"{k}: {v}" for k, v in spec["outputs"].items())
        lines.append(f"  {name}({inputs}) -> {{{outputs}}}")
    if "species" in info:
        lines += ["", "Species ids (index: name):"]
        lines += [f"  {i}: {name}" for i, name in enumerate(info["species"])]
    lines += ["", f"Trained in {info['run_dir']}; details in {SIGNATURE_FILE}."]
    return "\n".join(lines) + "\n"


def export(model, out: str | os.PathLike, run_dir: str | os.PathLike = "") -> pathlib.Path:
    """Writes ``model`` as a SavedModel with ``signature.json`` and ``README.txt`` to ``out``.

    Raises:
      FileExistsError: ``out`` exists and is not an earlier export (one line).
    """
    out = pathlib.Path(out)
    if out.exists() and not (out / SIGNATURE_FILE).exists():
        raise FileExistsError(f"{out} exists and is not an acvae export; choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        module = ExportedVAE(model)
        tf.saved_model.save(module, str(tmp), signatures=module.signatures())
        info = describe(model, run_dir)
        (tmp / SIGNATURE_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        (tmp / README_FILE).write_text(readme(info), encoding="utf-8")
        os.chmod(tmp, 0o755)
        if out.exists():  # replace an earlier export: move it aside, then delete it
            old = pathlib.Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.replace(out, old / out.name)
            os.replace(tmp, out)
            shutil.rmtree(old)
        else:
            os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out


def main(argv=None) -> pathlib.Path:
    """Runs the command on ``argv`` (default: the command line) and returns what it wrote;
    user mistakes end with a one-line ``error: ...``."""
    parser = argparse.ArgumentParser(prog="python -m acvae.export",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--run_dir", required=True, help="a run folder made by acvae.main")
    parser.add_argument("--out", required=True, help="the export folder (a SavedModel)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not pathlib.Path(args.run_dir).is_dir():
        raise SystemExit(f"error: no run folder {args.run_dir}")
    import acvae.components  # noqa: F401  (registers everything an operative config names)
    from acvae import config, runs

    try:
        loaded = runs.load_run(args.run_dir)
        path = export(loaded.model, args.out, args.run_dir)
    except (*config.USER_ERRORS, FileExistsError) as error:
        raise SystemExit(f"error: {config.explain(error)}") from None
    print(f"wrote {path} (load it with tf.saved_model.load; see {path / README_FILE})", flush=True)
    return path


def run() -> None:
    """Console entry point (``acvae-export``)."""
    main()


if __name__ == "__main__":
    run()
