"""Photos: a second search of the picture enlarged, for the faces too small
for the network at the picture's own size.

CenterFace finds few faces under about 10 px. A photo is searched once, so it
can afford a second search at twice the size, where such a face is 20 px. Only
small, fairly sure faces are taken from it: enlarged, large faces come out
worse, and its weak hits are mostly not faces (on the WIDER FACE photos, its
hits of 0.12-0.3 added 1.1 false regions per image). Pictures over 4
megapixels are not enlarged: the search would cost seconds.
"""

from __future__ import annotations

import cv2
import numpy as np

from blur.detect import FaceDetector, detect_scaled
from blur.regions import FaceRegions

_FACTOR = 2
_SMALL_FACE_PX = 20  # in the photo's pixels: larger faces come from the search at its own size
_MIN_SCORE = 0.3
_MAX_PIXELS = 4_000_000


def detect_photo(detector: FaceDetector, image: np.ndarray) -> FaceRegions:
    """The faces in a photo: at its own size, plus the small ones found at
    twice the size (boxes in the photo's pixels)."""
    found = detector.detect(image)
    height_px, width_px = image.shape[:2]
    if height_px * width_px > _MAX_PIXELS:
        return found
    enlarged = cv2.resize(image, (width_px * _FACTOR, height_px * _FACTOR), interpolation=cv2.INTER_LINEAR)
    small = detect_scaled(detector, enlarged, (width_px, height_px))
    sides = (small.xyxy[:, 2:] - small.xyxy[:, :2]).max(axis=1)
    small = small.take(np.flatnonzero((sides < _SMALL_FACE_PX) & (small.score >= _MIN_SCORE)))
    # both kept where they overlap: a tighter box from the enlarged search must not replace a fuller one
    return FaceRegions.concat([found, small])
