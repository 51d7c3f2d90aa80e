"""Close looks: full-resolution searches of small windows around the faces
that are too small for the light search, between full searches.

A light search sees a frame scaled down (to 360 px high by default), where a
face under about 16 px is lost: at 1080p, every face under about 48 px. Such
faces were seen only by the full search, once a second, and carried between
by tracking; at CCTV frame rates a walker moves far in a second. So after a
full search finds small faces, a few times a second the windows around them
are searched at full resolution, following each face as it moves. The windows
are searched side by side in one image of at most 768x576 px (12 windows of
192 px), so a look costs at most about two light searches at 1080p.
"""

from __future__ import annotations

import numpy as np

from blur.detect import FaceDetector
from blur.detect.tiling import merge_overlapping
from blur.regions import FaceRegions

# A face is small when it is under this many pixels on the light search's
# scaled frame: CenterFace finds few faces below it.
LIGHT_MIN_FACE_PX = 16
# Windows are squares at least this big (a multiple of 32, the network's
# step), and at least this many times the largest small face, so a face stays
# inside its window while it moves between looks. On street footage from a
# moving car, 150-300 frames scored against CenterFace at full resolution on
# every frame, sure faces redacted with 128 px windows against 192 px:
# 193 against 201 of 218 at 1080p, 188 against 194 of 195 at 4K (light size
# 720), at the same speed; 256 px was no better and slower.
_MIN_WINDOW_PX = 192
_WINDOW_FACES = 2.5
_LOOK_EVERY_SECONDS = 0.2
_MAX_FACES = 12  # followed at once, to bound a look's cost
_MISSES_ALLOWED = 1  # looks in a row a followed face may go unseen
_MOSAIC_COLUMNS = 4


class CloseLooks:
    """Follows the small faces of one video, in upright frame pixels."""

    def __init__(self, detector: FaceDetector, threshold: float, frame_rate: float, light_scale: float) -> None:
        self._detector = detector
        self._threshold = threshold
        self._interval = max(1, round(_LOOK_EVERY_SECONDS * frame_rate))
        self._small_px = LIGHT_MIN_FACE_PX / light_scale
        side = max(_MIN_WINDOW_PX, _WINDOW_FACES * self._small_px)
        self._window_px = int(-(-side // 32) * 32)
        self._boxes = np.zeros((0, 4), np.float32)
        self._misses = np.zeros(0, np.int64)
        self._last_look = 0

    def follow(self, found: FaceRegions, frame_index: int) -> None:
        """After a full search: follow the small faces it found."""
        self._boxes = self._small(found)
        self._misses = np.zeros(len(self._boxes), np.int64)
        self._last_look = frame_index

    def due(self, frame_index: int) -> bool:
        return len(self._boxes) > 0 and frame_index - self._last_look >= self._interval

    def look(self, image: np.ndarray, frame_index: int) -> FaceRegions:
        """Search the windows around the followed faces in the full-resolution
        upright frame; what is found there, in frame pixels."""
        self._last_look = frame_index
        height_px, width_px = image.shape[:2]
        if self._window_px > min(width_px, height_px):
            return FaceRegions.empty()
        windows = self._windows(width_px, height_px)
        found = self._search_mosaic(image, windows)
        self._update(self._small(found))
        return found

    def _search_mosaic(self, image: np.ndarray, windows: list[tuple[int, int]]) -> FaceRegions:
        """Search the windows side by side in one image, up to four to a row: one
        call of the network instead of one per window, which costs several
        times as much. Each face found goes back to the window its centre
        lies in, and is cut to it."""
        side = self._window_px
        columns = min(len(windows), _MOSAIC_COLUMNS)
        rows = -(-len(windows) // columns)
        mosaic = np.zeros((rows * side, columns * side, 3), np.uint8)
        for k, (x0, y0) in enumerate(windows):
            row, column = divmod(k, columns)
            mosaic[row * side: (row + 1) * side, column * side: (column + 1) * side] = \
                image[y0: y0 + side, x0: x0 + side]
        found = self._detector.detect(mosaic)
        centres = (found.xyxy[:, :2] + found.xyxy[:, 2:]) / 2
        cell = np.floor(centres / side).astype(np.int64)
        index = cell[:, 1] * columns + cell[:, 0]
        keep = np.flatnonzero((cell[:, 0] < columns) & (index < len(windows)))
        found = found.take(keep)
        corner = (cell[keep] * side).astype(np.float32)
        local = np.clip(found.xyxy - np.concatenate([corner, corner], axis=1), 0, side)
        origin = np.array(windows, np.float32).reshape(-1, 2)[index[keep]]
        found.xyxy[:] = local + np.concatenate([origin, origin], axis=1)
        return merge_overlapping(found, iou_threshold=0.3)

    def _small(self, found: FaceRegions) -> np.ndarray:
        """The boxes of the sure, small faces, surest first, at most a dozen."""
        sides = (found.xyxy[:, 2:] - found.xyxy[:, :2]).max(axis=1)
        keep = np.flatnonzero((found.score >= self._threshold) & (sides < self._small_px))
        keep = keep[np.argsort(-found.score[keep], kind="stable")][:_MAX_FACES]
        return found.xyxy[keep].copy()

    def _windows(self, width_px: int, height_px: int) -> list[tuple[int, int]]:
        """Each followed face's window, inside the frame."""
        centres = (self._boxes[:, :2] + self._boxes[:, 2:]) / 2
        half = self._window_px / 2
        x0 = np.clip(np.round(centres[:, 0] - half), 0, width_px - self._window_px).astype(int)
        y0 = np.clip(np.round(centres[:, 1] - half), 0, height_px - self._window_px).astype(int)
        return list(zip(x0.tolist(), y0.tolist()))

    def _update(self, seen: np.ndarray) -> None:
        """Follow the faces seen now; keep a face not seen again (a detector
        blinks on small faces) for a look or so."""
        centres = (seen[:, :2] + seen[:, 2:]) / 2
        size = self._boxes[:, 2:] - self._boxes[:, :2]
        # seen again: a face seen now within a face's size of where it was
        near = ((centres[None, :, :] >= (self._boxes[:, :2] - size)[:, None, :])
                & (centres[None, :, :] <= (self._boxes[:, 2:] + size)[:, None, :])).all(axis=2)
        unseen = ~near.any(axis=1) & (self._misses < _MISSES_ALLOWED)
        boxes = np.concatenate([seen, self._boxes[unseen]])[:_MAX_FACES]
        misses = np.concatenate([np.zeros(len(seen), np.int64), self._misses[unseen] + 1])[:_MAX_FACES]
        self._boxes, self._misses = boxes, misses
