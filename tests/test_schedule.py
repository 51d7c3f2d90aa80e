"""Which frames are searched, and how closely."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from blur.looking import search_frames
from blur.media import Frame, VideoInfo
from blur.regions import FaceRegions
from blur.schedule import Search, SearchSchedule
from blur.settings import DetectSettings

F, L, N = Search.FULL, Search.LIGHT, Search.NONE


def _run(settings: DetectSettings, short_side_px: int, frames: int, cuts=(), still=()) -> list[Search]:
    schedule = SearchSchedule(settings, Fraction(10), short_side_px)
    return [schedule.search(index, index in cuts, index in still) for index in range(frames)]


@pytest.mark.parametrize(("settings", "short_side_px", "cuts", "still", "expected"), [
    # full once a second (10 frames), light on every 2nd frame between
    (DetectSettings(every_frames=2, full_every_seconds=1.0), 1080, (), (),
     [F, N, L, N, L, N, L, N, L, N, F, N, L]),
    # a cut starts a shot: a full search there, and the light rhythm restarts
    (DetectSettings(every_frames=2, full_every_seconds=1.0), 1080, (5,), (),
     [F, N, L, N, L, F, N, L, N, L, N, L, N, L, N, F]),
    # unchanged frames are not searched, but full searches still come
    (DetectSettings(every_frames=1, full_every_seconds=1.0), 1080, (), set(range(1, 20)),
     [F, N, N, N, N, N, N, N, N, N, F, N]),
    # where every search is full, unchanged frames are searched again after half the full interval
    (DetectSettings(every_frames=1, full_every_seconds=1.0), 480, (), set(range(1, 20)),
     [F, N, N, N, N, F, N, N, N, N, F, N, N, N, N, F]),
    (DetectSettings(every_frames=2, full_every_seconds=1.0), 480, (), set(range(1, 20)),
     [F, N, N, N, F, N, N, N, F, N, F, N, N, N, F]),
    # a frame barely bigger than the light size is searched in full
    (DetectSettings(every_frames=2), 400, (), (), [F, N, F, N, F]),
    # and so is 576p, where light searches and close looks cost as much as full searches; 720p is not
    (DetectSettings(every_frames=2), 576, (), (), [F, N, F, N, F]),
    (DetectSettings(every_frames=2), 720, (), (), [F, N, L, N, L]),
    # 4K searched light at its default size (720 px) too; a light size that large on 1080p is not
    (DetectSettings(every_frames=2), 2160, (), (), [F, N, L, N, L]),
    (DetectSettings(every_frames=2, light_size_px=720), 1080, (), (), [F, N, F, N, F]),
    # light searches off, every frame: the per-frame baseline
    (DetectSettings(every_frames=1, light_size_px=0), 1080, (), (), [F, F, F, F]),
])
def test_schedule(settings, short_side_px, cuts, still, expected):
    assert _run(settings, short_side_px, len(expected), cuts, still) == expected


@pytest.mark.parametrize(("light_size_px", "short_side_px", "expected"), [
    # by default a third of the shorter side, at least 360 px
    (None, 480, 360), (None, 1080, 360), (None, 1440, 480), (None, 2160, 720), (None, 4320, 1440),
    # as set, whatever the frame
    (360, 2160, 360), (0, 2160, 0),
])
def test_the_light_size_grows_with_the_frame_unless_set(light_size_px, short_side_px, expected):
    assert DetectSettings(light_size_px=light_size_px).light_size_for(short_side_px) == expected


@pytest.mark.parametrize(("rotation", "expected"), [(0, [(1080, 1920), (384, 640)]), (90, [(1920, 1080), (640, 384)])])
def test_a_light_search_scales_the_frame_straight_to_a_size_the_network_reads(rotation, expected):
    """No second resampling: on a light search the network is handed sides
    that are multiples of what it reads (32 for CenterFace; a full search
    takes the frame as it is), upright, and the boxes it finds come back in the
    stored frame's pixels."""
    class Recorder:
        size_multiple = 32

        def __init__(self):
            self.shapes = []

        def detect(self, image):
            self.shapes.append(image.shape[:2])
            height_px, width_px = image.shape[:2]  # one face a tenth of the image across, at its centre
            return FaceRegions.build([[width_px * 0.45, height_px * 0.45, width_px * 0.55, height_px * 0.55]], [0.9])

    rng = np.random.default_rng(0)
    stored = (1080, 1920, 3)
    frames = [Frame(index, index, 1, Fraction(1, 10), rotation, rng.integers(0, 256, stored, np.uint8))
              for index in range(4)]
    info = VideoInfo(None, stored[1], stored[0], Fraction(1, 10), Fraction(10), 4)
    recorder = Recorder()
    found = search_frames(frames, recorder, DetectSettings(), info)
    assert found.searches == "F-LF"  # the last frame ends a shot: searched in full
    assert recorder.shapes == expected + expected[:1]
    centre = found.detections[2].xyxy[0].reshape(2, 2).mean(axis=0)
    assert np.allclose(centre, [stored[1] / 2, stored[0] / 2], atol=2)


