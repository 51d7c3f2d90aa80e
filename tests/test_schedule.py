"""Which frames are searched, and how closely."""

from __future__ import annotations

from fractions import Fraction

import pytest

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
    # a frame barely bigger than the light size is searched in full
    (DetectSettings(every_frames=2), 400, (), (), [F, N, F, N, F]),
    # light searches off, every frame: the per-frame baseline
    (DetectSettings(every_frames=1, light_size_px=0), 1080, (), (), [F, F, F, F]),
])
def test_schedule(settings, short_side_px, cuts, still, expected):
    assert _run(settings, short_side_px, len(expected), cuts, still) == expected
