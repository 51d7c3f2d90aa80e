"""Finding scene cuts, so tracks and padding never cross from one shot to
the next."""

from __future__ import annotations

import cv2
import numpy as np

_THUMB_SIZE = (64, 36)
# Mean absolute difference (0-255) of consecutive thumbnails above which the
# picture is taken to have cut. Camera motion and lighting changes stay well
# below it; a cut between different shots goes well above.
_CUT_DIFFERENCE = 45.0


class CutDetector:
    """Fed frames in order; says which frames start a new shot."""

    def __init__(self) -> None:
        self._previous: np.ndarray | None = None

    def is_cut(self, image: np.ndarray) -> bool:
        thumb = cv2.resize(image, _THUMB_SIZE, interpolation=cv2.INTER_AREA).astype(np.int16)
        previous, self._previous = self._previous, thumb
        if previous is None:
            return False
        return float(np.abs(thumb - previous).mean()) > _CUT_DIFFERENCE
