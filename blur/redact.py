"""Make face regions unrecognisable: blur, pixelate or solid fill.

Every mode scales with the face. Blur and pixelate both pass the face through
a bottleneck of a few cells across, so what is left holds too little to
rebuild a face from, whatever deconvolution or super-resolution is tried:
pixelate shows the cells, blur smooths them into a soft blob.
"""

from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

from blur.errors import SettingsError
from blur.regions import FaceRegions
from blur.settings import RedactSettings

# Cells across the redacted region (the face box grown by mask_scale). With the
# default scale the face itself spans about four cells: far below the 16 or so
# across at which pixelated faces start to be recognised.
PIXELATE_CELLS = 6
BLUR_CELLS = 4

Redactor = Callable[[np.ndarray, RedactSettings], np.ndarray]


def _bottleneck(patch: np.ndarray, cells: int, upscale: int) -> np.ndarray:
    height_px, width_px = patch.shape[:2]
    cells_x = max(1, min(cells, width_px))
    cells_y = max(1, min(cells, height_px))
    small = cv2.resize(patch, (cells_x, cells_y), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (width_px, height_px), interpolation=upscale)


def pixelate(patch: np.ndarray, settings: RedactSettings) -> np.ndarray:
    return _bottleneck(patch, PIXELATE_CELLS, cv2.INTER_NEAREST)


def blur(patch: np.ndarray, settings: RedactSettings) -> np.ndarray:
    smooth = _bottleneck(patch, BLUR_CELLS, cv2.INTER_LINEAR)
    # A box blur one cell wide hides the seams of the linear upscale.
    kernel = (max(1, patch.shape[1] // BLUR_CELLS) | 1, max(1, patch.shape[0] // BLUR_CELLS) | 1)
    return cv2.blur(smooth, kernel)


def solid(patch: np.ndarray, settings: RedactSettings) -> np.ndarray:
    return np.broadcast_to(np.array(settings.color, np.uint8), patch.shape)


REDACTORS: dict[str, Redactor] = {"blur": blur, "pixelate": pixelate, "solid": solid}


def redactor(mode: str) -> Redactor:
    try:
        return REDACTORS[mode]
    except KeyError:
        raise SettingsError(f"redaction mode {mode!r} is not one of: {', '.join(REDACTORS)}") from None


def grow(regions: FaceRegions, scale: float) -> np.ndarray:
    """Face boxes grown by ``scale`` about their centre, shifted up by a tenth
    of the face height to take in forehead and hair, rounded outwards to whole
    pixels: int (N, 4) xyxy, end-exclusive, possibly beyond the frame."""
    xyxy = regions.xyxy.astype(np.float64)
    centre = (xyxy[:, :2] + xyxy[:, 2:]) / 2
    size = xyxy[:, 2:] - xyxy[:, :2]
    centre[:, 1] -= 0.1 * size[:, 1]
    half = size * scale / 2
    return np.concatenate([np.floor(centre - half), np.ceil(centre + half)], axis=1).astype(np.int64)


def _ellipse_mask(height_px: int, width_px: int) -> np.ndarray:
    y, x = np.ogrid[:height_px, :width_px]
    ny = (y + 0.5 - height_px / 2) / (height_px / 2)
    nx = (x + 0.5 - width_px / 2) / (width_px / 2)
    return (nx * nx + ny * ny) <= 1.0


def redact_frame(image: np.ndarray, regions: FaceRegions, settings: RedactSettings) -> np.ndarray:
    """Redact every region of one RGB frame in place, and return it."""
    if not len(regions):
        return image
    apply = redactor(settings.mode)
    height_px, width_px = image.shape[:2]
    for gx1, gy1, gx2, gy2 in grow(regions, settings.mask_scale):
        # The ellipse belongs to the whole grown box; at a frame edge only its
        # visible part is cut out, so the face near the edge stays covered.
        x1, y1 = max(gx1, 0), max(gy1, 0)
        x2, y2 = min(gx2, width_px), min(gy2, height_px)
        if x2 <= x1 or y2 <= y1:
            continue
        patch = image[y1:y2, x1:x2]
        redacted = apply(patch, settings)
        if settings.shape == "box":
            patch[...] = redacted
        else:
            mask = _ellipse_mask(gy2 - gy1, gx2 - gx1)[y1 - gy1 : y2 - gy1, x1 - gx1 : x2 - gx1]
            patch[mask] = redacted[mask]
    return image
