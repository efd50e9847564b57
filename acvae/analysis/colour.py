"""Colour fidelity of images: sRGB -> CIELAB (D65), chroma ratio and CIE76 colour difference.

A VAE that learns shape but not colour draws grey-beige blobs with the right outline: its
pixel MSE can look fine while every colour is wrong. These measures say what a person sees.
Images are straight (not premultiplied) RGBA floats in [0, 1]; colour is compared only where
the original art is opaque (alpha above ``OPAQUE``), so the transparent background, whose
colour is undefined, never counts.

- ``chroma_ratio``: mean CIELAB chroma C* = sqrt(a*^2 + b*^2) of the reconstructions over the
  originals' opaque pixels, divided by that of the originals (1: colour kept; a grey image
  gives 0; the dataset's mean image gives about 0.3-0.4).
- ``delta_e``: mean CIE76 colour difference ||Lab(original) - Lab(reconstruction)|| over the
  same pixels (0: identical; about 2.3 is a just-noticeable difference).
- ``sample_chroma_ratio``: mean chroma of generated images over *their own* opaque pixels,
  divided by the originals' (do samples carry the data's colour?).

sRGB to CIELAB follows IEC 61966-2-1 (sRGB transfer curve, D65 primaries) and CIE 15:2004
(L*a*b* with the D65 white point).
"""

from __future__ import annotations

import numpy as np

OPAQUE = 0.5
_SRGB_TO_XYZ = np.array([
    [0.4124564, 0.3575761, 0.1804375],
    [0.2126729, 0.7151522, 0.0721750],
    [0.0193339, 0.1191920, 0.9503041],
])
_D65_WHITE = np.array([0.95047, 1.0, 1.08883])
_EPSILON, _KAPPA = 216.0 / 24389.0, 24389.0 / 27.0


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of sRGB colours.

    Args:
      rgb: float [..., 3] in [0, 1] (values outside are clipped).

    Returns:
      float64 [..., 3]: L* in [0, 100], a*, b* roughly in [-128, 128].
    """
    rgb = np.clip(np.asarray(rgb, np.float64), 0.0, 1.0)
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _SRGB_TO_XYZ.T / _D65_WHITE
    f = np.where(xyz > _EPSILON, np.cbrt(xyz), (_KAPPA * xyz + 16.0) / 116.0)
    return np.stack(
        [116.0 * f[..., 1] - 16.0, 500.0 * (f[..., 0] - f[..., 1]), 200.0 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def chroma(lab: np.ndarray) -> np.ndarray:
    """C* = sqrt(a*^2 + b*^2) of CIELAB colours [..., 3]; returns [...]."""
    return np.hypot(lab[..., 1], lab[..., 2])


def _opaque_colours(images: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
    """[N, 3] RGB of the opaque pixels of RGBA ``images`` (or of ``where``, a [..] mask)."""
    images = np.asarray(images, np.float32)
    if images.shape[-1] != 4:
        raise ValueError(f"colour metrics need RGBA images, got {images.shape[-1]} channels")
    mask = images[..., 3] > OPAQUE if where is None else where
    return images[..., :3][mask]


def reconstruction_colour(originals: np.ndarray, reconstructions: np.ndarray) -> dict[str, float]:
    """Chroma ratio and mean CIE76 delta E of reconstructions on the originals' opaque pixels.

    Args:
      originals: float [N, H, W, 4] straight RGBA in [0, 1].
      reconstructions: float [N, H, W, 4], the same images as the model draws them.

    Returns:
      ``{"chroma_ratio": float, "delta_e": float}``; NaN when no pixel is opaque.
    """
    mask = np.asarray(originals)[..., 3] > OPAQUE
    if not mask.any():
        return {"chroma_ratio": float("nan"), "delta_e": float("nan")}
    original = srgb_to_lab(_opaque_colours(originals, mask))
    rebuilt = srgb_to_lab(_opaque_colours(reconstructions, mask))
    reference = chroma(original).mean()
    return {
        "chroma_ratio": float(chroma(rebuilt).mean() / reference) if reference > 0 else float("nan"),
        "delta_e": float(np.linalg.norm(original - rebuilt, axis=-1).mean()),
    }


def as_rgba(images: np.ndarray) -> np.ndarray | None:
    """RGBA view of model images: RGBA as is, RGB as fully opaque; None for grey (1 channel),
    which has no colour to measure."""
    images = np.asarray(images, np.float32)
    if images.shape[-1] == 4:
        return images
    if images.shape[-1] == 3:
        return np.concatenate([images, np.ones_like(images[..., :1])], axis=-1)
    return None


def per_image_sums(originals: np.ndarray, reconstructions: np.ndarray) -> np.ndarray:
    """Per-image sums that ``from_sums`` turns into ``reconstruction_colour`` over many batches.

    Args:
      originals, reconstructions: float [B, H, W, 4] straight RGBA in [0, 1].

    Returns:
      float64 [B, 4]: opaque pixel count, summed original chroma, summed reconstructed chroma,
      summed delta E (all over the original's opaque pixels).
    """
    originals = np.asarray(originals, np.float32)
    mask = originals[..., 3] > OPAQUE  # [B, H, W]
    original = srgb_to_lab(originals[..., :3])
    rebuilt = srgb_to_lab(np.asarray(reconstructions, np.float32)[..., :3])
    axes = (1, 2)
    return np.stack([
        mask.sum(axes),
        np.where(mask, chroma(original), 0.0).sum(axes),
        np.where(mask, chroma(rebuilt), 0.0).sum(axes),
        np.where(mask, np.linalg.norm(original - rebuilt, axis=-1), 0.0).sum(axes),
    ], axis=-1).astype(np.float64)


def from_sums(sums: np.ndarray) -> dict[str, float]:
    """``{"chroma_ratio", "delta_e"}`` from ``per_image_sums`` rows [N, 4] (NaN without any
    opaque pixel)."""
    count, original, rebuilt, delta = np.asarray(sums, np.float64).sum(axis=0)
    if count == 0:
        return {"chroma_ratio": float("nan"), "delta_e": float("nan")}
    return {"chroma_ratio": float(rebuilt / original) if original > 0 else float("nan"),
            "delta_e": float(delta / count)}


def sample_chroma_ratio(originals: np.ndarray, samples: np.ndarray) -> float:
    """Mean chroma of samples on their own opaque pixels over that of the originals.

    Args:
      originals: float [N, H, W, 4] real images.
      samples: float [M, H, W, 4] generated images.

    Returns:
      The ratio; 0 when no sample pixel is opaque, NaN when no original pixel is.
    """
    reference = chroma(srgb_to_lab(_opaque_colours(originals)))
    generated = chroma(srgb_to_lab(_opaque_colours(samples)))
    if reference.size == 0 or reference.mean() == 0:
        return float("nan")
    return float(generated.mean() / reference.mean()) if generated.size else 0.0
