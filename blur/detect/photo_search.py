"""Photos: searched at their own size, and at other sizes for the faces the
network cannot see there.

A photo is searched once, so it can afford more than one size:

- Enlarged twice, for faces too small for the network. CenterFace finds few
  faces under about 10 px; enlarged, such a face is 20 px. Only small, fairly
  sure faces are taken from it: enlarged, large faces come out worse, and its
  weak hits are mostly not faces (on the WIDER FACE photos, its hits of
  0.12-0.3 added 1.1 false regions per image). Photos over 4 megapixels are
  not enlarged: the search would cost seconds.
- Shrunk 4 times, and 16 times, and so on, for faces too large for it. A face
  over about 700 px (a portrait or a selfie on a phone photo of 12-48
  megapixels) is found in pieces, or not at all: shrunk, it is whole. Shrinking
  goes on until a face filling the photo's shorter side is within reach. Only
  faces large at the shrunk size are taken from it: smaller ones are seen
  better at the size before.

Each search of more than 4 megapixels is cut into overlapping tiles, searched
one by one: the network's memory grows with the image (6 GB for a 48-megapixel
photo whole). Every face that a search is the one to find lies whole in a
tile, as tiles overlap by more: under 96 px at its size where a smaller search
follows (larger faces are 24 px or more there); any face, so the whole shorter
side, where none does (a long panorama).
"""

from __future__ import annotations

import cv2
import numpy as np

from blur.detect import FaceDetector, in_full_size, scaled_size
from blur.detect.tiling import detect_in_tiles
from blur.regions import FaceRegions

_ENLARGE = 2
_SMALL_FACE_PX = 20  # in the photo's pixels: larger faces come from the search at its own size
_MIN_ENLARGED_SCORE = 0.3
_MAX_ENLARGED_PIXELS = 4_000_000

_SHRINK = 4
# Faces as large as a photo's shorter side of this are still found whole.
_REACH_PX = 640
# At the shrunk size: smaller faces come from the search at the size before.
_LARGE_FACE_PX = 24

_TILE_OVERLAP_PX = 128


def detect_photo(detector: FaceDetector, image: np.ndarray, enlarge: bool = True) -> FaceRegions:
    """The faces in a photo (boxes in its pixels): at its own size, the large
    ones at sizes shrunk until they are within the network's reach, and, with
    ``enlarge``, the small ones found at twice the size. Where searches find
    the same face, every box is kept: a tighter box must not replace a fuller
    one."""
    found = [_search(detector, image), *_shrunk(detector, image)]
    if enlarge:
        found.append(_enlarged(detector, image))
    return FaceRegions.concat(found)


def _search(detector: FaceDetector, image: np.ndarray, size: tuple[int, int] | None = None) -> FaceRegions:
    """The faces in the image, in tiles if it is large; boxes in the pixels of
    the photo at ``size`` (width, height; default the image's)."""
    short_px = min(image.shape[:2])
    # No smaller search follows an image this narrow (see ``_shrunk``): every face must fit in a tile.
    found = detect_in_tiles(detector, image, _TILE_OVERLAP_PX if short_px > _REACH_PX else short_px)
    return found if size is None else in_full_size(found, image, size)


def _sides(regions: FaceRegions) -> np.ndarray:
    return (regions.xyxy[:, 2:] - regions.xyxy[:, :2]).max(axis=1)


def _shrunk(detector: FaceDetector, image: np.ndarray) -> list[FaceRegions]:
    height_px, width_px = image.shape[:2]
    short_px, found = min(width_px, height_px), []
    while short_px > _REACH_PX:
        short_px = max(1, round(short_px / _SHRINK))
        size = scaled_size(width_px, height_px, short_px, detector.size_multiple)
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        large = _search(detector, small, (width_px, height_px))
        scale = size[0] / width_px
        found.append(large.take(np.flatnonzero(_sides(large) * scale >= _LARGE_FACE_PX)))
    return found


def _enlarged(detector: FaceDetector, image: np.ndarray) -> FaceRegions:
    height_px, width_px = image.shape[:2]
    if height_px * width_px > _MAX_ENLARGED_PIXELS:
        return FaceRegions.empty()
    enlarged = cv2.resize(image, (width_px * _ENLARGE, height_px * _ENLARGE), interpolation=cv2.INTER_LINEAR)
    small = _search(detector, enlarged, (width_px, height_px))
    return small.take(np.flatnonzero((_sides(small) < _SMALL_FACE_PX) & (small.score >= _MIN_ENLARGED_SCORE)))
