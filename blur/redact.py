"""Make face regions unrecognisable: blur, pixelate or solid fill.

Every mode scales with the face. Blur and pixelate both pass the face through
a bottleneck of a few cells across, so what is left holds too little to
rebuild a face from, whatever deconvolution or super-resolution is tried:
pixelate shows the cells, blur smooths them into a soft blob.

Regions are redacted in groups that share a cell size (sizes are powers of
two, and each face gets the next size up from what it needs, never a finer
one), one pass per group over the area the group spans. A crowd of hundreds
of regions then costs a few passes, not hundreds. Coarser groups go last, so
where regions overlap the coarser redaction wins.
"""

from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

from blur.errors import SettingsError
from blur.regions import FaceRegions
from blur.settings import RedactSettings

# Cells across the redacted region (the face box grown by mask_scale). With the
# default scale the face itself spans about four cells or fewer: far below the
# 16 or so across at which pixelated faces start to be recognised.
PIXELATE_CELLS = 6
BLUR_CELLS = 4

# patch, cell size in px -> the patch with no detail finer than the cell
Redactor = Callable[[np.ndarray, int], np.ndarray]


def _bottleneck(patch: np.ndarray, cell_px: int, upscale: int) -> np.ndarray:
    height_px, width_px = patch.shape[:2]
    cells_x = max(1, width_px // cell_px)
    cells_y = max(1, height_px // cell_px)
    # Averaging whole cells is several times faster than a fractional shrink;
    # the strip left over at the right and bottom is not averaged in, and the
    # stretch back makes every cell a little larger than asked, never smaller.
    whole = patch[: cells_y * cell_px, : cells_x * cell_px] if cells_x * cells_y > 1 else patch
    small = cv2.resize(whole, (cells_x, cells_y), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (width_px, height_px), interpolation=upscale)


def pixelate(patch: np.ndarray, cell_px: int) -> np.ndarray:
    return _bottleneck(patch, cell_px, cv2.INTER_NEAREST)


def blur(patch: np.ndarray, cell_px: int) -> np.ndarray:
    # A cubic upscale leaves no seams between the cells.
    return _bottleneck(patch, cell_px, cv2.INTER_CUBIC)


REDACTORS: dict[str, Redactor] = {"blur": blur, "pixelate": pixelate}
_CELLS_ACROSS = {"blur": BLUR_CELLS, "pixelate": PIXELATE_CELLS}
MODES = (*REDACTORS, "solid")


def redactor(mode: str) -> Redactor | None:
    """The redaction for a mode name; None for solid, which needs no pixels."""
    if mode not in MODES:
        raise SettingsError(f"redaction mode {mode!r} is not one of: {', '.join(MODES)}")
    return REDACTORS.get(mode)


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


def cell_sizes(boxes: np.ndarray, cells_across: int) -> np.ndarray:
    """Each box's cell size in px: the box's longer side over ``cells_across``,
    rounded up to a power of two (so boxes of similar size share one)."""
    need = np.maximum((boxes[:, 2:] - boxes[:, :2]).max(axis=1) / cells_across, 1.0)
    return (2 ** np.ceil(np.log2(need) - 1e-9)).astype(np.int64)


def _draw(mask: np.ndarray, boxes: np.ndarray, shape: str, origin: tuple[int, int]) -> None:
    """Mark each box (or the ellipse inside it) on the mask, whose top-left
    is at ``origin`` in frame pixels. Parts beyond the mask are cut off, so a
    face at the frame edge is covered to the edge."""
    ox, oy = origin
    for x1, y1, x2, y2 in boxes:
        if shape == "box":
            cv2.rectangle(mask, (int(x1 - ox), int(y1 - oy)), (int(x2 - ox) - 1, int(y2 - oy) - 1), 1, thickness=-1)
        else:
            centre = ((x1 + x2 - 1) / 2 - ox, (y1 + y2 - 1) / 2 - oy)
            cv2.ellipse(mask, (centre, (float(x2 - x1 - 1), float(y2 - y1 - 1)), 0.0), 1, thickness=-1)


def _span(boxes: np.ndarray, width_px: int, height_px: int) -> tuple[int, int, int, int] | None:
    x1, y1 = max(int(boxes[:, 0].min()), 0), max(int(boxes[:, 1].min()), 0)
    x2, y2 = min(int(boxes[:, 2].max()), width_px), min(int(boxes[:, 3].max()), height_px)
    return (x1, y1, x2, y2) if x2 > x1 and y2 > y1 else None


def redact_frame(image: np.ndarray, regions: FaceRegions, settings: RedactSettings) -> np.ndarray:
    """Redact every region of one RGB frame in place, and return it."""
    if not len(regions):
        return image
    apply = redactor(settings.mode)
    height_px, width_px = image.shape[:2]
    boxes = grow(regions, settings.mask_scale)
    if apply is None:
        groups = [(0, boxes)]
    else:
        cells = cell_sizes(boxes, _CELLS_ACROSS[settings.mode])
        groups = [(int(cell), boxes[cells == cell]) for cell in np.unique(cells)]
    for cell_px, group in groups:
        span = _span(group, width_px, height_px)
        if span is None:
            continue
        x1, y1, x2, y2 = span
        patch = image[y1:y2, x1:x2]
        mask = np.zeros(patch.shape[:2], np.uint8)
        _draw(mask, group, settings.shape, (x1, y1))
        if apply is None:
            redacted = np.empty_like(patch)
            redacted[...] = settings.color
        else:
            redacted = apply(patch, cell_px)
        # OpenCV's masked copy is many times faster than numpy's; it needs a
        # contiguous target, so the patch goes out and back.
        target = np.ascontiguousarray(patch)
        cv2.copyTo(redacted, mask, target)
        patch[...] = target
    return image