def _still_room_with_a_late_face(path, frames: int = 75, appears: int = 40):
    """A still 25 fps picture (a smooth wall) where a white 30 px square, the
    face for ``tests.fakes.SquareFinder``, appears at ``appears`` and stays."""
    import av

    wall = np.tile(np.linspace(40, 120, 320, dtype=np.uint8)[None, :, None], (240, 1, 3))
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25, options={"crf": "10"})
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for index in range(frames):
            image = wall.copy()
            if index >= appears:
                image[100:130, 150:180] = 255
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode(None))
    return path


def test_a_small_video_is_searched_when_still_and_padded_half_a_second(monkeypatch, tmp_path):
    """Where every search is full, a still picture is searched again after
    half the full interval (12 frames at 25 fps) rather than a whole one, so
    padding of half a second covers what goes unsearched: the face that
    appears at frame 40 is covered from 13 frames before it, not 25."""
    from blur import detect
    from blur.pipeline import Redactor
    from blur.settings import Settings

    monkeypatch.setitem(detect.DETECTORS, "squares", "tests.fakes:square_finder")
    clip = _still_room_with_a_late_face(tmp_path / "room.mp4")
    with Redactor(Settings(detect=DetectSettings(detector="squares"))) as redactor:
        plan = redactor.scan(clip)
    searched = [index for index, code in enumerate(plan.searches) if code != "-"]
    assert searched == [0, 12, 24, 25, 38, 40, 50, 62, 74]  # still: on the rhythm after 12 frames
    covered = [index for index, regions in enumerate(plan.frames) if len(regions)]
    assert covered == list(range(27, 75))


def _late_small_face_then_cut(path, frames: int = 20, appears: int = 5, cut: int = 10):
    """A 1080p 10 fps picture where a white 24 px square (a face for
    ``tests.fakes.SquareFinder``, 8 px on a light search: too small to be
    seen there) appears at ``appears``, after the full search on frame 0; a
    cut to another picture with no face at ``cut``."""
    import av

    first = np.tile(np.linspace(40, 120, 1920, dtype=np.uint8)[None, :, None], (1080, 1, 3))
    second = np.tile(np.linspace(140, 60, 1080, dtype=np.uint8)[:, None, None], (1, 1920, 3))
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10, options={"crf": "10", "preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        for index in range(frames):
            image = (first if index < cut else second).copy()
            if appears <= index < cut:
                image[500:524, 1000:1024] = 255
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode(None))
    return path


@pytest.mark.parametrize(("frames", "cut"), [(20, 10), (10, 10)])  # a cut after the face, or the video's end
def test_a_small_face_after_a_shots_last_full_search_is_found_on_its_last_frame(monkeypatch, tmp_path, frames, cut):
    """The last frame of every shot is searched in full, so a face only a
    full search can see, coming into view after the shot's last one, is
    found there and padded back to where it appeared; without that search it
    would never be redacted at all. In a scan and in a one-pass redact."""
    from blur import detect
    from blur.pipeline import Redactor
    from blur.settings import Settings
    from tests.clips import decoded_frames

    monkeypatch.setitem(detect.DETECTORS, "squares", "tests.fakes:square_finder")
    clip = _late_small_face_then_cut(tmp_path / "late.mp4", frames, cut=cut)
    with Redactor(Settings(detect=DetectSettings(detector="squares"))) as redactor:
        plan = redactor.scan(clip)
        redactor.redact(clip, tmp_path / "out.mp4")
    assert plan.searches[cut - 1] == "F" and "F" not in plan.searches[1:cut - 1]
    assert plan.cuts == ([cut] if cut < frames else [])
    covered = [index for index, regions in enumerate(plan.frames) if len(regions)]
    assert set(range(5, cut)) <= set(covered) and all(index < cut for index in covered)
    before, after = decoded_frames(clip), decoded_frames(tmp_path / "out.mp4")
    for index in (5, cut - 1):  # the face redacted where it appears and where it was found
        assert np.abs(after[index][500:524, 1000:1024].astype(int) - 255).mean() > 40, index
    assert np.abs(after[cut - 1][:, :900].astype(int) - before[cut - 1][:, :900]).max() <= 3
