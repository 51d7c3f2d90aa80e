"""Joining detections over time, built for redaction rather than for scores.

Trackers made for benchmarks hide new or unconfirmed tracks to look precise;
here the bias is the other way. Every detection is kept. Tracks are linked by
position and size only (no appearance features of any kind), gaps are filled
by interpolation, and every track is padded some frames before its first and
after its last detection, so a face is covered from the frame it enters. A
scene cut ends all tracks and stops padding from crossing it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from blur.regions import SOURCE_CODES, FaceRegions
from blur.settings import TrackSettings

# Two boxes belong to the same face when their centres are closer than this
# many face sizes (plus so many more per second of gap between them: a face
# moves as far in a second whatever the frame rate, so a 10 fps CCTV camera's
# walkers are linked across a gap as surely as at 30 fps), and their heights
# agree within this ratio.
_MAX_CENTRE_DISTANCE = 0.8
_DISTANCE_PER_GAP_SECOND = 7.5
_MIN_HEIGHT_RATIO = 0.5


@dataclass
class _Track:
    track_id: int
    frames: list[int] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)


def _affinity(boxes: np.ndarray, last: np.ndarray, gaps: np.ndarray, per_gap_frame: float) -> np.ndarray:
    """(N, M) closeness of N new boxes to M tracks' last boxes, ``gaps``
    frames back; -inf where they cannot be the same face."""
    centre_new = (boxes[:, None, :2] + boxes[:, None, 2:]) / 2
    centre_old = (last[None, :, :2] + last[None, :, 2:]) / 2
    size_new = (boxes[:, None, 2:] - boxes[:, None, :2]).mean(axis=2)
    size_old = (last[None, :, 2:] - last[None, :, :2]).mean(axis=2)
    offset = centre_new - centre_old
    distance = np.hypot(offset[..., 0], offset[..., 1]) / np.maximum((size_new + size_old) / 2, 1.0)
    height_new = boxes[:, None, 3] - boxes[:, None, 1]
    height_old = last[None, :, 3] - last[None, :, 1]
    ratio = np.minimum(height_new, height_old) / np.maximum(np.maximum(height_new, height_old), 1e-6)
    allowed = (distance < _MAX_CENTRE_DISTANCE + per_gap_frame * (gaps[None, :] - 1)) & (
        ratio > _MIN_HEIGHT_RATIO
    )
    return np.where(allowed, -distance, -np.inf)


def max_gap_frames(settings: TrackSettings, frame_rate: Fraction) -> int:
    return round(settings.max_gap_seconds * frame_rate)


def link(detections: list[FaceRegions], cuts: set[int], max_gap_frames: int,
         frame_rate: Fraction) -> tuple[list[_Track], list[np.ndarray]]:
    """Group each frame's detections into tracks, greedily by closeness.
    Returns the tracks and, per frame, each detection's track id."""
    per_gap_frame = _DISTANCE_PER_GAP_SECOND / float(frame_rate)
    track_ids = [np.full(len(regions), -1, np.int32) for regions in detections]
    tracks: list[_Track] = []
    active: list[_Track] = []
    for frame_index, regions in enumerate(detections):
        if frame_index in cuts:
            active = []
        active = [t for t in active if frame_index - t.frames[-1] <= max_gap_frames + 1]
        taken_tracks: set[int] = set()
        assigned = [-1] * len(regions)
        if len(regions) and active:
            last = np.array([t.boxes[-1] for t in active], np.float32)
            gaps = np.array([frame_index - t.frames[-1] for t in active], np.float32)
            affinity = _affinity(regions.xyxy, last, gaps, per_gap_frame)
            rows, cols = np.nonzero(np.isfinite(affinity))
            order = np.argsort(-affinity[rows, cols], kind="stable")
            for row, col in zip(rows[order].tolist(), cols[order].tolist()):
                if assigned[row] < 0 and col not in taken_tracks:
                    assigned[row] = col
                    taken_tracks.add(col)
        for row in range(len(regions)):
            if assigned[row] >= 0:
                track = active[assigned[row]]
            else:
                track = _Track(len(tracks))
                tracks.append(track)
                active.append(track)
            track.frames.append(frame_index)
            track.boxes.append(regions.xyxy[row].copy())
            track.scores.append(float(regions.score[row]))
            track_ids[frame_index][row] = track.track_id
    return tracks, track_ids


def drop_weak_inside_stronger(regions: FaceRegions, threshold: float) -> FaceRegions:
    """A weak candidate (below ``threshold``) whose centre lies inside a more
    confident candidate's box is that face seen again, or a part of it: the
    stronger box's redaction covers it. Dropping it saves a track per face and
    frame; candidates at or above the threshold are all kept."""
    if len(regions) < 2:
        return regions
    centre = (regions.xyxy[:, :2] + regions.xyxy[:, 2:]) / 2
    inside = ((centre[:, None, :] >= regions.xyxy[None, :, :2]) & (centre[:, None, :] <= regions.xyxy[None, :, 2:])).all(2)
    stronger = regions.score[None, :] > regions.score[:, None]
    covered = (inside & stronger).any(axis=1)
    return regions.take(~covered | (regions.score >= threshold))


