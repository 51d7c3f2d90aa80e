"""Watching how a video's picture changes: scene cuts, so tracks and padding
never cross from one shot to the next, and stillness, so a static camera's
unchanged frames are not searched again."""

from __future__ import annotations

import cv2
import numpy as np

_THUMB_SIZE = (64, 36)
# Mean absolute difference (0-255) of consecutive thumbnails above which the
# picture is taken to have cut. Camera motion and lighting changes stay well
# below it; a cut between different shots goes well above.
_CUT_DIFFERENCE = 45.0
# Largest change of any thumbnail cell (0-255; a cell is about 30 px square at
# 1080p) below which a frame counts as unchanged. A 10 px face moving into a
# cell changes it by about 10; sensor noise averages out well below 3.
_STILL_DIFFERENCE = 3.0


def thumbnail(image: np.ndarray) -> np.ndarray:
    """A small, signed copy of a frame, for comparing frames cheaply."""
    # Every 4th pixel is plenty for a 64x36 average, at a tenth of the cost.
    step = max(1, min(image.shape[0] // (4 * _THUMB_SIZE[1]), image.shape[1] // (4 * _THUMB_SIZE[0]), 4))
    sampled = np.ascontiguousarray(image[::step, ::step])
    return cv2.resize(sampled, _THUMB_SIZE, interpolation=cv2.INTER_AREA).astype(np.int16)


def cut_between(before: np.ndarray, after: np.ndarray) -> bool:
    """Whether the picture cuts to a new shot between two frames'
    thumbnails."""
    return float(np.abs(after - before).mean()) > _CUT_DIFFERENCE


class CutDetector:
    """Fed thumbnails in order; says which frames start a new shot."""

    def __init__(self) -> None:
        self._previous: np.ndarray | None = None

    def is_cut(self, thumb: np.ndarray) -> bool:
        previous, self._previous = self._previous, thumb
        return previous is not None and cut_between(previous, thumb)


class StillDetector:
    """Says whether a frame looks exactly like the last one searched for faces."""

    def __init__(self) -> None:
        self._searched: np.ndarray | None = None

    def is_still(self, thumb: np.ndarray) -> bool:
        if self._searched is None:
            return False
        return int(np.abs(thumb - self._searched).max()) <= _STILL_DIFFERENCE

    def searched(self, thumb: np.ndarray) -> None:
        self._searched = thumb
