"""Photos are searched a second time at twice the size, for the faces too
small for the network at their own size."""

from __future__ import annotations

import numpy as np
from PIL import Image

from blur.detect import build_detector
from blur.detect.upscaled import detect_photo
from blur.pipeline import Redactor
from blur.settings import DetectSettings, Settings
from tests.conftest import WIDER
from tests.fakes import SquareFinder
from tests.test_detect import _faces_hit

PARADE_PHOTO = "images/0--Parade/0_Parade_Parade_0_43.jpg"  # 284 annotated faces of 6-19 px


def _photo(width_px: int, height_px: int) -> np.ndarray:
    image = np.zeros((height_px, width_px, 3), np.uint8)
    image[100:108, 200:208] = 255  # 8 px: seen only enlarged
    image[300:340, 400:440] = 255  # 40 px: seen at its own size
    return image


def test_small_faces_come_from_the_enlarged_search_and_large_ones_from_the_photo():
    detector = SquareFinder()
    found = detect_photo(detector, _photo(800, 600))
    assert np.allclose(sorted(found.xyxy.tolist()), [[200, 100, 208, 108], [400, 300, 440, 340]], atol=1)
    assert detector.shapes == [(600, 800), (1200, 1600)]


def test_weak_hits_of_the_enlarged_search_are_left_out():
    found = detect_photo(SquareFinder(score=0.2), _photo(800, 600))
    assert found.xyxy.tolist() == [[400, 300, 440, 340]]


def test_a_large_photo_is_not_enlarged():
    detector = SquareFinder()
    found = detect_photo(detector, _photo(2400, 1800))
    assert found.xyxy.tolist() == [[400, 300, 440, 340]]
    assert detector.shapes == [(1800, 2400)]


def test_more_small_faces_of_a_real_crowd_photo_are_found(wider_boxes):
    image = np.asarray(Image.open(WIDER / PARADE_PHOTO).convert("RGB"))
    truth = [box for box in wider_boxes[PARADE_PHOTO] if box[3] < 20]
    detector = build_detector(DetectSettings())
    try:
        alone = detector.detect(image)
        both = detect_photo(detector, image)
    finally:
        detector.close()
    alone_hits = _faces_hit(alone.take(alone.score >= 0.12), truth)
    both_hits = _faces_hit(both.take(both.score >= 0.12), truth)
    assert both_hits >= 1.3 * alone_hits and both_hits >= 150, (alone_hits, both_hits)


def test_the_enlarged_search_can_be_turned_off(tmp_path):
    path = tmp_path / "squares.png"
    Image.fromarray(_photo(800, 600)).save(path)
    boxes = {}
    for enlarge in (True, False):
        with Redactor(Settings(detect=DetectSettings(enlarge_photos=enlarge))) as redactor:
            redactor._detector = SquareFinder()
            plan = redactor.scan(path)
            boxes[enlarge] = sorted(plan.frames[0].xyxy.tolist())
            assert plan.settings["detect"]["enlarge_photos"] is enlarge
    assert np.allclose(boxes[True], [[200, 100, 208, 108], [400, 300, 440, 340]], atol=1)
    assert boxes[False] == [[400, 300, 440, 340]]
