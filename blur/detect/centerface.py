"""CenterFace (ONNX, MIT licence) on OpenVINO's CPU runtime, at full resolution.

An anchor-free detector that reads faces off a heatmap at a quarter of the
input resolution, so it sees small faces in crowds that BlazeFace misses. It
costs far more per frame than BlazeFace: in float32 about 0.04 CPU-s at
640x384 and 0.35 at 1080p here, in 8-bit integers (``blur.detect.quantize``,
the default) 0.016 and 0.13.

The model is compiled once for any input size. OpenVINO was chosen over
OpenCV's DNN module for speed: the same arithmetic in float32 took 0.22 s
against OpenCV's 0.27 s for a 1080p frame on two cores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from blur import models
from blur.detect.tiling import merge_overlapping
from blur.regions import FaceRegions
from blur.settings import DetectSettings

_STRIDE_PX = 4  # the heatmap's cell size in input pixels
_SIZE_MULTIPLE = 32  # the network's input sides must be multiples of this
_OUTPUTS = ("537", "538", "539")  # heatmap, log box size, centre offset (landmarks unused)


def read_float_model(core, path: Path):
    """The published network, reading RGB uint8 images (NHWC) of any size."""
    from openvino import Layout, Type
    from openvino.preprocess import PrePostProcessor

    model = core.read_model(str(path))
    model.reshape([1, 3, -1, -1])
    steps = PrePostProcessor(model)
    steps.input().tensor().set_element_type(Type.u8).set_layout(Layout("NHWC"))
    steps.input().model().set_layout(Layout("NCHW"))
    return steps.build()


def _compile(precision: str):
    """The network for RGB uint8 images of any size (multiples of 32), on as
    many threads as OpenCV may use, so a worker process given a share of the
    cores keeps to it. "fast": the 8-bit model; "exact": the published float32
    one, the same on every machine."""
    import cv2
    import openvino as ov

    from blur.detect import quantize

    core = ov.Core()
    if precision == "fast":
        path = quantize.int8_model()
        model, record = core.read_model(str(path)), quantize.record(path)
    else:
        model, record = read_float_model(core, models.ensure("centerface")), models.record("centerface")
    return core.compile_model(model, "CPU", {
        "INFERENCE_NUM_THREADS": max(1, cv2.getNumThreads()),
        "PERFORMANCE_HINT": "LATENCY",
        "INFERENCE_PRECISION_HINT": "f32",
    }), record


class CenterFace:
    """CenterFace on the whole frame, at its own resolution (stretched up to a
    multiple of 32 px)."""

    size_multiple = _SIZE_MULTIPLE

    def __init__(self, settings: DetectSettings) -> None:
        import cv2

        self._cv2 = cv2
        self._threshold = settings.floor
        compiled, self._record = _compile(settings.precision)
        self._outputs = [compiled.output(name) for name in _OUTPUTS]
        self._request = compiled.create_infer_request()

    def model_records(self) -> list[dict[str, str]]:
        return [self._record]

    def detect(self, image: np.ndarray) -> FaceRegions:
        height_px, width_px = image.shape[:2]
        input_w = -(-width_px // _SIZE_MULTIPLE) * _SIZE_MULTIPLE
        input_h = -(-height_px // _SIZE_MULTIPLE) * _SIZE_MULTIPLE
        if (input_w, input_h) != (width_px, height_px):
            image = self._cv2.resize(image, (input_w, input_h), interpolation=self._cv2.INTER_LINEAR)
        results = self._request.infer([np.ascontiguousarray(image)[np.newaxis]])
        heatmap, scale, offset = (results[output] for output in self._outputs)
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
        self._request = None
        self._outputs = []
