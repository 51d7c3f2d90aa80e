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


_SEARCH_CODES = {Search.FULL: "F", Search.LIGHT: "L", Search.NONE: "-"}
CLOSE_LOOK_CODE = "C"  # a light search with a close look (``blur.closeups``)


class Looker:
    """Searches each frame of one video as its schedule says (the first frame
    it is given starts a shot)."""

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

    def look(self, frame: Frame) -> tuple[FaceRegions, bool, str]:
        """The candidates found in the frame (stored pixels), whether a shot
        starts there, and how it was searched (F full, L light, C light with a
        close look, - not)."""
        thumb = thumbnail(frame.luma_or_rgb())
        first = self.first_thumbnail is None
        if first:
            self.first_thumbnail = thumb
        is_cut = self.cuts.is_cut(thumb)
        # The search rhythm starts again on the first frame: where a segment
        # of a video starts on a cut, its searches are the straight scan's.
        search = self._schedule.search(frame.index, is_cut or first, self._still.is_still(thumb))
        if search is not Search.NONE:
            self._still.searched(thumb)
        found, code = self._upright(frame, search)
        return to_stored(found, frame.rotation_deg, self._info.width, self._info.height), is_cut, code

    def _upright(self, frame: Frame, search: Search) -> tuple[FaceRegions, str]:
        """What the search finds, in upright pixels, and its code."""
        if search is Search.NONE:
            return FaceRegions.empty(), _SEARCH_CODES[search]
        if search is Search.LIGHT:
            found = self._light(frame)
            if self._close is None or not self._close.due(frame.index):
                return found, _SEARCH_CODES[search]
            closer = self._close.look(upright(frame.rgb(), frame.rotation_deg), frame.index)
            return merge_overlapping(FaceRegions.concat([found, closer]), iou_threshold=0.3), CLOSE_LOOK_CODE
        image = upright(frame.rgb(), frame.rotation_deg)
        found = detect_in_tiles(self._detector, image, self._tile_overlap_px)
        if self._close is not None:
            self._close.follow(found, frame.index)
        if self._light_with_full:
            # Every box kept: a merge could keep a tile's piece of a face over the whole of it.
            found = FaceRegions.concat([found, self._light(frame)])
        return found, _SEARCH_CODES[search]

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
                  progress=None) -> Found:
    """Search every frame as scheduled (the first frame given starts a shot)."""
    looker = Looker(detector, settings, info)
    detections, cuts, searches = [], [], []
    for frame in frames:
        found, is_cut, search = looker.look(frame)
        detections.append(found)
        if is_cut:
            cuts.append(frame.index)
        searches.append(search)
        if progress is not None:
            progress.advance(1)
    return Found(detections, cuts, "".join(searches), looker.first_thumbnail, looker.cuts)
