"""Scan and render together: a face the detector blinks on stays covered."""

from __future__ import annotations

import json
import logging
import threading

import av
import numpy as np
import pytest

from blur import detect, pipeline
from blur.pipeline import Redactor
from blur.scenes import CutDetector, StillDetector, thumbnail
from blur.settings import DetectSettings, RedactSettings, Settings, TrackSettings
from tests import fakes
from tests.clips import decoded_frames, make_clip
from tests.conftest import VIDEOS


@pytest.fixture
def blinking(monkeypatch):
    monkeypatch.setitem(detect.DETECTORS, "blinking", "tests.fakes:BlinkingDetector")
    return DetectSettings(detector="blinking")


def _covered(before: np.ndarray, after: np.ndarray) -> bool:
    x1, y1, x2, y2 = map(int, fakes.BOX)
    inner = (slice(y1 + 15, y2 - 15), slice(x1 + 15, x2 - 15))
    return (np.abs(after[inner].astype(int) - (255, 0, 255)).sum(axis=2) < 60).mean() > 0.9


@pytest.mark.parametrize("tracking, expect_all", [(True, True), (False, False)])
def test_detector_blinks_do_not_show_the_face(blinking, tracking, expect_all, tmp_path):
    source = make_clip(tmp_path / "in.mp4", frames=12, audio=False)
    output = tmp_path / "out.mp4"
    settings = Settings(detect=blinking, track=TrackSettings(enabled=tracking),
                        redact=RedactSettings(mode="solid", color=(255, 0, 255), mask_scale=1.0, shape="box"))
    with Redactor(settings) as redactor:
        plan = redactor.scan(source)
        redactor.render(source, plan, output)
    covered = [_covered(b, a) for b, a in zip(decoded_frames(source), decoded_frames(output))]
    assert len(covered) == 12
    assert all(covered) == expect_all
    if tracking:
        assert plan.regions(3).source_names() == ["interpolated"]
        assert plan.track_count() == 1


def test_cut_detector():
    """A new shot is a cut; a small camera move or a lighting change is not."""
    import cv2
    from skimage import data

    shot_a = cv2.resize(data.astronaut(), (320, 180))
    shot_b = cv2.resize(data.coffee(), (320, 180))
    moved = np.roll(shot_a, 8, axis=1)
    darker = (shot_a * 0.8).astype(np.uint8)
    cuts = CutDetector()
    assert [cuts.is_cut(thumbnail(f)) for f in (shot_a, moved, darker, shot_b, shot_b)] == [
        False, False, False, True, False]


def test_a_camera_flash_starts_one_shot_not_two():
    """The flash frame starts a shot (the faces after it are padded back over
    it); the picture coming back is not another cut, which would leave the
    flash frame a shot of its own that no track reaches."""
    from skimage import data

    scene = data.astronaut()[::2, ::2]
    flash = np.clip(scene.astype(int) + 120, 0, 255).astype(np.uint8)
    cuts = CutDetector()
    frames = [scene] * 6 + [flash] + [scene] * 6
    assert [index for index, f in enumerate(frames) if cuts.is_cut(thumbnail(f))] == [6]


@pytest.mark.parametrize(("name", "cuts"), [
    # a stage: cuts between the performer and the audience, both dark, and hand-held moves within
    ("face_recognition_short_hamilton_clip.mp4", [20, 82, 211]),
    # a camera on a moving car: fast, steady change and no cut
    ("dlib_MOT17-13-SDP-raw.h265", []),
])
def test_cut_detector_on_real_footage(name, cuts):
    from blur.media import VideoReader

    detector = CutDetector()
    with VideoReader(VIDEOS / name) as reader:
        assert [f.index for f in reader.frames(planar=True) if detector.is_cut(thumbnail(f.luma_or_rgb()))] == cuts


