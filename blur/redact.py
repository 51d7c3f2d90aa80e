"""Make face regions unrecognisable: blur, pixelate or solid fill.

Every mode scales with the face. Blur and pixelate both pass the face through
a bottleneck of a few cells across, so what is left holds too little to
rebuild a face from, whatever deconvolution or super-resolution is tried:
pixelate shows the cells, blur smooths them into a soft blob.

Regions are redacted in groups that share a cell size (sizes are powers of
two, and each face gets the next size up from what it needs, never a finer
one), one pass per group over the area the group spans. A crowd of hundreds
of regions then costs a few passes, not hundreds. The cell means come from one
pyramid of the frame (``CellMeans``), halved once per cell size whatever the
groups span, on a grid fixed to the frame. Coarser groups go last, so where
regions overlap the coarser redaction wins.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Style:
    """How a mode squeezes a face: ``cells_across`` the grown region, each
    cell its pixels' mean, stretched back by ``upscale`` (an OpenCV
    interpolation), which reads ``context_cells`` cells on each side."""

    cells_across: int
    upscale: int
    context_cells: int


# A cubic upscale leaves no seams between the cells, and reads two around.
STYLES: dict[str, Style] = {
    "blur": Style(BLUR_CELLS, cv2.INTER_CUBIC, 2),
    "pixelate": Style(PIXELATE_CELLS, cv2.INTER_NEAREST, 0),
}
MODES = (*STYLES, "solid")


class CellMeans:
    """A plane (or RGB image) averaged over square cells of every power-of-two
    size up to ``largest_cell_px``, on a grid fixed to its top-left corner:
    level k holds the means of cells of 2**k px. Made from the pixels as they
    are when it is built, by halving again and again (several times faster
    than one shrink per cell size). A part cell at the right or bottom edge
    is flat too, its last row or column weighing more: each halving repeats
    an odd edge."""

    def __init__(self, plane: np.ndarray, largest_cell_px: int) -> None:
        self.levels = [plane]
        for _ in range(max(largest_cell_px, 1).bit_length() - 1):
            level = self.levels[-1]
            height_px, width_px = level.shape[:2]
            if height_px % 2 or width_px % 2:
                level = cv2.copyMakeBorder(level, 0, height_px % 2, 0, width_px % 2, cv2.BORDER_REPLICATE)
            self.levels.append(cv2.resize(level, (level.shape[1] // 2, level.shape[0] // 2),
                                          interpolation=cv2.INTER_AREA))

    def squeezed(self, span: tuple[int, int, int, int], cell_px: int, style: Style) -> np.ndarray:
        """The span (x1, y1, x2, y2, on the cell grid but for the plane's
        right and bottom edges) as the style redacts it: its cells' means
        stretched back to its size."""
        level = self.levels[cell_px.bit_length() - 1]
        x1, y1, x2, y2 = span
        # The cells around the span are read too: the pixels near its edge
        # depend on them, as they would if the span were wider.
        margin = style.context_cells
        cx1, cy1 = max(x1 // cell_px - margin, 0), max(y1 // cell_px - margin, 0)
        cx2 = min(-(-x2 // cell_px) + margin, level.shape[1])
        cy2 = min(-(-y2 // cell_px) + margin, level.shape[0])
        stretched = cv2.resize(level[cy1:cy2, cx1:cx2], ((cx2 - cx1) * cell_px, (cy2 - cy1) * cell_px),
                               interpolation=style.upscale)
        return stretched[y1 - cy1 * cell_px: y2 - cy1 * cell_px, x1 - cx1 * cell_px: x2 - cx1 * cell_px]


def redactor(mode: str) -> Style | None:
    """The style for a mode name; None for solid, which needs no pixels."""
    if mode not in MODES:
        raise SettingsError(f"redaction mode {mode!r} is not one of: {', '.join(MODES)}")
    return STYLES.get(mode)


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
    style = redactor(settings.mode)
    height_px, width_px = image.shape[:2]
    groups = list(_groups(grow(regions, settings.mask_scale), settings, (width_px, height_px)))
    fill = np.array(settings.color, np.uint8)
    means = None if style is None else CellMeans(image, max(cell_px for cell_px, _, _ in groups))
    for cell_px, span, mask in groups:
        _paint(image, span, mask, fill if means is None else means.squeezed(span, cell_px, style))
    return image


def redact_i420(image: np.ndarray, regions: FaceRegions, settings: RedactSettings) -> np.ndarray:
    """Redact every region of one I420 frame (the Y plane, then U and V at
    half size; see ``blur.media``) in place, and return it. The Y plane is
    redacted like an RGB frame; U and V take the same areas at half size
    (every chroma sample whose 2x2 block of luma the mask touches), with cells
    halved."""
    if not len(regions):
        return image
    style = redactor(settings.mode)
    planes = i420_planes(image)
    height_px, width_px = planes[0].shape
    groups = list(_groups(grow(regions, settings.mask_scale), settings, (width_px, height_px), grid_px=2))
    fill = _i420_color(settings.color)
    means = None
    if style is not None:
        largest_px = max(cell_px for cell_px, _, _ in groups)
        means = [CellMeans(plane, largest_px if index == 0 else max(largest_px // 2, 1))
                 for index, plane in enumerate(planes)]
    for cell_px, span, mask in groups:
        # Averaging 2x2 blocks of 0 and 255 leaves none that held a 255 at 0.
        half_mask = cv2.resize(mask, (mask.shape[1] // 2, mask.shape[0] // 2), interpolation=cv2.INTER_AREA)
        half_span = (span[0] // 2, span[1] // 2, span[2] // 2, span[3] // 2)
        for index, plane in enumerate(planes):
            plane_span, plane_mask, plane_cell_px = (span, mask, cell_px) if index == 0 else \
                (half_span, half_mask, max(cell_px // 2, 1))
            redacted = fill[index] if means is None else means[index].squeezed(plane_span, plane_cell_px, style)
            _paint(plane, plane_span, plane_mask, redacted)
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
    if mode not in STYLES:
        return np.ones(len(boxes), np.int64)
    return cell_sizes(boxes, STYLES[mode].cells_across)


def _paint(plane: np.ndarray, span: tuple[int, int, int, int], mask: np.ndarray,
           redacted: np.ndarray | int) -> None:
    """Copy the redacted pixels of a span (or one colour) over the masked
    pixels of the span of a plane (or RGB image), in place."""
    x1, y1, x2, y2 = span
    target = plane[y1:y2, x1:x2]
    if not isinstance(redacted, np.ndarray) or redacted.ndim == 1:
        redacted = np.full(target.shape, redacted, plane.dtype)
    # OpenCV's masked copy is many times faster than numpy's, and writes
    # straight into the span (a view with the plane's row stride).
    written = cv2.copyTo(redacted, mask, target)
    if written is not target:
        target[...] = written
