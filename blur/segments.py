"""Scanning one long video in parallel: split at keyframes, each segment
searched in its own process, the results joined frame-exact.

Only the search is split. Tracking runs afterwards over the whole video, so
tracks are linked across segment boundaries as if the video had been read in
one go, and the render (encode, audio copied untouched) stays one pass with
no seam to hide. The first frame of each segment gets a full search, as the
first frame of a shot does; a cut where two segments meet is found from the
last frame of one and the first of the next, and then the last frame's full
search (which each segment makes, in case) stands for it, as in a straight scan.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from pathlib import Path

from blur.errors import InputError
from blur.looking import FULL_CODE, Found, search_frames
from blur.media import VideoInfo, VideoReader
from blur.parallel import open_executor
from blur.regions import FaceRegions
from blur.settings import Settings

# Segments shorter than this many frames are not worth a process.
_MIN_SEGMENT_FRAMES = 60


@dataclass(frozen=True)
class Segment:
    first_index: int
    start_pts: int
    end_pts: int | None  # None: to the end
    frame_count: int


def split_at_keyframes(all_pts: list[int], key_pts: list[int], parts: int) -> list[Segment]:
    """About ``parts`` segments of similar length, each starting on a keyframe."""
    total = len(all_pts)
    starts = [0]
    for part in range(1, parts):
        wanted = part * total // parts
        # the keyframe nearest the even split, as a presentation index
        candidates = [bisect.bisect_left(all_pts, k) for k in key_pts]
        best = min(candidates, key=lambda index: abs(index - wanted), default=0)
        if best - starts[-1] >= _MIN_SEGMENT_FRAMES and total - best >= _MIN_SEGMENT_FRAMES:
            starts.append(best)
    starts = sorted(set(starts))
    bounds = starts + [total]
    return [Segment(first, all_pts[first], all_pts[end] if end < total else None, end - first)
            for first, end in zip(bounds, bounds[1:])]


_DETECTORS: dict[str, object] = {}  # per worker process: the model loads once


def _detector(settings: Settings):
    from blur.detect import build_detector

    key = repr(settings.detect)
    if key not in _DETECTORS:
        _DETECTORS[key] = build_detector(settings.detect)
    return _DETECTORS[key]


def search_segment(path: str, settings_data: dict, segment: Segment) -> tuple[list, Found]:
    """Runs in a worker: the segment's candidates as plain arrays, and the
    rest of what its search found (without the candidates)."""
    settings = Settings.from_dict(settings_data)
    with VideoReader(Path(path)) as reader:
        frames = reader.frames_between(segment.first_index, segment.start_pts, segment.end_pts, planar=True)
        found = search_frames(frames, _detector(settings), settings.detect, reader.info,
                              ends_video=segment.end_pts is None)
    arrays = [(r.xyxy, r.score) for r in found.detections]
    last = found.last_in_full
    return arrays + ([] if last is None else [(last.xyxy, last.score)]), replace(found, detections=[], last_in_full=None)


def scan_in_segments(path: Path, settings: Settings, workers: int, progress) -> tuple[VideoInfo, Found] | None:
    """Search a video in up to ``workers`` segments at once; None when it
    cannot be split (no timestamps, or too short), for a straight scan."""
    with VideoReader(path) as reader:
        info = reader.info
        times = reader.presentation_times()
    segments = split_at_keyframes(*times, workers) if times is not None and times[0] else []
    if len(segments) < 2:
        return None
    progress.start(f"scanning {path.name} in {len(segments)} segments", sum(s.frame_count for s in segments))
    detections: list[FaceRegions] = []
    cuts: list[int] = []
    searches = ""
    cuts_before = None  # the cut detector as the segment before left it
    last_in_full = None  # the segment before's last frame searched in full, if it was not
    try:
        with open_executor(min(workers, len(segments))) as executor:
            futures = [executor.submit(search_segment, str(path), settings.to_dict(), s) for s in segments]
            for segment, future in zip(segments, futures):
                arrays, found = future.result()
                if len(found.searches) != segment.frame_count:
                    raise InputError(f"{path}: segment at frame {segment.first_index} decoded "
                                     f"{len(found.searches)} frames, expected {segment.frame_count}")
                regions = [FaceRegions.build(xyxy, score) for xyxy, score in arrays]
                if cuts_before is not None and found.first_thumbnail is not None \
                        and cuts_before.is_cut(found.first_thumbnail):
                    cuts.append(segment.first_index)
                    # the segment before ended a shot: its last frame searched in full, as a straight scan does
                    if last_in_full is not None:
                        detections[-1], searches = last_in_full, searches[:-1] + FULL_CODE
                detections += regions[:segment.frame_count]
                last_in_full = regions[segment.frame_count] if len(regions) > segment.frame_count else None
                cuts += found.cuts
                searches += found.searches
                cuts_before = found.cuts_after
                progress.advance(segment.frame_count)
    finally:
        progress.finish()
    return info, Found(detections, cuts, searches)
