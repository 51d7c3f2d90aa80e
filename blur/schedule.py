"""Which frames of a video are searched for faces, and how closely.

A full-resolution search is the expensive step (0.1-0.3 s for a 1080p
frame on two cores). A face big enough to matter at a third of the size is
found there for a tenth of the cost, so most searches are light: on the frame
scaled down. A full search comes on the first frame of every shot and at least
every ``full_every_seconds``, for the small faces (which the light searches
between follow with close looks: ``blur.closeups``); tracking carries faces
between searches. (The last frame of every shot is searched in full too, once
the next frame shows it was the last: ``blur.looking.Looker``.) A small video (600 px or less on its shorter side, by
default) gains nothing from light searches, and is searched in full every
time. A frame that has not changed since the last search (a static camera with
nobody moving) is not searched again until the next full search, or, where
every search is full, until half that interval has passed: tracking must pad
over the longest a face can go unsearched, and there that is only a still
stretch (half a second by default, against a second where small faces are
left to the full searches).
"""

from __future__ import annotations

from enum import Enum
from fractions import Fraction

from blur.settings import DetectSettings

# Light searches only where the light size is under this share of the short side.
_LIGHT_SHARE = 0.6


class Search(Enum):
    FULL = "full"
    LIGHT = "light"
    NONE = "none"


class SearchSchedule:
    """Fed each frame in order; says how it should be searched."""

    def __init__(self, settings: DetectSettings, frame_rate: Fraction, short_side_px: int) -> None:
        self._every = settings.every_frames
        self._full_interval = max(1, round(settings.full_every_seconds * frame_rate))
        # Light searches (with the close looks they need) cost as much as full
        # ones on a frame under about 1.7 times their size: every search is full
        # there (576p: 14.7 s against 15.0 s; 720p: 15.0 s against 9.2 s).
        self._light = 0 < settings.light_size_for(short_side_px) < _LIGHT_SHARE * short_side_px
        # With light searches, a small face is seen only by the full ones, so
        # it can go unsearched for a full interval whatever the stillness.
        # Without them, only a still picture would go unsearched that long: it
        # is searched again (on the rhythm) after half the interval, so tracks
        # need only half the padding.
        if self._light:
            self._still_interval = self._longest_unsearched = self._full_interval
        else:
            self._still_interval = max(self._every, self._full_interval // 2 // self._every * self._every)
            self._longest_unsearched = self._still_interval + self._every - 1
        self._last_full: int | None = None
        self._last_search = 0
        self._shot_start = 0

    @property
    def has_light_searches(self) -> bool:
        return self._light

    @property
    def longest_unsearched_frames(self) -> int:
        """The most frames a face can go without a search that could find
        it: what tracking must bridge and padding must cover."""
        return self._longest_unsearched

    def search(self, frame_index: int, shot_starts: bool, still: bool) -> Search:
        if shot_starts:
            self._shot_start = frame_index
        if shot_starts or self._last_full is None or frame_index - self._last_full >= self._full_interval:
            self._last_full = self._last_search = frame_index
            return Search.FULL
        if (frame_index - self._shot_start) % self._every:
            return Search.NONE
        if still and frame_index - self._last_search < self._still_interval:
            return Search.NONE
        self._last_search = frame_index
        return Search.LIGHT if self._light else Search.FULL
