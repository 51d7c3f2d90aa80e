"""A long video searched in parallel segments gives the same plan as one
read straight through: frame-exact joins, tracks across the boundaries."""

from __future__ import annotations

import av
import numpy as np
from skimage import data

from blur.media import VideoReader
from blur.segments import split_at_keyframes
from tests.clips import astronaut_frame
from tests.conftest import VIDEOS

STAGE = VIDEOS / "face_recognition_short_hamilton_clip.mp4"


def test_segments_start_on_keyframes_and_cover_every_frame():
    with VideoReader(STAGE) as reader:
        every, keys = reader.presentation_times()
    segments = split_at_keyframes(every, keys, 4)
    assert len(segments) >= 2
    assert [s.start_pts for s in segments[1:]] == [k for k in keys if k in {s.start_pts for s in segments[1:]}]
    assert sum(s.frame_count for s in segments) == len(every) == 275
    assert all(a.first_index + a.frame_count == b.first_index for a, b in zip(segments, segments[1:]))
    assert split_at_keyframes(every[:50], keys[:1], 4)[0].frame_count == 50  # too short to split


def test_parallel_scan_equals_the_straight_scan(redactor):
    """Four segments, one starting on the stage clip's last cut (a jump
    between two dark shots, found from the frames before it as well)."""
    straight = redactor.scan(STAGE)
    parallel = redactor.scan(STAGE, workers=4)
    assert len(parallel.frames) == len(straight.frames) == 275
    for one, other in zip(straight.frames, parallel.frames):
        assert len(one) == len(other) and np.allclose(one.xyxy, other.xyxy)
    assert parallel.searches == straight.searches
    with VideoReader(STAGE) as reader:
        boundaries = [s.first_index for s in split_at_keyframes(*reader.presentation_times(), 4)[1:]]
    assert boundaries == [60, 120, 211]
    assert parallel.cuts == straight.cuts == [20, 82, 211]
    # a track crosses a segment boundary within a shot
    spans = {}
    for index, regions in enumerate(parallel.frames):
        for track_id in regions.track_id.tolist():
            first, last = spans.get(track_id, (index, index))
            spans[track_id] = (min(first, index), max(last, index))
    assert any(first < 120 <= last for first, last in spans.values())


def test_a_stream_without_timestamps_is_scanned_in_one_piece(redactor):
    raw = VIDEOS / "dlib_MOT20-08-raw_shorter.h264"
    assert len(redactor.scan(raw, workers=2).frames) == len(redactor.scan(raw).frames)


def _two_shots(path, frames_each: int = 80):
    """Two shots (the astronaut, then a coffee cup) meeting on a keyframe,
    the only keyframe besides the first."""
    import cv2

    cup = cv2.resize(data.coffee(), (320, 240), interpolation=cv2.INTER_AREA)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25, options={
            "x264-params": f"keyint={frames_each}:min-keyint={frames_each}:scenecut=0"})
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for index in range(2 * frames_each):
            image = astronaut_frame(320, 240, index) if index < frames_each else cup
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode(None))
    return path


def test_a_cut_where_segments_meet_is_found(redactor, tmp_path):
    """The cut is each segment's first or last frame, so neither segment sees
    it: it is found from the thumbnails either side, as a straight scan
    finds it, and no track crosses it."""
    clip = _two_shots(tmp_path / "two_shots.mp4")
    with VideoReader(clip) as reader:
        segments = split_at_keyframes(*reader.presentation_times(), 2)
    assert [s.first_index for s in segments] == [0, 80]
    straight = redactor.scan(clip)
    parallel = redactor.scan(clip, workers=2)
    assert straight.cuts == parallel.cuts == [80]
    before = {t for regions in parallel.frames[:80] for t in regions.track_id.tolist()}
    after = {t for regions in parallel.frames[80:] for t in regions.track_id.tolist()}
    assert before and not before & after
