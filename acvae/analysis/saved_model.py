"""A trained model as a TensorFlow SavedModel that needs plain TensorFlow only (no acvae, no gin,
no Keras code): ``export(model, out)``, the library half of ``python -m acvae export``
(``acvae.commands.export``)::

    import tensorflow as tf
    model = tf.saved_model.load("DIR")
    images = model.decode(tf.random.normal([8, int(model.latent_dim)]))["images"]

Functions of the SavedModel (also its serving signatures, for TF Serving and ``saved_model_cli``):

- ``encode(images)``: float32 [B, H, W, C] in [0, 1] -> {"mean": [B, L], "logvar": [B, L]},
  the posterior q(z|x).
- ``decode(z)``: float32 [B, L] -> {"images": [B, H, W, C]}, mean images in [0, 1].
- ``sample(n)``: int32 scalar -> {"z": [n, L], "images": [n, H, W, C]}, drawn from the
  model's sampler, as ``generate`` draws (the Gaussian mixture fitted to the training codes,
  or a learned sampler whose networks are part of the export; otherwise the prior).
- ``prior_sample(n)``: the same from the prior p(z).
- label-conditional models (``configs/conditional.gin``) add ``encode_conditioned(images,
  label_id)`` and ``decode_conditioned(z, label_id)`` with int32 [B] ids into the values of
  the label the model conditions on (``signature.json``: ``condition.label`` and
  ``condition.values``); the plain ``encode`` and ``decode`` condition on no value (a
  conditional model's average condition).

Channels: 4 = RGBA (straight alpha), 3 = RGB composited on white, 1 = grey. The folder also
holds ``signature.json`` (shapes, ranges, the condition's label and values, the run),
``README.txt`` and ``.acvae-manifest.json`` (every file the export wrote, with its SHA-256).
It is written beside ``out`` and renamed into place, so ``out`` is never half-written; an
existing ``out`` is refused unless ``overwrite`` (``acvae.core.outputs``), and replacing one
keeps every file the user added to it or changed (a changed one beside the new file, as
``<name>.kept``).
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import tempfile

import tensorflow as tf

from acvae.core import fileio, outputs
from acvae.core.errors import UserError

SIGNATURE_FILE = "signature.json"
README_FILE = "README.txt"
# what an export held before exports had a manifest
_EXPORT_FILES = ("saved_model.pb", "fingerprint.pb", SIGNATURE_FILE, README_FILE)
_EXPORT_FOLDERS = ("variables/", "assets/")


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
        ids = tf.TensorSpec([None], tf.int32, name="label_id")
        self.encode = tf.function(self._encode, input_signature=[images])
        self.decode = tf.function(self._decode, input_signature=[z])
        self.sample = tf.function(self._sample, input_signature=[n])
        self.prior_sample = tf.function(self._prior_sample, input_signature=[n])
        if model.conditions is not None:
            self.encode_conditioned = tf.function(self._encode_conditioned,
                                                  input_signature=[images, ids])
            self.decode_conditioned = tf.function(self._decode_conditioned,
                                                  input_signature=[z, ids])


    def _encode(self, images):
        mean, logvar = self.model.encode(images)
        return {"mean": mean, "logvar": logvar}

    def _decode(self, z):
        return {"images": self.model.likelihood.mean(self.model.decode(z))}

    def _sample(self, n):
        return self._decoded(self.model.sampler.sample(n))

    def _prior_sample(self, n):
        return self._decoded(self.model.prior.sample(n))

    def _decoded(self, z):
        z = tf.cast(z, tf.float32)
        return {"z": z, "images": self.model.likelihood.mean(self.model.decode(z))}

    def _encode_conditioned(self, images, label_id):
        mean, logvar = self.model.encode(images, label_id)
        return {"mean": mean, "logvar": logvar}

    def _decode_conditioned(self, z, label_id):
        return {"images": self.model.likelihood.mean(self.model.decode(z, label_id))}

    def signatures(self) -> dict:
        """The serving signatures: every exported function."""
        functions = {"encode": self.encode, "decode": self.decode, "sample": self.sample,
                     "prior_sample": self.prior_sample}
        if self.model.conditions is not None:
            functions.update(encode_conditioned=self.encode_conditioned,
                             decode_conditioned=self.decode_conditioned)
        return functions


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
    functions["prior_sample"] = functions["sample"]
    info = {
        "format": "TensorFlow SavedModel; load with tf.saved_model.load(DIR)",
        "image_shape": [height, width, channels],
        "latent_dim": dim,
        "channels": {4: "RGBA, straight alpha", 3: "RGB composited on white",
                     1: "grey"}[channels],
        "functions": functions,
        "sampler": "prior" if model.sampler is model.prior else model.sampler.name,
        "run_dir": str(pathlib.Path(run_dir).resolve()),
    }
    label = model.conditions
    if label is not None:
        ids = "int32 [B], index into condition.values"
        functions["encode_conditioned"] = {"inputs": {"images": image, "label_id": ids},
                                           "outputs": functions["encode"]["outputs"]}
        functions["decode_conditioned"] = {"inputs": {"z": f"float32 [B, {dim}]",
                                                      "label_id": ids},
                                           "outputs": {"images": image}}
        info["condition"] = {"label": label.name, "values": list(label.values)}
    return info


def readme(info: dict) -> str:
    """``README.txt``: how to use the export with plain TensorFlow."""
    lines = [
        "A VAE exported by acvae (python -m acvae export). Needs TensorFlow only:",
        "",
        "    import tensorflow as tf",
        "    model = tf.saved_model.load('THIS_FOLDER')",
        f"    z = tf.random.normal([8, {info['latent_dim']}])",
        "    images = model.decode(z)['images']   # [8, H, W, C] in [0, 1]",
        "",
        f"Images: {info['image_shape']} (H, W, C), {info['channels']}, float32 in [0, 1].",
        f"Latent space: {info['latent_dim']} dimensions; sample(n) draws from the "
        f"{info['sampler']} sampler, prior_sample(n) from the prior.",
        "",
        "Functions (also serving signatures):",
    ]
    for name, spec in info["functions"].items():
        inputs = ", ".join(f"{k}: {v}" for k, v in spec["inputs"].items())
        outputs = ", ".join(f"{k}: {v}" for k, v in spec["outputs"].items())
        lines.append(f"  {name}({inputs}) -> {{{outputs}}}")
    if "condition" in info:
        lines += ["", f"label_id: the {info['condition']['label']} (index: value):"]
        lines += [f"  {i}: {value}" for i, value in enumerate(info["condition"]["values"])]
    lines += ["", f"Trained in {info['run_dir']}; details in {SIGNATURE_FILE}."]
    return "\n".join(lines) + "\n"


def is_export(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder acvae exported (its manifest, or an older export's
    ``signature.json``)."""
    path = pathlib.Path(path)
    return path.is_dir() and (outputs.has_manifest(path) or (path / SIGNATURE_FILE).is_file())


