"""Cutting a frame into overlapping square tiles, and merging what each finds.

A detector with a small fixed input (BlazeFace: 192x192) shrinks a whole 1080p
frame tenfold, so a 40 px face becomes 4 px and is lost. Tiles at more than one
size give each face a view in which it is large enough to see.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from blur.regions import FaceRegions


@dataclass(frozen=True)
class Tile:
    """A square window of a frame: top-left corner and side in pixels."""

    x0: int
    y0: int
    side_px: int


def _starts(length_px: int, side_px: int, overlap: float) -> list[int]:
    if length_px <= side_px:
        return [0]
    stride = side_px * (1.0 - overlap)
    count = math.ceil((length_px - side_px) / stride) + 1
    return [round(i * (length_px - side_px) / (count - 1)) for i in range(count)]


def tile_grid(width_px: int, height_px: int, side_px: int, overlap: float = 0.25) -> list[Tile]:
    """Square tiles of one side covering the frame, overlapping by at least
    ``overlap`` of a side so a face cut by one tile's edge is whole in the next.
    A frame smaller than the side gets one tile clipped to the frame."""
    return [
        Tile(x0, y0, side_px)
        for y0 in _starts(height_px, side_px, overlap)
        for x0 in _starts(width_px, side_px, overlap)
    ]


def even_spans(length_px: int, most_px: int, overlap_px: int, multiple: int = 1) -> list[tuple[int, int]]:
    """(start, end) spans of equal length, at most ``most_px`` (a multiple of
    ``multiple`` where the length allows), covering 0..length_px, each
    overlapping the next by at least ``overlap_px``: as few as can be, so
    little is searched twice."""
    if length_px <= most_px:
        return [(0, length_px)]
    count = math.ceil((length_px - overlap_px) / (most_px - overlap_px - multiple))
    span = min(length_px, -(-(length_px + (count - 1) * (overlap_px + 1)) // (count * multiple)) * multiple)
    return [(start, start + span) for start in (i * (length_px - span) // (count - 1) for i in range(count))]


MOST_TILE_PIXELS = 4_000_000  # about 0.5 GB of the network's memory


def detect_in_tiles(detector, image: np.ndarray, overlap_px: int) -> FaceRegions:
    """The faces in an image (boxes in its pixels), searched whole if it is no
    more than ``MOST_TILE_PIXELS``, else in equal tiles of at most that, each
    overlapping the next by at least ``overlap_px`` (so a face no larger lies
    whole in one): the network's memory grows with the image (6 GB for 48
    megapixels whole). A face found twice in an overlap is kept once."""
    height_px, width_px = image.shape[:2]
    if height_px * width_px <= MOST_TILE_PIXELS:
        return detector.detect(image)
    most_side_px = int(math.sqrt(MOST_TILE_PIXELS))
    parts = []
    for y0, y1 in even_spans(height_px, most_side_px, overlap_px, detector.size_multiple):
        for x0, x1 in even_spans(width_px, most_side_px, overlap_px, detector.size_multiple):
            part = detector.detect(np.ascontiguousarray(image[y0:y1, x0:x1]))
            part.xyxy[:] += np.array([x0, y0, x0, y0], np.float32)
            parts.append(part)
    return merge_overlapping(FaceRegions.concat(parts), iou_threshold=0.7)


def box_iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise intersection over union of two (N, 4) and (M, 4) xyxy arrays."""
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    overlap = np.clip(bottom_right - top_left, 0, None).prod(axis=2)
    area_a = (a[:, 2:] - a[:, :2]).prod(axis=1)
    area_b = (b[:, 2:] - b[:, :2]).prod(axis=1)
    return overlap / np.maximum(area_a[:, None] + area_b[None, :] - overlap, 1e-6)


def merge_overlapping(regions: FaceRegions, iou_threshold: float = 0.4) -> FaceRegions:
    """Greedy non-maximum suppression: of boxes overlapping by more than the
    threshold, keep the most confident. Used only to remove the same face seen
    twice (by neighbouring tiles, or by neighbouring heatmap cells); a box
    never disappears unless a more confident one covers it."""
    if len(regions) < 2:
        return regions
    import cv2  # OpenCV's NMS: the Python loop it replaces cost 0.3 s on a busy 1080p frame

    xywh = np.concatenate([regions.xyxy[:, :2], regions.xyxy[:, 2:] - regions.xyxy[:, :2]], axis=1)
    keep = cv2.dnn.NMSBoxes(xywh.astype(np.float64).tolist(), regions.score.astype(np.float64).tolist(),
                            score_threshold=0.0, nms_threshold=iou_threshold)
    return regions.take(np.sort(np.asarray(keep, np.int64).reshape(-1)))
