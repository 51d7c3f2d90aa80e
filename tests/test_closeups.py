"""Close looks: the small faces a full search finds are followed at full
resolution between full searches, where the light search cannot see them."""

from __future__ import annotations

from fractions import Fraction

import cv2
import numpy as np

from blur.closeups import CloseLooks
from blur.looking import search_frames
from blur.media import Frame, VideoInfo
from blur.settings import DetectSettings
from tests.conftest import VIDEOS
from tests.fakes import SquareFinder

RATE = Fraction(10)


def _square(side_px: int, x: int, y: int, seed: int = 0) -> np.ndarray:
    """A white square on a dim, noisy background (which changes from frame to
    frame, so no frame is skipped as unchanged)."""
    image = np.random.default_rng(seed).integers(0, 100, (1080, 1920, 3), np.uint8)
    image[y: y + side_px, x: x + side_px] = 255
    return image


def _moving_square(side_px: int, frames: int) -> list[Frame]:
    """A square crossing a 1080p frame at 10 fps, 7 px a frame."""
    return [Frame(i, i, 1, 1 / RATE, 0, _square(side_px, 1000 + 7 * i, 500 + 3 * i, seed=i)) for i in range(frames)]


def test_a_small_face_is_followed_between_full_searches():
    # 24 px: 8 px on the light search's 640x384 frame, too small to see there
    detector = SquareFinder()
    frames = _moving_square(24, 10)
    info = VideoInfo(None, 1920, 1080, 1 / RATE, RATE, len(frames))
    found = search_frames(frames, detector, DetectSettings(), info)
    assert found.searches == "F-C-C-C-CF"  # the video's last frame ends a shot: searched in full
    for index in (2, 4, 6, 8):  # a look every 0.2 s, on the light searches
        expected = [1000 + 7 * index, 500 + 3 * index, 1024 + 7 * index, 524 + 3 * index]
        assert found.detections[index].xyxy.tolist() == [expected], index
    # one full search, then each light search and its look: one window, a mosaic of one; the last frame in full
    assert detector.shapes == [(1080, 1920)] + [(384, 640), (192, 192)] * 4 + [(1080, 1920)]


def test_a_small_face_in_a_rotated_video_is_followed_in_stored_pixels():
    detector = SquareFinder()
    frames = [Frame(f.index, f.pts, f.duration, f.time_base, 90, f.image) for f in _moving_square(24, 5)]
    info = VideoInfo(None, 1920, 1080, 1 / RATE, RATE, len(frames))
    found = search_frames(frames, detector, DetectSettings(), info)
    for index in (2, 4):
        expected = [1000 + 7 * index, 500 + 3 * index, 1024 + 7 * index, 524 + 3 * index]
        assert found.detections[index].xyxy.tolist() == [expected], index
    # the frame is searched upright (portrait)
    assert detector.shapes == [(1920, 1080)] + [(640, 384), (192, 192)] * 2 + [(1920, 1080)]


def test_a_face_the_light_search_sees_is_not_followed():
    detector = SquareFinder()
    frames = _moving_square(60, 5)  # 20 px on the light frame
    info = VideoInfo(None, 1920, 1080, 1 / RATE, RATE, len(frames))
    found = search_frames(frames, detector, DetectSettings(), info)
    assert detector.shapes == [(1080, 1920), (384, 640), (384, 640), (1080, 1920)]
    assert found.searches == "F-L-F"
    assert all(len(found.detections[i]) == 1 for i in (0, 2, 4))


def test_a_face_unseen_twice_is_let_go_until_the_next_full_search():
    detector = SquareFinder()
    looks = CloseLooks(detector, threshold=0.12, frame_rate=10, light_scale=1 / 3)
    looks.follow(detector.detect(_square(24, 1000, 500)), frame_index=0)
    assert not looks.due(1) and looks.due(2)
    empty = _square(0, 0, 0)
    assert len(looks.look(empty, 2)) == 0 and looks.due(4)  # a detector blinks: kept for one more look
    assert len(looks.look(empty, 4)) == 0 and not looks.due(6)
    # faces in windows that share the mosaic come back to their own places
    looks.follow(detector.detect(_square(20, 100, 100) | _square(30, 1700, 900)), frame_index=10)
    found = looks.look(_square(20, 110, 104) | _square(30, 1690, 905), 12)
    assert sorted(found.xyxy.tolist()) == [[110, 104, 130, 124], [1690, 905, 1720, 935]]


