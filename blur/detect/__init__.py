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
