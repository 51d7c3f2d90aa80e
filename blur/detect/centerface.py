"""CenterFace (ONNX, MIT licence) on OpenVINO's CPU runtime, at full resolution.

An anchor-free detector that reads faces off a heatmap at a quarter of the
input resolution, so it sees small faces in crowds that BlazeFace misses. It
costs far more per frame than BlazeFace: about 0.02-0.04 s at 640x384 and
0.1-0.3 s at 1080p here, the lower figures where the CPU computes in bfloat16.

The model is compiled once for any input size. OpenVINO was chosen over
OpenCV's DNN module for speed: the same arithmetic in float32 took 0.22 s
against OpenCV's 0.27 s for a 1080p frame on two cores, and on CPUs with
bfloat16 units (AVX-512 BF16, AMX) ``precision="fast"`` runs 2-3x faster
again.
"""

from __future__ import annotations

import numpy as np

from blur import models
from blur.detect.tiling import merge_overlapping
from blur.regions import FaceRegions
from blur.settings import DetectSettings

_STRIDE_PX = 4  # the heatmap's cell size in input pixels
_SIZE_MULTIPLE = 32  # the network's input sides must be multiples of this
_OUTPUTS = ("537", "538", "539")  # heatmap, log box size, centre offset (landmarks unused)

# DetectSettings.precision -> OpenVINO's inference precision hint. "fast" lets
# OpenVINO pick bfloat16 where the CPU has it (float32 elsewhere).
_PRECISION_HINTS = {"exact": "f32", "fast": "bf16"}


def _compile(precision: str):
    """The network for RGB uint8 images of any size (multiples of 32), on as
    many threads as OpenCV may use, so a worker process given a share of the
    cores keeps to it."""
    import cv2
    import openvino as ov
    from openvino.preprocess import PrePostProcessor

    core = ov.Core()
    model = core.read_model(str(models.ensure("centerface")))
    model.reshape([1, 3, -1, -1])
    steps = PrePostProcessor(model)
    steps.input().tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC"))
    steps.input().model().set_layout(ov.Layout("NCHW"))
    model = steps.build()
    has_bf16 = "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    return core.compile_model(model, "CPU", {
        "INFERENCE_NUM_THREADS": max(1, cv2.getNumThreads()),
        "PERFORMANCE_HINT": "LATENCY",
        "INFERENCE_PRECISION_HINT": _PRECISION_HINTS[precision] if has_bf16 else "f32",
    })


class CenterFace:
    """CenterFace on the whole frame, at its own resolution (stretched up to a
    multiple of 32 px)."""

    model_ids = ("centerface",)
    size_multiple = _SIZE_MULTIPLE

    def __init__(self, settings: DetectSettings) -> None:
        import cv2

        self._cv2 = cv2
        self._threshold = settings.floor
        compiled = _compile(settings.precision)
        self._outputs = [compiled.output(name) for name in _OUTPUTS]
        self._request = compiled.create_infer_request()

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
