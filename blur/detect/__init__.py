"""Face detection engines behind one protocol, chosen by name.

This package is the only place that imports mediapipe or loads a model, and it
does so only when a detector is built.
"""

from __future__ import annotations

import importlib
from typing import Protocol

import numpy as np

from blur.errors import SettingsError
from blur.regions import FaceRegions
from blur.settings import DetectSettings


class FaceDetector(Protocol):
    """Finds faces in one RGB frame, (H, W, 3) uint8. Boxes in frame pixels."""

    model_ids: tuple[str, ...]

    def detect(self, image: np.ndarray) -> FaceRegions: ...

    def close(self) -> None: ...


# name -> "module:factory"; modules load only when their engine is built.
DETECTORS: dict[str, str] = {
    "blazeface": "blur.detect.blazeface:TiledBlazeFace",
    "centerface": "blur.detect.centerface:CenterFace",
}


def build_detector(settings: DetectSettings) -> FaceDetector:
    """The engine named in the settings, ready to use; close it when done."""
    try:
        target = DETECTORS[settings.detector]
    except KeyError:
        raise SettingsError(
            f"detector {settings.detector!r} is not one of: {', '.join(DETECTORS)}"
        ) from None
    module_name, factory_name = target.split(":")
    factory = getattr(importlib.import_module(module_name), factory_name)
    return factory(settings)


def detect_scaled(detector: FaceDetector, image: np.ndarray, short_side_px: int) -> FaceRegions:
    """Search the frame scaled down so its shorter side is ``short_side_px``;
    boxes come back in the frame's own pixels. Faster by the square of the
    scale, and blind to faces that become too small to see at that size."""
    import cv2

    frame_h, frame_w = image.shape[:2]
    scale = short_side_px / min(frame_h, frame_w)
    small_w, small_h = max(1, round(frame_w * scale)), max(1, round(frame_h * scale))
    small = cv2.resize(image, (small_w, small_h), interpolation=cv2.INTER_AREA)
    found = detector.detect(small)
    found.xyxy[:] *= np.array([frame_w / small_w, frame_h / small_h] * 2, np.float32)
    return found
