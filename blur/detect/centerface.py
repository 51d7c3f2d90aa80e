"""CenterFace (ONNX, MIT licence) on OpenCV's DNN module, at full resolution.

An anchor-free detector that reads faces off a heatmap at a quarter of the
input resolution, so it sees small faces in crowds that BlazeFace misses. It
costs far more per frame: about 0.07 s at 640x352, 0.6 s at 1080p here.
"""

from __future__ import annotations

import numpy as np

from blur import models
from blur.detect.tiling import merge_overlapping
from blur.regions import FaceRegions
from blur.settings import DetectSettings

_STRIDE_PX = 4  # the heatmap's cell size in input pixels
_SIZE_MULTIPLE = 32  # the network's input sides must be multiples of this


class CenterFace:
    """CenterFace on the whole frame, at its own resolution (rounded up to a
    multiple of 32 px)."""

    model_ids = ("centerface",)
    size_multiple = _SIZE_MULTIPLE

    def __init__(self, settings: DetectSettings) -> None:
        import cv2

        self._cv2 = cv2
        self._threshold = settings.floor
        self._net = cv2.dnn.readNetFromONNX(str(models.ensure("centerface")))

    def detect(self, image: np.ndarray) -> FaceRegions:
        height_px, width_px = image.shape[:2]
        input_w = -(-width_px // _SIZE_MULTIPLE) * _SIZE_MULTIPLE
        input_h = -(-height_px // _SIZE_MULTIPLE) * _SIZE_MULTIPLE
        blob = self._cv2.dnn.blobFromImage(image, 1.0, (input_w, input_h), (0, 0, 0), swapRB=False, crop=False)
        self._net.setInput(blob)
        heatmap, scale, offset, _landmarks = self._net.forward(["537", "538", "539", "540"])
        regions = self._decode(heatmap[0, 0], scale[0], offset[0])
        if not len(regions):
            return regions
        regions.xyxy[:] *= np.array([width_px / input_w, height_px / input_h] * 2, np.float32)
        np.clip(regions.xyxy, 0, [width_px, height_px, width_px, height_px], out=regions.xyxy)
        return merge_overlapping(regions, iou_threshold=0.3)

    def _decode(self, heatmap: np.ndarray, scale: np.ndarray, offset: np.ndarray) -> FaceRegions:
        rows, cols = np.nonzero(heatmap > self._threshold)
        if rows.size == 0:
            return FaceRegions.empty()
        box_h = np.exp(scale[0, rows, cols]) * _STRIDE_PX
        box_w = np.exp(scale[1, rows, cols]) * _STRIDE_PX
        centre_y = (rows + offset[0, rows, cols] + 0.5) * _STRIDE_PX
        centre_x = (cols + offset[1, rows, cols] + 0.5) * _STRIDE_PX
        x1 = centre_x - box_w / 2
        y1 = centre_y - box_h / 2
        boxes = np.stack([x1, y1, x1 + box_w, y1 + box_h], axis=1)
        return FaceRegions.build(boxes, heatmap[rows, cols])

    def close(self) -> None:
        self._net = None
