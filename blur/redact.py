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

from functools import lru_cache
from typing import Callable, Iterator

import cv2
import numpy as np

from blur.errors import SettingsError
from blur.media import I420, RGB, i420_planes
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
    """The patch averaged over cells of ``cell_px`` from its top-left corner,
    and stretched back. A part cell at the right or bottom is filled out by
    repeating its edge pixels, so every cell stays on the grid."""
    height_px, width_px = patch.shape[:2]
    cells_x, cells_y = -(-width_px // cell_px), -(-height_px // cell_px)
    full_w, full_h = cells_x * cell_px, cells_y * cell_px
    small = patch
    if (full_w, full_h) != (width_px, height_px):
        small = cv2.copyMakeBorder(patch, 0, full_h - height_px, 0, full_w - width_px, cv2.BORDER_REPLICATE)
    # Halving again and again averages the same cells (to within rounding)
    # several times faster than one shrink by the whole cell size, which
    # sizes that are not a power of two take.
    halvings = cell_px.bit_length() - 1 if cell_px & (cell_px - 1) == 0 else 0
    for _ in range(halvings):
        small = cv2.resize(small, (small.shape[1] // 2, small.shape[0] // 2), interpolation=cv2.INTER_AREA)
    if halvings == 0:
        small = cv2.resize(small, (cells_x, cells_y), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (full_w, full_h), interpolation=upscale)[:height_px, :width_px]


def pixelate(patch: np.ndarray, cell_px: int) -> np.ndarray:
    return _bottleneck(patch, cell_px, cv2.INTER_NEAREST)


def blur(patch: np.ndarray, cell_px: int) -> np.ndarray:
    # A cubic upscale leaves no seams between the cells.
    return _bottleneck(patch, cell_px, cv2.INTER_CUBIC)


REDACTORS: dict[str, Redactor] = {"blur": blur, "pixelate": pixelate}
_CELLS_ACROSS = {"blur": BLUR_CELLS, "pixelate": PIXELATE_CELLS}
# Cells on each side that a redacted pixel's value depends on: the cubic
# upscale reads two; a pixelated cell only itself.
_CONTEXT_CELLS = {"blur": 2, "pixelate": 0}
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


_SUBPIXEL_BITS = 4  # ellipse centres and axes to a sixteenth of a pixel


def _draw(mask: np.ndarray, boxes: np.ndarray, shape: str, origin: tuple[int, int]) -> None:
    """Mark each box (or the ellipse inside it) on the mask, whose top-left
    is at ``origin`` in frame pixels. Parts beyond the mask are cut off, so a
    face at the frame edge is covered to the edge."""
    local = boxes - np.array([*origin, *origin])
    if shape == "box":
        for x1, y1, x2, y2 in local.tolist():
            cv2.rectangle(mask, (x1, y1), (x2 - 1, y2 - 1), 255, thickness=-1)
        return
    # OpenCV's integer form with sub-pixel bits is about twice as fast as
    # passing a rotated rectangle, which counts with hundreds of faces.
    one = 1 << _SUBPIXEL_BITS
    centres = np.round((local[:, :2] + local[:, 2:] - 1) * (one / 2)).astype(np.int64).tolist()
    axes = np.round((local[:, 2:] - local[:, :2] - 1) * (one / 2)).astype(np.int64).tolist()
    for centre, axis in zip(centres, axes):
        cv2.ellipse(mask, centre, axis, 0, 0, 360, 255, -1, cv2.LINE_8, _SUBPIXEL_BITS)


def _span(boxes: np.ndarray, width_px: int, height_px: int, grid_px: int) -> tuple[int, int, int, int] | None:
    """The area the boxes cover inside the frame, widened to whole cells of a
    grid fixed to the frame: a face then meets the same cells from one frame to
    the next, so its redaction does not shimmer as neighbours come and go (and
    costs the encoder less)."""
    x1, y1 = max(int(boxes[:, 0].min()), 0), max(int(boxes[:, 1].min()), 0)
    x2, y2 = min(int(boxes[:, 2].max()), width_px), min(int(boxes[:, 3].max()), height_px)
    if x2 <= x1 or y2 <= y1:
        return None
    x1, y1 = x1 - x1 % grid_px, y1 - y1 % grid_px
    x2, y2 = min(-(-x2 // grid_px) * grid_px, width_px), min(-(-y2 // grid_px) * grid_px, height_px)
    return x1, y1, x2, y2


def _groups(boxes: np.ndarray, settings: RedactSettings, size: tuple[int, int],
            grid_px: int = 1) -> Iterator[tuple[int, tuple[int, int, int, int], np.ndarray]]:
    """Per cell size the settings give the boxes, finest first: the size, the
    span its boxes cover (on a grid at least ``grid_px``) and the mask of its
    boxes over that span."""
    cells = _cells(boxes, settings.mode)
    for cell_px in np.unique(cells).tolist():
        group = boxes[cells == cell_px]
        span = _span(group, *size, max(cell_px, grid_px))
        if span is None:
            continue
        x1, y1, x2, y2 = span
        mask = np.zeros((y2 - y1, x2 - x1), np.uint8)
        _draw(mask, group, settings.shape, (x1, y1))
        yield cell_px, span, mask


def redact_frame(image: np.ndarray, regions: FaceRegions, settings: RedactSettings) -> np.ndarray:
    """Redact every region of one RGB frame in place, and return it."""
    if not len(regions):
        return image
    boxes = grow(regions, settings.mask_scale)
    fill = None if redactor(settings.mode) else np.array(settings.color, np.uint8)
    height_px, width_px = image.shape[:2]
    for cell_px, span, mask in _groups(boxes, settings, (width_px, height_px)):
        _redact_patch(image, span, mask, cell_px, settings.mode, fill)
    return image


def redact_i420(image: np.ndarray, regions: FaceRegions, settings: RedactSettings) -> np.ndarray:
    """Redact every region of one I420 frame (the Y plane, then U and V at
    half size; see ``blur.media``) in place, and return it. The Y plane is
    redacted like an RGB frame; U and V take the same areas at half size
    (every chroma sample whose 2x2 block of luma the mask touches), with cells
    halved."""
    if not len(regions):
        return image
    boxes = grow(regions, settings.mask_scale)
    fill = None if redactor(settings.mode) else _i420_color(settings.color)
    luma, u, v = i420_planes(image)
    height_px, width_px = luma.shape
    for cell_px, span, mask in _groups(boxes, settings, (width_px, height_px), grid_px=2):
        _redact_patch(luma, span, mask, cell_px, settings.mode, None if fill is None else fill[0])
        # Averaging 2x2 blocks of 0 and 255 leaves none that held a 255 at 0.
        half_mask = cv2.resize(mask, (mask.shape[1] // 2, mask.shape[0] // 2), interpolation=cv2.INTER_AREA)
        half_span = (span[0] // 2, span[1] // 2, span[2] // 2, span[3] // 2)
        for index, plane in ((1, u), (2, v)):
            _redact_patch(plane, half_span, half_mask, max(cell_px // 2, 1), settings.mode,
                          None if fill is None else fill[index])
    return image


# layout name (as ``blur.media`` names them) -> in-place redaction
LAYOUTS: dict[str, Callable[[np.ndarray, FaceRegions, RedactSettings], np.ndarray]] = {
    RGB: redact_frame, I420: redact_i420,
}


@lru_cache(maxsize=8)
def _i420_color(color: tuple[int, int, int]) -> tuple[int, int, int]:
    """An RGB colour as (Y, U, V), by the conversion OpenCV uses both ways."""
    planar = cv2.cvtColor(np.full((2, 2, 3), color, np.uint8), cv2.COLOR_RGB2YUV_I420)
    return int(planar[0, 0]), int(planar[2, 0]), int(planar[2, 1])


def _cells(boxes: np.ndarray, mode: str) -> np.ndarray:
    """Cell size per box; solid fill needs none (one group)."""
    if mode not in _CELLS_ACROSS:
        return np.ones(len(boxes), np.int64)
    return cell_sizes(boxes, _CELLS_ACROSS[mode])


def _redact_patch(plane: np.ndarray, span: tuple[int, int, int, int], mask: np.ndarray, cell_px: int,
                  mode: str, fill: np.ndarray | int | None) -> None:
    """Redact the masked pixels of a span of a plane (or RGB image) in place:
    fill them with a solid colour, or blur or pixelate them at a cell size."""
    x1, y1, x2, y2 = span
    if fill is not None:
        redacted = np.empty_like(plane[y1:y2, x1:x2])
        redacted[...] = fill
    else:
        # The cells around the span are read too: the redacted pixels near
        # its edge depend on them, as they would if the span were wider.
        margin = _CONTEXT_CELLS[mode] * cell_px
        height_px, width_px = plane.shape[:2]
        cx1, cy1 = max(x1 - margin, 0), max(y1 - margin, 0)
        cx2, cy2 = min(x2 + margin, width_px), min(y2 + margin, height_px)
        around = REDACTORS[mode](plane[cy1:cy2, cx1:cx2], cell_px)
        redacted = around[y1 - cy1: y2 - cy1, x1 - cx1: x2 - cx1]
    # OpenCV's masked copy is many times faster than numpy's; it needs a
    # contiguous target, so the span goes out and back.
    target = np.ascontiguousarray(plane[y1:y2, x1:x2])
    cv2.copyTo(redacted, mask, target)
    plane[y1:y2, x1:x2] = target
