"""BlazeFace through MediaPipe Tasks, run on tiles at several scales.

Full range sees faces down to about a tenth of its 192 px input; short range is
better on large, close faces. Each tile is one model call of about 5 ms
whatever its size, so the cost is the number of tiles.
"""

from __future__ import annotations

import numpy as np

from blur import models
from blur.detect.tiling import Tile, merge_overlapping, tile_grid
from blur.regions import FaceRegions
from blur.settings import DetectSettings

# Tile sides in pixels for the full-range model, besides the whole frame. A
# face is found reliably when it is about a tenth of the tile or more.
TILE_SIDES_PX = (384, 768)
TILE_OVERLAP = 0.25


def _load_detector(model_name: str, threshold: float):
    from mediapipe.tasks.python import BaseOptions, vision

    from blur.detect.tflite_metadata import with_image_metadata

    raw = models.ensure(model_name).read_bytes()
    options = vision.FaceDetectorOptions(
        base_options=BaseOptions(model_asset_buffer=with_image_metadata(raw, model_name)),
        min_detection_confidence=threshold,
        min_suppression_threshold=0.3,
    )
    return vision.FaceDetector.create_from_options(options)


class TiledBlazeFace:
    """BlazeFace full range on the whole frame and on square tiles, plus short
    range on the whole frame, merged."""

    model_ids = ("blazeface-full-range", "blazeface-short-range")
    size_multiple = 1  # it scales each tile to its own input

    def __init__(self, settings: DetectSettings) -> None:
        import mediapipe

        self._mp = mediapipe
        self._full = _load_detector("blazeface-full-range", settings.floor)
        self._short = _load_detector("blazeface-short-range", settings.floor)

    def _run(self, detector, image: np.ndarray, tile: Tile) -> FaceRegions:
        crop = np.ascontiguousarray(image[tile.y0 : tile.y0 + tile.side_px, tile.x0 : tile.x0 + tile.side_px])
        result = detector.detect(self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=crop))
        if not result.detections:
            return FaceRegions.empty()
        boxes, scores = [], []
        for detection in result.detections:
            box = detection.bounding_box
            x1, y1 = tile.x0 + box.origin_x, tile.y0 + box.origin_y
            boxes.append((x1, y1, x1 + box.width, y1 + box.height))
            scores.append(detection.categories[0].score)
        return FaceRegions.build(boxes, scores)

    def model_records(self) -> list[dict[str, str]]:
        return [models.record(name) for name in self.model_ids]

    def detect(self, image: np.ndarray) -> FaceRegions:
        height_px, width_px = image.shape[:2]
        whole = Tile(0, 0, max(width_px, height_px))
        found = [self._run(self._full, image, whole), self._run(self._short, image, whole)]
        for side_px in TILE_SIDES_PX:
            if side_px * 1.5 <= max(width_px, height_px):
                found += [self._run(self._full, image, t) for t in tile_grid(width_px, height_px, side_px, TILE_OVERLAP)]
        merged = merge_overlapping(FaceRegions.concat(found))
        np.clip(merged.xyxy, 0, [width_px, height_px, width_px, height_px], out=merged.xyxy)
        return merged

    def close(self) -> None:
        self._full.close()
        self._short.close()