def test_windows_beyond_a_row_of_the_mosaic_come_back_to_their_places():
    detector = SquareFinder()
    looks = CloseLooks(detector, threshold=0.12, frame_rate=10, light_scale=1 / 3)
    corners = [(100 + 250 * k, 100 + 120 * k) for k in range(6)]

    def squares(shift_px: int) -> np.ndarray:
        image = _square(0, 0, 0)
        for x, y in corners:
            image[y + shift_px: y + shift_px + 20, x + shift_px: x + shift_px + 20] = 255
        return image

    looks.follow(detector.detect(squares(0)), frame_index=0)
    found = looks.look(squares(5), 2)
    assert detector.shapes[-1] == (384, 768)  # four windows to a row
    assert sorted(found.xyxy.tolist()) == sorted([[x + 5, y + 5, x + 25, y + 25] for x, y in corners])


def test_windows_are_larger_where_the_light_search_sees_only_larger_faces():
    # 2160p searched light at 360 px: faces under 96 px are followed, in windows of 2.5 times that (256 px)
    detector = SquareFinder()
    looks = CloseLooks(detector, threshold=0.12, frame_rate=10, light_scale=360 / 2160)
    image = np.random.default_rng(0).integers(0, 100, (2160, 3840, 3), np.uint8)
    image[2100:2160, 3780:3840] = 255  # in the corner: its window stays inside the frame
    looks.follow(detector.detect(image), frame_index=0)
    assert looks.look(image, 2).xyxy.tolist() == [[3780, 2100, 3840, 2160]]
    assert detector.shapes[-1] == (256, 256)


def _vtest_at_1080p(frames: int) -> list[Frame]:
    capture = cv2.VideoCapture(str(VIDEOS / "debian-opencv-doc_vtest.avi"))
    out = []
    for index in range(frames):
        ok, bgr = capture.read()
        assert ok
        rgb = cv2.cvtColor(cv2.resize(bgr, (1440, 1080), interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2RGB)
        out.append(Frame(index, index, 1, 1 / RATE, 0, rgb))
    return out


def test_small_faces_on_real_cctv_are_found_on_light_searches(redactor, monkeypatch):
    """vtest.avi scaled to 1440x1080 at 10 fps: its walkers' faces are 10-20 px,
    too small for the light search. What CenterFace is sure of (0.3) at full
    resolution on the light-searched frames must be among the candidates
    there, as it is not without close looks."""
    import blur.looking

    frames = _vtest_at_1080p(19)
    info = VideoInfo(None, 1440, 1080, 1 / RATE, RATE, len(frames))
    detector = redactor._detect()
    light = [2, 4, 6, 8, 12, 14, 16, 18]  # full searches at 0 and 10
    truth = [detector.detect(frames[i].image) for i in light]
    truth = [t.xyxy[t.score >= 0.3] for t in truth]

    def found_share(found) -> float:
        hits = total = 0
        for index, boxes in zip(light, truth):
            candidates = found.detections[index]
            for box in boxes:
                centre = (box[:2] + box[2:]) / 2
                total += 1
                hits += bool(((candidates.xyxy[:, :2] <= centre) & (candidates.xyxy[:, 2:] >= centre)).all(1).any())
        return hits / total

    assert sum(map(len, truth)) >= 15
    with_looks = found_share(search_frames(frames, detector, DetectSettings(), info))
    monkeypatch.setattr(blur.looking, "CloseLooks", lambda *args, **kwargs: None)
    without = found_share(search_frames(frames, detector, DetectSettings(), info))
    assert with_looks >= 0.9 and without <= 0.5, (with_looks, without)


def test_no_close_looks_when_every_search_is_full():
    detector = SquareFinder()
    frames = _moving_square(24, 5)
    info = VideoInfo(None, 1920, 1080, 1 / RATE, RATE, len(frames))
    search_frames(frames, detector, DetectSettings(light_size_px=0), info)
    assert (192, 192) not in detector.shapes


def test_a_4k_full_search_runs_in_tiles_with_a_light_search_for_the_large_faces():
    """A full search of a frame over 4 megapixels is cut into tiles of at most
    that, overlapping by twice the largest face the light search cannot see
    (2 x 48 px at 2160p, searched light at 720 px), so such a face on a seam
    lies whole in a tile. A larger face cut by a seam is seen whole by a light
    search of the same frame."""
    from blur.detect.tiling import box_iou_matrix

    image = np.zeros((2160, 3840, 3), np.uint8)
    image[1000:1060, 1950:2010] = 255  # 60 px, across the first column of tiles' right edge (1984)
    image[900:1300, 2200:2600] = 255  # 400 px, across the first row of tiles' bottom edge (1152)
    detector = SquareFinder()
    info = VideoInfo(None, 3840, 2160, 1 / RATE, RATE, 1)
    found = search_frames([Frame(0, 0, 1, 1 / RATE, 0, image)], detector, DetectSettings(), info).detections[0]
    assert detector.shapes == [(1152, 1984)] * 4 + [(736, 1280)]
    boxes = found.xyxy.tolist()
    assert [1950, 1000, 2010, 1060] in boxes
    assert box_iou_matrix(found.xyxy, np.array([[2200, 900, 2600, 1300]], np.float32)).max() > 0.9