def test_still_detector_sees_a_small_face_move():
    """A static camera's frame is still until anything face-sized changes."""
    rng = np.random.default_rng(1)
    scene = cv2_blur(rng.integers(0, 256, (1080, 1920, 3), np.uint8))
    noisy = np.clip(scene + rng.normal(0, 2, scene.shape), 0, 255).astype(np.uint8)
    walker = scene.copy()
    walker[500:512, 900:910] += 60  # a 10 px face, a little brighter than the wall, appears
    still = StillDetector()
    assert not still.is_still(thumbnail(scene))  # nothing searched yet
    still.searched(thumbnail(scene))
    assert still.is_still(thumbnail(scene))
    assert still.is_still(thumbnail(noisy))
    assert not still.is_still(thumbnail(walker))


def cv2_blur(image):
    import cv2

    return cv2.GaussianBlur(image, (0, 0), 3)


def test_detecting_every_nth_frame_still_covers_every_frame(blinking, tmp_path):
    source = make_clip(tmp_path / "in.mp4", frames=12, audio=False)
    output = tmp_path / "out.mp4"
    settings = Settings(detect=DetectSettings(detector="blinking", every_frames=4),
                        redact=RedactSettings(mode="solid", color=(255, 0, 255), mask_scale=1.0, shape="box"))
    with Redactor(settings) as redactor:
        plan = redactor.scan(source)
        assert redactor._detector.calls == 4  # frames 0, 4 and 8, and 11: the last frame ends the shot
        redactor.render(source, plan, output)
    assert all(_covered(b, a) for b, a in zip(decoded_frames(source), decoded_frames(output)))
    assert plan.regions(2).source_names() == ["interpolated"]


def _audio_packets(path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(packet) for packet in container.demux(audio=0) if packet.size]


@pytest.mark.parametrize("share", [True, False], ids=["frames-held", "decoded-twice"])
def test_one_pass_redact_is_scan_then_render(share, monkeypatch, caplog, tmp_path, redactor):
    """redact searches a few seconds ahead of the render, on its own thread,
    and the render follows as each frame's regions become final, with the
    frames the search decoded (or, where holding them would take too much
    memory, decoding the video again). Its output is what a separate scan and
    render make: the same regions, the same pixels, the same sound."""
    monkeypatch.setattr(pipeline, "SHARED_FRAMES_BYTES", 1 << 40 if share else 0)
    source = VIDEOS / "face_recognition_short_hamilton_clip.mp4"
    with caplog.at_level(logging.INFO, logger="blur.pipeline"):
        one_pass = redactor.redact(source, tmp_path / "one.mp4")
    assert ("one decode" if share else "decoded twice") in caplog.text
    plan = redactor.scan(source)
    two_pass = redactor.render(source, plan, tmp_path / "two.mp4")
    assert plan.region_count() > 100
    assert (one_pass.frames, one_pass.regions, one_pass.tracks) == (275, plan.region_count(), plan.track_count())
    record, separate = json.loads(one_pass.record.read_text()), json.loads(two_pass.record.read_text())
    assert record["redacted"] == separate["redacted"]
    pairs = list(zip(decoded_frames(one_pass.output), decoded_frames(two_pass.output), strict=True))
    assert len(pairs) == 275
    assert all(np.array_equal(a, b) for a, b in pairs)
    audio = _audio_packets(one_pass.output)
    assert len(audio) > 100
    assert audio == _audio_packets(two_pass.output) == _audio_packets(source)


class _FailingDetector(fakes.BlinkingDetector):
    def detect(self, image: np.ndarray):
        if self.calls == 8:
            raise RuntimeError("the network fell over")
        return super().detect(image)


@pytest.mark.parametrize("share", [True, False], ids=["frames-held", "decoded-twice"])
def test_a_search_error_mid_video_reaches_the_caller_and_leaves_nothing(share, monkeypatch, tmp_path):
    monkeypatch.setattr(pipeline, "SHARED_FRAMES_BYTES", 1 << 40 if share else 0)
    monkeypatch.setitem(detect.DETECTORS, "failing", "tests.test_pipeline:_FailingDetector")
    source = make_clip(tmp_path / "in.mp4", frames=120, audio=False)
    threads_before = threading.active_count()
    with Redactor(Settings(detect=DetectSettings(detector="failing", light_size_px=0))) as redactor:
        with pytest.raises(RuntimeError, match="fell over"):
            redactor.redact(source, tmp_path / "out.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]
    assert threading.active_count() == threads_before, [t.name for t in threading.enumerate()]
