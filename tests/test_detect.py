"""Detection engines and the tiling they use, on real faces."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from skimage import data

from blur.detect import build_detector
from blur.detect.tiling import box_iou_matrix, merge_overlapping, tile_grid
from blur.errors import SettingsError
from blur.regions import FaceRegions
from blur.settings import DetectSettings
from tests.conftest import WIDER


@pytest.mark.parametrize("width, height, side", [(1920, 1080, 384), (641, 359, 384), (200, 100, 384), (768, 768, 768)])
def test_tiles_cover_every_pixel_and_overlap(width, height, side):
    covered = np.zeros((height, width), bool)
    tiles = tile_grid(width, height, side, overlap=0.25)
    for tile in tiles:
        covered[tile.y0 : tile.y0 + side, tile.x0 : tile.x0 + side] = True
    assert covered.all()
    xs = sorted({t.x0 for t in tiles})
    assert all(b - a <= side * 0.75 + 1 for a, b in zip(xs, xs[1:]))


def test_merge_keeps_distinct_faces_and_drops_duplicates():
    regions = FaceRegions.build([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], [0.5, 0.9, 0.4])
    merged = merge_overlapping(regions)
    assert len(merged) == 2
    assert 0.9 in merged.score and 0.4 in merged.score
    assert merge_overlapping(FaceRegions.empty()).xyxy.shape == (0, 4)
    assert box_iou_matrix(regions.xyxy, regions.xyxy)[0, 2] == 0


@pytest.mark.parametrize("engine, threshold", [("blazeface", 0.3), ("centerface", 0.12)])
def test_engine_finds_the_astronaut(engine, threshold):
    image = np.ascontiguousarray(data.astronaut())
    settings = DetectSettings(detector=engine, threshold=threshold)
    detector = build_detector(settings)
    try:
        found = detector.detect(image)
        blank = detector.detect(np.zeros((300, 400, 3), np.uint8))
    finally:
        detector.close()
    best = found.xyxy[np.argmax(found.score)]
    centre = (best[:2] + best[2:]) / 2
    assert 190 < centre[0] < 260 and 90 < centre[1] < 160, best
    assert len(blank.take(blank.score >= settings.threshold)) == 0


def test_unknown_detector_lists_the_known_ones():
    with pytest.raises(SettingsError, match="blazeface"):
        build_detector(DetectSettings(detector="magic"))


CROWD_PHOTO = "images/2--Demonstration/2_Demonstration_Political_Rally_2_335.jpg"


def _centerface(image: np.ndarray, precision: str) -> FaceRegions:
    detector = build_detector(DetectSettings(detector="centerface", precision=precision))
    try:
        return detector.detect(image)
    finally:
        detector.close()


def _faces_hit(found: FaceRegions, truth: list[list[int]]) -> int:
    """How many annotated (x, y, w, h) faces have a found box centre inside."""
    centres = (found.xyxy[:, :2] + found.xyxy[:, 2:]) / 2
    return sum(bool(np.any((centres[:, 0] >= x) & (centres[:, 0] <= x + w) & (centres[:, 1] >= y)
                           & (centres[:, 1] <= y + h))) for x, y, w, h in truth)


def test_centerface_exact_is_the_published_network_as_opencv_runs_it(wider_boxes):
    """The runtime and its in-network preprocessing (uint8 RGB, NHWC) change
    nothing: float32 OpenVINO finds the boxes OpenCV's DNN module finds."""
    import cv2

    from blur import models

    image = np.asarray(Image.open(WIDER / CROWD_PHOTO).convert("RGB"))
    found = _centerface(image, "exact")
    height, width = image.shape[:2]
    net = cv2.dnn.readNetFromONNX(str(models.ensure("centerface")))
    size = (-(-width // 32) * 32, -(-height // 32) * 32)
    net.setInput(cv2.dnn.blobFromImage(image, 1.0, size, (0, 0, 0), swapRB=False, crop=False))
    heatmap = net.forward("537")[0, 0]
    assert len(found) > 50
    strong = found.take(found.score >= 0.3)
    rows = np.clip(((strong.xyxy[:, 1] + strong.xyxy[:, 3]) / 2 * size[1] / height / 4).astype(int), 0, None)
    cols = np.clip(((strong.xyxy[:, 0] + strong.xyxy[:, 2]) / 2 * size[0] / width / 4).astype(int), 0, None)
    # each strong box's score is OpenCV's heatmap value at its centre cell
    assert np.allclose(strong.score, heatmap[rows, cols], atol=1e-4)
    assert int((heatmap > 0.3).sum()) >= len(strong)


def test_centerface_fast_runs_its_convolutions_in_8_bits():
    from blur.detect.centerface import _compile

    compiled, record = _compile("fast")
    layers = [op.get_rt_info() for op in compiled.get_runtime_model().get_ops()]
    convolutions = [str(info["runtimePrecision"].astype(str)) for info in layers
                    if info["layerType"].astype(str) in ("Convolution", "Deconvolution")]
    assert len(convolutions) > 50 and set(convolutions) <= {"u8", "i8"}
    assert record["name"] == "centerface-int8" and len(record["sha256"]) == 64


def test_centerface_fast_finds_the_faces_exact_finds(wider_boxes):
    """8-bit integers move confidences a little (by 0.02 on average on this
    crowd photo), and box sides by a few px, not which faces are found. Where
    neighbouring heatmap cells score nearly the same, the other one can win,
    which shifts a box by one cell (4 px)."""
    image = np.asarray(Image.open(WIDER / CROWD_PHOTO).convert("RGB"))
    truth = [box for box in wider_boxes[CROWD_PHOTO] if box[3] >= 20]
    exact, fast = _centerface(image, "exact"), _centerface(image, "fast")
    for found in (exact, fast):
        assert _faces_hit(found.take(found.score >= 0.12), truth) >= 0.95 * len(truth)
    kept = exact.take(exact.score >= 0.2)
    best_overlap = box_iou_matrix(kept.xyxy, fast.xyxy).max(axis=1)
    assert np.all(best_overlap >= 0.5), best_overlap.min()
    assert np.median(best_overlap) >= 0.95 and np.mean(best_overlap >= 0.8) >= 0.9


def test_unknown_precision_lists_the_known_ones():
    with pytest.raises(SettingsError, match="fast, exact"):
        DetectSettings(precision="quick")
