"""Watching how a video's picture changes: scene cuts, so tracks and padding
never cross from one shot to the next, and stillness, so a static camera's
unchanged frames are not searched again."""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np

_THUMB_SIZE = (64, 36)
# Mean absolute difference (0-255) of consecutive thumbnails above which the
# picture has surely cut.
_CUT_DIFFERENCE = 45.0
# Below that, a cut is a jump: a difference at least this many times the mean
# of the last few frames' (and at least _MIN_JUMP). Cuts between two dark
# shots of one stage differ by only 23-26 (and jump 7-13 times), while a fast
# pan or zoom differs by up to 34 and a moving car's camera by up to 20, but
# change smoothly, at most 1.9 times the frames before (measured on the
# shared videos and the pan/zoom clips).
_JUMP_RATIO = 4.0
_MIN_JUMP = 15.0
_RECENT_FRAMES = 5
_QUIET_DIFFERENCE = 2.0  # the mean taken for a still picture, so noise cannot make a jump
# No cut within this many frames of the last: a camera flash jumps there and
# back, and a one-frame shot would keep tracks from bridging the flash frame.
# Its first jump still starts a shot, so the faces after it are padded back
# over the flash.
_MIN_SHOT_FRAMES = 5
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


class CutDetector:
    """Fed thumbnails in order; says which frames start a new shot. A
    detector left after one stretch of a video, fed the first thumbnail of
    the next, says whether the picture cuts where the two meet."""

    def __init__(self) -> None:
        self._previous: np.ndarray | None = None
        self._recent: deque[float] = deque(maxlen=_RECENT_FRAMES)
        self._since_cut = _MIN_SHOT_FRAMES

    def is_cut(self, thumb: np.ndarray) -> bool:
        previous, self._previous = self._previous, thumb
        if previous is None:
            return False
        difference = float(np.abs(thumb - previous).mean())
        usual = max(_QUIET_DIFFERENCE, sum(self._recent) / len(self._recent)) if self._recent else None
        self._recent.append(difference)
        self._since_cut += 1
        jumped = usual is not None and difference >= max(_MIN_JUMP, _JUMP_RATIO * usual)
        if self._since_cut < _MIN_SHOT_FRAMES or not (difference > _CUT_DIFFERENCE or jumped):
            return False
        self._since_cut = 0
        return True


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