def confirm(
    candidates: list[FaceRegions], cuts: set[int], frame_rate: Fraction, max_gap_frames: int, threshold: float,
    confirm_frames: int,
) -> list[FaceRegions]:
    """Every candidate at or above ``threshold``, plus weaker ones whose track
    (linked over all candidates) holds ``confirm_frames`` or more of them.
    Weak candidates inside a stronger one's box are left out first."""
    candidates = [drop_weak_inside_stronger(regions, threshold) for regions in candidates]
    tracks, track_ids = link(candidates, cuts, max_gap_frames, frame_rate)
    steady = np.array([t.track_id for t in tracks if len(t.frames) >= confirm_frames], np.int32)
    return [
        regions.take((regions.score >= threshold) | np.isin(ids, steady))
        for regions, ids in zip(candidates, track_ids)
    ]


def _shot_bounds(frame_index: int, cuts: list[int], frame_count: int) -> tuple[int, int]:
    """First and last frame of the shot holding a frame."""
    start = max([c for c in cuts if c <= frame_index], default=0)
    end = min([c for c in cuts if c > frame_index], default=frame_count) - 1
    return start, end


def fill_and_pad(
    detections: list[FaceRegions], cuts: set[int], frame_rate: Fraction, settings: TrackSettings
) -> list[FaceRegions]:
    """Every detection, now with a track id, plus interpolated regions in
    short gaps and padded regions before and after each track."""
    frame_count = len(detections)
    if not settings.enabled:
        return detections
    max_gap = max_gap_frames(settings, frame_rate)
    pad = round(settings.pad_seconds * frame_rate)
    tracks, track_ids = link(detections, cuts, max_gap, frame_rate)
    ordered_cuts = sorted(cuts)

    added = _Additions()
    for track in tracks:
        frames = np.array(track.frames)
        boxes = np.array(track.boxes, np.float32)
        scores = np.array(track.scores, np.float32)
        for gap in np.nonzero(np.diff(frames) > 1)[0].tolist():
            start, end = int(frames[gap]), int(frames[gap + 1])
            between = np.arange(start + 1, end)
            t = ((between - start) / (end - start))[:, None]
            added.add(between, (1 - t) * boxes[gap] + t * boxes[gap + 1], min(scores[gap], scores[gap + 1]),
                      track.track_id, "interpolated")
        shot_start, _ = _shot_bounds(track.frames[0], ordered_cuts, frame_count)
        _, shot_end = _shot_bounds(track.frames[-1], ordered_cuts, frame_count)
        before = np.arange(max(shot_start, track.frames[0] - pad), track.frames[0])
        added.add(before, boxes[:1], scores[0], track.track_id, "extended")
        after = np.arange(track.frames[-1] + 1, min(shot_end, track.frames[-1] + pad) + 1)
        added.add(after, boxes[-1:], scores[-1], track.track_id, "extended")
    return [FaceRegions.concat([FaceRegions(d.xyxy, d.score, ids, d.source), extra])
            for d, ids, extra in zip(detections, track_ids, added.per_frame(frame_count))]


class _Additions:
    """Regions added to many frames at once, gathered as arrays and split by
    frame at the end (a list per frame and region is many times slower)."""

    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, np.ndarray, float, int, int]] = []

    def add(self, frame_indices: np.ndarray, boxes: np.ndarray, score: float, track_id: int, source: str) -> None:
        """Boxes (one per frame, or one for all) added to those frames."""
        if len(frame_indices):
            self._parts.append((frame_indices, np.broadcast_to(boxes, (len(frame_indices), 4)), float(score),
                                track_id, SOURCE_CODES[source]))

    def per_frame(self, frame_count: int) -> list[FaceRegions]:
        if not self._parts:
            return [FaceRegions.empty() for _ in range(frame_count)]
        frame_indices = np.concatenate([part[0] for part in self._parts])
        sizes = [len(part[0]) for part in self._parts]
        xyxy = np.concatenate([part[1] for part in self._parts]).astype(np.float32)
        score = np.repeat(np.array([part[2] for part in self._parts], np.float32), sizes)
        track_id = np.repeat(np.array([part[3] for part in self._parts], np.int32), sizes)
        source = np.repeat(np.array([part[4] for part in self._parts], np.uint8), sizes)
        order = np.argsort(frame_indices, kind="stable")
        bounds = np.searchsorted(frame_indices[order], np.arange(frame_count + 1))
        return [
            FaceRegions(xyxy[rows], score[rows], track_id[rows], source[rows])
            for rows in (order[first:last] for first, last in zip(bounds[:-1], bounds[1:]))
        ]
