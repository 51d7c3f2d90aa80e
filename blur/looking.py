"""Searching a video's frames for faces, as the schedule says: the scan
pass's inner loop, shared by the serial scan and the parallel segments."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Iterator

from blur.detect import FaceDetector, detect_scaled, scaled_size
from blur.media import Frame, VideoInfo
from blur.orientation import quarter_turns, to_stored, upright
from blur.regions import FaceRegions
from blur.scenes import CutDetector, StillDetector, thumbnail
from blur.schedule import Search, SearchSchedule
from blur.settings import DetectSettings


@dataclass
class Found:
    """Per frame: candidates (stored pixels, before tracking); frames where a
    shot starts; how each frame was searched (F full, L light, - not)."""

    detections: list[FaceRegions]
    cuts: list[int]
    searches: str


_SEARCH_CODES = {Search.FULL: "F", Search.LIGHT: "L", Search.NONE: "-"}


class _Looker:
    """Searches each frame of a video as its schedule says, upright."""

    def __init__(self, detector: FaceDetector, settings: DetectSettings, frame_rate: Fraction, short_side_px: int) -> None:
        self._detector = detector
        self._light_size_px = settings.light_size_px
        self._schedule = SearchSchedule(settings, frame_rate, short_side_px)
        self._cuts = CutDetector()
        self._still = StillDetector()

    def look(self, frame: Frame) -> tuple[FaceRegions, bool, Search]:
        """What was found (in upright pixels), whether a shot starts here, and
        how the frame was searched."""
        thumb = thumbnail(frame.luma_or_rgb())
        is_cut = self._cuts.is_cut(thumb)
        search = self._schedule.search(frame.index, is_cut, self._still.is_still(thumb))
        if search is Search.NONE:
            return FaceRegions.empty(), is_cut, search
        self._still.searched(thumb)
        if search is Search.LIGHT:
            stored_w, stored_h = frame.size
            # Scaled straight to a size the network takes: a second resampling to fit would blur small faces.
            light_size = scaled_size(stored_w, stored_h, self._light_size_px, self._detector.size_multiple)
            small = upright(frame.rgb(light_size), frame.rotation_deg)
            sideways = quarter_turns(frame.rotation_deg) % 2
            upright_size = (stored_h, stored_w) if sideways else (stored_w, stored_h)
            return detect_scaled(self._detector, small, upright_size), is_cut, search
        return self._detector.detect(upright(frame.rgb(), frame.rotation_deg)), is_cut, search


def search_each(frames: Iterable[Frame], detector: FaceDetector, settings: DetectSettings,
                info: VideoInfo) -> Iterator[tuple[int, FaceRegions, bool, str]]:
    """Search every frame as scheduled (the first frame given starts a
    shot): per frame, its index, the candidates in stored pixels, whether a
    shot starts there, and how it was searched (F, L or -)."""
    looker = _Looker(detector, settings, info.frame_rate, min(info.width, info.height))
    for frame in frames:
        found, is_cut, search = looker.look(frame)
        yield frame.index, to_stored(found, frame.rotation_deg, info.width, info.height), is_cut, _SEARCH_CODES[search]


def search_frames(frames: Iterable[Frame], detector: FaceDetector, settings: DetectSettings, info: VideoInfo,
                  progress=None) -> Found:
    """Search every frame as scheduled (the first frame given starts a shot)."""
    detections, cuts, searches = [], [], []
    for index, found, is_cut, search in search_each(frames, detector, settings, info):
        detections.append(found)
        if is_cut:
            cuts.append(index)
        searches.append(search)
        if progress is not None:
            progress.advance(1)
    return Found(detections, cuts, "".join(searches))
