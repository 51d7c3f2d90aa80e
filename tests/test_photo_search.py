"""Photos are searched at twice their size, for the faces too small for the
network at their own size, and shrunk, for the faces too large for it."""

from __future__ import annotations

import numpy as np
from PIL import Image

from blur.detect import build_detector
from blur.detect.photo_search import detect_photo
from blur.pipeline import Redactor
from blur.settings import DetectSettings, RedactSettings, Settings
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
    assert max(shape[0] for shape in detector.shapes) == 1800


def test_large_faces_also_come_from_the_photo_shrunk():
    """Shrunk 4 times (to a size the network takes), a 400 px square is 100 px
    and taken; the 40 px one is 10 px there, and comes from the photo alone."""
    image = _photo(2000, 1600)
    image[600:1000, 1200:1600] = 255
    detector = SquareFinder()
    found = detect_photo(detector, image, enlarge=False)
    assert detector.shapes == [(1600, 2000), (416, 512)]
    boxes = sorted(found.xyxy.tolist())
    assert len(boxes) == 3 and boxes[0] == [400, 300, 440, 340]
    assert np.allclose(boxes[1:], [[1200, 600, 1600, 1000]] * 2, atol=4)


def test_a_large_photo_is_searched_in_tiles_and_a_face_on_their_seam_found_once():
    """A 6-megapixel photo is searched as two tiles of at most 4 megapixels
    that overlap by 136 px; a face in the overlap is found whole in both, and
    kept once."""
    image = np.zeros((2000, 3000, 3), np.uint8)
    image[500:560, 1480:1540] = 255
    detector = SquareFinder()
    found = detect_photo(detector, image, enlarge=False)
    assert detector.shapes[:2] == [(2000, 1568), (2000, 1568)]
    assert all(height * width <= 4_000_000 for height, width in detector.shapes)
    assert found.xyxy.tolist() == [[1480, 500, 1540, 560]]


def test_a_long_panorama_is_tiled_so_that_any_face_lies_whole_in_a_tile():
    """A 7000x600 panorama has no shrunk search (its shorter side is within
    reach): its tiles overlap by its whole height, so a 300 px face on a seam
    is found whole."""
    image = np.zeros((600, 7000, 3), np.uint8)
    image[150:450, 1700:2000] = 255
    detector = SquareFinder()
    found = detect_photo(detector, image, enlarge=False)
    assert [1700, 150, 2000, 450] in found.xyxy.tolist()


def test_a_face_too_large_for_the_network_is_found_whole():
    """A close-up face of about 1,300 px filling a 3-megapixel photo (a
    portrait, a selfie): at its own size the network finds it only in pieces,
    and their redaction leaves part of it; shrunk, it is found whole."""
    import cv2
    from skimage import data

    from blur.redact import redact_frame

    zoom = 12  # the astronaut's face is about 110x120 px of the 512 px photo
    large = cv2.resize(data.astronaut(), (512 * zoom, 512 * zoom), interpolation=cv2.INTER_CUBIC)
    x0, y0 = 225 * zoom - 1000, 120 * zoom - 750
    image = np.ascontiguousarray(large[y0: y0 + 1500, x0: x0 + 2000])
    x1, y1, x2, y2 = np.clip(np.array([170, 60, 280, 180]) * zoom - [x0, y0, x0, y0], 0, [2000, 1500, 2000, 1500])
    detector = build_detector(DetectSettings())
    try:
        searches = {"alone": detector.detect(image), "shrunk too": detect_photo(detector, image, enlarge=False)}
    finally:
        detector.close()
    solid = RedactSettings(mode="solid", color=(255, 255, 255))
    covered, best_box = {}, {}
    for name, found in searches.items():
        found = found.take(found.score >= 0.12)
        mask = redact_frame(np.zeros_like(image), found, solid)[..., 0] > 0
        covered[name] = float(mask[y1:y2, x1:x2].mean())
        inside = np.clip(np.minimum(found.xyxy[:, 2:], [x2, y2]) - np.maximum(found.xyxy[:, :2], [x1, y1]), 0, None)
        best_box[name] = float(inside.prod(axis=1).max(initial=0) / ((x2 - x1) * (y2 - y1)))
    assert covered["alone"] < 0.95 and covered["shrunk too"] > 0.99, covered
    # one box over half the face (8-bit CenterFace draws it about 15% narrower than float32 does: 0.53 of the
    # face's area against 0.62), where at its own size the biggest piece is a tenth
    assert best_box["alone"] < 0.3 and best_box["shrunk too"] > 0.5, best_box


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
