"""Searching a video's frames for faces, as the schedule says: the scan
pass's inner loop, shared by the serial scan, the one-pass redact and the
parallel segments."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from blur.closeups import LIGHT_MIN_FACE_PX, CloseLooks
from blur.detect import FaceDetector, detect_scaled, scaled_size
from blur.detect.tiling import MOST_TILE_PIXELS, detect_in_tiles, merge_overlapping
from blur.media import Frame, VideoInfo
from blur.orientation import quarter_turns, to_stored, upright
from blur.regions import FaceRegions
from blur.scenes import CutDetector, StillDetector, thumbnail
from blur.schedule import Search, SearchSchedule
from blur.settings import DetectSettings


@dataclass
class Found:
    """Per frame: candidates (stored pixels, before tracking); frames where a
    shot starts; how each frame was searched (F full, L light, C light with a
    close look, - not). And the thumbnail of the first frame and the cut
    detector as the last frame left it (``blur.scenes``), to find a cut where
    two searched stretches of one video meet."""

    detections: list[FaceRegions]
    cuts: list[int]
    searches: str
    first_thumbnail: np.ndarray | None = None
    cuts_after: CutDetector | None = None
    # Where the frames given did not end the video: the last one searched in
    # full (None if it was), to take its place should the next frame start a shot.
    last_in_full: FaceRegions | None = None


@dataclass
class Look:
    """One frame as searched: its candidates (stored pixels), whether a shot
    starts there, and how it was searched (a code of ``Found.searches``)."""

    frame: Frame
    found: FaceRegions
    is_cut: bool
    code: str


_SEARCH_CODES = {Search.FULL: "F", Search.LIGHT: "L", Search.NONE: "-"}
FULL_CODE = _SEARCH_CODES[Search.FULL]
CLOSE_LOOK_CODE = "C"  # a light search with a close look (``blur.closeups``)


class Looker:
    """Searches each frame of one video as its schedule says (the first frame
    it is given starts a shot), and the last frame of every shot in full: a
    small face that comes into view after a shot's last full search is seen
    there, and padded back over the frames before it, where no later full
    search would ever find it. So each frame's look is handed back once the
    next frame shows whether a shot ends there."""

    def __init__(self, detector: FaceDetector, settings: DetectSettings, info: VideoInfo) -> None:
        self._detector = detector
        self._info = info
        short_px = min(info.width, info.height)
        self._light_size_px = settings.light_size_for(short_px)
        self._schedule = SearchSchedule(settings, info.frame_rate, short_px)
        self.cuts = CutDetector()
        self._still = StillDetector()
        # of the first frame looked at (``blur.scenes.thumbnail``)
        self.first_thumbnail: np.ndarray | None = None
        self._pending: Look | None = None  # the frame looked at last, its shot maybe ending there
        # Small faces are followed at full resolution on the light searches (if there are any).
        self._close = None
        # A full search of a frame over 4 megapixels runs in tiles that overlap by more than the
        # largest face only it can see; larger faces a light search of the same frame finds whole.
        self._tile_overlap_px = short_px
        self._light_with_full = False
        if self._schedule.has_light_searches:
            light_scale = self._light_size_px / short_px
            self._close = CloseLooks(detector, settings.threshold, float(info.frame_rate), light_scale)
            self._tile_overlap_px = math.ceil(2 * LIGHT_MIN_FACE_PX / light_scale)
            self._light_with_full = info.width * info.height > MOST_TILE_PIXELS

    def look(self, frame: Frame) -> Look | None:
        """Searches the frame; hands back the frame before it (None for the
        first), searched in full if a shot starts here."""
        thumb = thumbnail(frame.luma_or_rgb())
        first = self.first_thumbnail is None
        if first:
            self.first_thumbnail = thumb
        is_cut = self.cuts.is_cut(thumb)
        previous, self._pending = self._pending, None
        if previous is not None and is_cut:
            self._end_shot(previous)
        # The search rhythm starts again on the first frame: where a segment
        # of a video starts on a cut, its searches are the straight scan's.
        search = self._schedule.search(frame.index, is_cut or first, self._still.is_still(thumb))
        if search is not Search.NONE:
            self._still.searched(thumb)
        if search is Search.FULL:
            found, code = self._full(frame), _SEARCH_CODES[search]
            if self._close is not None:
                self._close.follow(found, frame.index)
        else:
            found, code = self._light_or_none(frame, search)
        self._pending = Look(frame, self._stored(found, frame), is_cut, code)
        return previous

    def finish(self, ends_shot: bool = True) -> Look | None:
        """The last frame's look (None if there was none), searched in full
        when ``ends_shot``: the frames given ended the video."""
        last, self._pending = self._pending, None
        if last is not None and ends_shot:
            self._end_shot(last)
        return last

    def in_full(self, frame: Frame) -> FaceRegions:
        """What a full search of the frame finds (stored pixels)."""
        return self._stored(self._full(frame), frame)

    def _end_shot(self, look: Look) -> None:
        if look.code != FULL_CODE:
            look.found, look.code = self.in_full(look.frame), FULL_CODE

    def _stored(self, found: FaceRegions, frame: Frame) -> FaceRegions:
        return to_stored(found, frame.rotation_deg, self._info.width, self._info.height)

    def _light_or_none(self, frame: Frame, search: Search) -> tuple[FaceRegions, str]:
        """What a light search (or none) finds, in upright pixels, and its code."""
        if search is Search.NONE:
            return FaceRegions.empty(), _SEARCH_CODES[search]
        found = self._light(frame)
        if self._close is None or not self._close.due(frame.index):
            return found, _SEARCH_CODES[search]
        closer = self._close.look(upright(frame.rgb(), frame.rotation_deg), frame.index)
        return merge_overlapping(FaceRegions.concat([found, closer]), iou_threshold=0.3), CLOSE_LOOK_CODE

    def _full(self, frame: Frame) -> FaceRegions:
        """A full search (upright pixels): in tiles where the frame is large,
        with a light search of it too where the tiles cannot see the largest faces whole."""
        found = detect_in_tiles(self._detector, upright(frame.rgb(), frame.rotation_deg), self._tile_overlap_px)
        if self._light_with_full:
            # Every box kept: a merge could keep a tile's piece of a face over the whole of it.
            found = FaceRegions.concat([found, self._light(frame)])
        return found

    def _light(self, frame: Frame) -> FaceRegions:
        """A light search: the frame scaled down (upright pixels)."""
        stored_w, stored_h = frame.size
        # Scaled straight to a size the network takes: a second resampling to fit would blur small faces.
        light_size = scaled_size(stored_w, stored_h, self._light_size_px, self._detector.size_multiple)
        small = upright(frame.rgb(light_size), frame.rotation_deg)
        sideways = quarter_turns(frame.rotation_deg) % 2
        upright_size = (stored_h, stored_w) if sideways else (stored_w, stored_h)
        return detect_scaled(self._detector, small, upright_size)


def search_frames(frames: Iterable[Frame], detector: FaceDetector, settings: DetectSettings, info: VideoInfo,
                  progress=None, ends_video: bool = True) -> Found:
    """Search every frame as scheduled (the first frame given starts a shot,
    the last ends one if ``ends_video``)."""
    looker = Looker(detector, settings, info)
    looks: list[Look] = []
    for frame in frames:
        looks += filter(None, [looker.look(frame)])
        if progress is not None:
            progress.advance(1)
    last = looker.finish(ends_shot=ends_video)
    looks += filter(None, [last])
    last_in_full = None
    if last is not None and not ends_video and last.code != FULL_CODE:
        last_in_full = looker.in_full(last.frame)
    return Found([look.found for look in looks], [look.frame.index for look in looks if look.is_cut],
                 "".join(look.code for look in looks), looker.first_thumbnail, looker.cuts, last_in_full)
