"""Stand-in detectors for tests: a fixed face box that it misses on chosen
calls, as a real detector blinks when a head turns; white squares."""

from __future__ import annotations

import cv2
import numpy as np

from blur import models
from blur.regions import FaceRegions
from blur.settings import DetectSettings

BOX = (100.0, 60.0, 160.0, 130.0)
MISSED_CALLS = {3, 4, 9}


class SquareFinder:
    """Finds the white squares of at least 12 px in whatever image it is
    handed (each with the score given), as a detector misses faces too small
    for it to see; records the shape of each image."""

    size_multiple = 32

    def model_records(self) -> list[dict[str, str]]:
        return [models.record("centerface")]

    def __init__(self, score: float = 0.9) -> None:
        self.score = score
        self.shapes: list[tuple[int, int]] = []

    def detect(self, image: np.ndarray) -> FaceRegions:
        self.shapes.append(image.shape[:2])
        count, _, stats, _ = cv2.connectedComponentsWithStats((image[..., 0] > 200).astype(np.uint8))
        boxes = [[x, y, x + w, y + h] for x, y, w, h, _ in stats[1:count].tolist() if min(w, h) >= 12]
        return FaceRegions.build(boxes, [self.score] * len(boxes))

    def close(self) -> None:
        pass


class BlinkingDetector:
    size_multiple = 1

    def model_records(self) -> list[dict[str, str]]:
        return [models.record("centerface")]

    def __init__(self, settings: DetectSettings) -> None:
        self.calls = 0

    def detect(self, image: np.ndarray) -> FaceRegions:
        call, self.calls = self.calls, self.calls + 1
        if call in MISSED_CALLS:
            return FaceRegions.empty()
        return FaceRegions.build([BOX], [0.9])

    def close(self) -> None:
        pass


def redact_or_die(source: str, output: str, settings_data: dict, disclosure_data: dict):
    """``blur.batch.redact_one``, except that the worker process is killed
    outright (as the kernel kills one that runs out of memory, or a crash in
    native code ends it) on a file whose name starts with "dies"."""
    import os
    import signal
    from pathlib import Path

    from blur.batch import redact_one

    if Path(source).name.startswith("dies"):
        os.kill(os.getpid(), signal.SIGKILL)
    return redact_one(source, output, settings_data, disclosure_data)


def square_finder(settings: DetectSettings) -> SquareFinder:
    """A SquareFinder, built as blur builds a detector from its settings."""
    return SquareFinder()
