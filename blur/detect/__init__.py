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
    """Finds faces in one RGB frame, (H, W, 3) uint8. Boxes in frame pixels.

    size_multiple: the network reads images whose sides are multiples of
        this, and stretches others to fit; an image scaled down for it is best
        scaled straight to such a size, in one resampling.
    """

    size_multiple: int

    def model_records(self) -> list[dict[str, str]]:
        """Name, SHA-256 and source of each model file it runs, for the record."""

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


def scaled_size(width_px: int, height_px: int, short_side_px: int, multiple: int = 1) -> tuple[int, int]:
    """A frame size scaled so its shorter side is ``short_side_px``, each side
    then rounded up to a multiple of ``multiple``."""
    scale = short_side_px / min(width_px, height_px)
    return (max(1, -(-round(width_px * scale) // multiple)) * multiple,
            max(1, -(-round(height_px * scale) // multiple)) * multiple)


def detect_scaled(detector: FaceDetector, small: np.ndarray, full_size: tuple[int, int]) -> FaceRegions:
    """Search a scaled copy of a frame (see ``scaled_size``); boxes come back
    in the pixels of the frame at ``full_size`` (width, height). Scaled down,
    faster by the square of the scale and blind to faces that become too small
    to see; scaled up, the other way round."""
    return in_full_size(detector.detect(small), small, full_size)


def in_full_size(found: FaceRegions, small: np.ndarray, full_size: tuple[int, int]) -> FaceRegions:
    """Boxes found in a scaled copy of a frame, moved (in place) to the
    pixels of the frame at ``full_size`` (width, height)."""
    small_h, small_w = small.shape[:2]
    found.xyxy[:] *= np.array([full_size[0] / small_w, full_size[1] / small_h] * 2, np.float32)
    return found
