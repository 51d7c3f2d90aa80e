"""A long video searched in parallel segments gives the same plan as one
read straight through: frame-exact joins, tracks across the boundaries."""

from __future__ import annotations

import numpy as np

from blur.media import VideoReader
from blur.segments import split_at_keyframes
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
    straight = redactor.scan(STAGE)
    parallel = redactor.scan(STAGE, workers=2)
    assert len(parallel.frames) == len(straight.frames) == 275
    for one, other in zip(straight.frames, parallel.frames):
        assert len(one) == len(other) and np.allclose(one.xyxy, other.xyxy)
    assert parallel.searches == straight.searches
    # a track crosses the segment boundary
    with VideoReader(STAGE) as reader:
        boundary = split_at_keyframes(*reader.presentation_times(), 2)[1].first_index
    spans = {}
    for index, regions in enumerate(parallel.frames):
        for track_id in regions.track_id.tolist():
            first, last = spans.get(track_id, (index, index))
            spans[track_id] = (min(first, index), max(last, index))
    assert any(first < boundary <= last for first, last in spans.values())


def test_a_stream_without_timestamps_is_scanned_in_one_piece(redactor):
    raw = VIDEOS / "dlib_MOT20-08-raw_shorter.h264"
    assert len(redactor.scan(raw, workers=2).frames) == len(redactor.scan(raw).frames)