def _written_before_manifests(name: str) -> bool:
    return name in _EXPORT_FILES or name.startswith(_EXPORT_FOLDERS)


def check_out(out: str | os.PathLike, overwrite: bool = False) -> bool:
    """Refuses an ``--out`` that exists, unless ``overwrite`` (then what the user added to it
    is kept); called before any work.

    Returns:
      Whether ``out`` exists (and will be replaced).

    Raises:
      UserError: ``out`` is a file, or exists and ``overwrite`` is False (one line).
    """
    out = pathlib.Path(out)
    if os.path.lexists(out) and not out.is_dir():
        raise UserError(f"--out {out} is a file; an export is a folder: choose another --out")
    if is_export(out) and not overwrite:
        raise outputs.refused(out, "holds an earlier acvae export", "choose another --out",
                              "replace it (files you added to it are kept)")
    return outputs.check(out, overwrite, is_export)


def export(model, out: str | os.PathLike, run_dir: str | os.PathLike = "",
           overwrite: bool = False) -> tuple[pathlib.Path, list[str]]:
    """Writes ``model`` as a SavedModel with ``signature.json`` and ``README.txt`` to ``out``.

    Returns:
      ``(out, kept)``: ``kept`` lists what the user had added to (or changed in) an earlier
      ``out``, moved into the new export (a changed file of the export as ``<name>.kept``).

    Raises:
      UserError: ``out`` exists and ``overwrite`` is False (``check_out``), or cannot be
        written (a full disk, a read-only place); one line, and ``out`` is left as it was.
    """
    out = pathlib.Path(out)
    check_out(out, overwrite)
    try:
        aside = _write(model, out, run_dir)
    except (OSError, tf.errors.OpError) as error:
        reason = fileio.write_error(error)
        if reason is None:
            raise
        raise UserError(f"cannot write {out}: {reason}; nothing was written") from None
    if aside is None:
        return out, []
    earlier = aside / out.name
    older = _written_before_manifests if (earlier / SIGNATURE_FILE).is_file() else None
    try:
        kept = outputs.move_users_files(earlier, out, outputs.users_files(earlier, older))
    except OSError as error:
        raise UserError(f"wrote {out}, but could not move the files you had added to it "
                        f"({fileio.write_error(error)}); they are in {earlier}") from None
    shutil.rmtree(aside)
    return out, kept


def _write(model, out: pathlib.Path, run_dir) -> pathlib.Path | None:
    """Writes the export beside ``out`` and renames it into place; an earlier ``out`` is
    moved into a hidden folder beside it, which is returned (None when there was none)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        module = ExportedVAE(model)
        tf.saved_model.save(module, str(tmp), signatures=module.signatures())
        info = describe(model, run_dir)
        (tmp / SIGNATURE_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        (tmp / README_FILE).write_text(readme(info), encoding="utf-8")
        outputs.write_manifest(tmp)
        os.chmod(tmp, 0o755)
        if not out.exists():
            os.replace(tmp, out)
            return None
        aside = pathlib.Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
        os.replace(out, aside / out.name)
        os.replace(tmp, out)
        return aside
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
