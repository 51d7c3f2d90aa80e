"""Joining detections over time, built for redaction rather than for scores.

Trackers made for benchmarks hide new or unconfirmed tracks to look precise;
here the bias is the other way. Every detection is kept. Tracks are linked by
position and size only (no appearance features of any kind), gaps are filled
by interpolation, and every track is padded some frames before its first and
after its last detection, so a face is covered from the frame it enters;
padding stretches along the way the face was moving. A scene cut ends all
tracks and stops padding from crossing it.

It runs as a stream: frames go in as they are searched and come out, in
order, as soon as nothing later in the video can change them (a few seconds
on), so a video can be rendered while it is still being searched. Run over a
whole video at once, it gives the same result.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Protocol

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
# A track's padding follows the way the face was moving over about this long
# (after its last detection; before its first, as its first detections show
# once they span _MIN_HEADING_SECONDS), and still covers where it was last seen.
_HEADING_SECONDS = 0.5
# Detections closer in time than this give no heading: their boxes jitter (a
# light search and a full one, a face cut by the frame edge) by a good part of
# a face, and a second of padding along that jitter ran 1,000 px off.
_MIN_HEADING_SECONDS = 0.2


@dataclass
class _Track:
    track_id: int
    frames: list[int] = field(default_factory=list)
    boxes: list[np.ndarray] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    ended: bool = False  # no later detection can join it


def _pairs(boxes: np.ndarray, last: np.ndarray, gaps: np.ndarray,
           per_gap_frame: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of N new boxes and M tracks' last boxes (``gaps`` frames back)
    that can be the same face, in row-major order: row, column and the
    distance between their centres in face sizes. A cheap first cut on the
    squared distance (a hair wider than the exact test) leaves the exact
    arithmetic to the few pairs that are near, which in a crowd of hundreds
    is most of the saving."""
    centre_new = (boxes[:, :2] + boxes[:, 2:]) / 2
    centre_old = (last[:, :2] + last[:, 2:]) / 2
    size_new = (boxes[:, 2:] - boxes[:, :2]).mean(axis=1)
    size_old = (last[:, 2:] - last[:, :2]).mean(axis=1)
    reach = _MAX_CENTRE_DISTANCE + per_gap_frame * (gaps - 1)
    scale = np.maximum((size_new[:, None] + size_old[None, :]) / 2, 1.0)
    limit = scale * (1.01 * reach)[None, :]
    dx = centre_new[:, None, 0] - centre_old[None, :, 0]
    dy = centre_new[:, None, 1] - centre_old[None, :, 1]
    rows, cols = np.nonzero(dx * dx + dy * dy <= limit * limit)
    offset = centre_new[rows] - centre_old[cols]
    distance = np.hypot(offset[:, 0], offset[:, 1]) / np.maximum((size_new[rows] + size_old[cols]) / 2, 1.0)
    height_new = boxes[rows, 3] - boxes[rows, 1]
    height_old = last[cols, 3] - last[cols, 1]
    ratio = np.minimum(height_new, height_old) / np.maximum(np.maximum(height_new, height_old), 1e-6)
    allowed = (distance < reach[cols]) & (ratio > _MIN_HEIGHT_RATIO)
    return rows[allowed], cols[allowed], distance[allowed]


def _heading(track: _Track, within_frames: int, min_frames: int) -> np.ndarray:
    """How far the track's centre moved per frame (x, y), from its earliest
    detection within ``within_frames`` of its last one (or the one before
    the last) to its last; none if those are under ``min_frames`` apart."""
    if len(track.frames) < 2:
        return np.zeros(2)
    first = len(track.frames) - 2
    while first > 0 and track.frames[-1] - track.frames[first - 1] <= within_frames:
        first -= 1
    if track.frames[-1] - track.frames[first] < min_frames:
        return np.zeros(2)
    shift = (track.boxes[-1][:2] + track.boxes[-1][2:] - track.boxes[first][:2] - track.boxes[first][2:]) / 2
    return shift / (track.frames[-1] - track.frames[first])


def _stretched(box: np.ndarray, heading: np.ndarray, count: int) -> np.ndarray:
    """The boxes of the ``count`` frames on from a box (back from it, with
    the heading reversed): each spans the box and the box moved on as it was
    heading, so the face is covered wherever it went between, and where it
    stopped."""
    moved = box[None, :] + np.tile(heading, 2)[None, :] * np.arange(1, count + 1)[:, None]
    return np.concatenate([np.minimum(box[:2], moved[:, :2]), np.maximum(box[2:], moved[:, 2:])], axis=1)


def max_gap_frames(settings: TrackSettings, frame_rate: Fraction) -> int:
    return round(settings.max_gap_seconds * frame_rate)


class _Linker:
    """Groups each frame's detections into tracks, greedily by closeness, one
    frame at a time (so a video can be tracked as it is read)."""

    def __init__(self, max_gap_frames: int, frame_rate: Fraction) -> None:
        self._max_gap = max_gap_frames
        self._per_gap_frame = _DISTANCE_PER_GAP_SECOND / float(frame_rate)
        self._track_count = 0
        self.active: list[_Track] = []

    def add(self, frame_index: int, regions: FaceRegions, is_cut: bool) -> tuple[list[_Track], list[_Track]]:
        """Link a frame's regions. Returns each region's track, and the
        tracks that ended before this frame (at a cut, or a gap too long)."""
        if is_cut:
            active, ended = [], self.active
        else:
            active = [t for t in self.active if frame_index - t.frames[-1] <= self._max_gap + 1]
            ended = [t for t in self.active if frame_index - t.frames[-1] > self._max_gap + 1]
        for track in ended:
            track.ended = True
        taken_tracks: set[int] = set()
        assigned = [-1] * len(regions)
        if len(regions) and active:
            last = np.array([t.boxes[-1] for t in active], np.float32)
            gaps = np.array([frame_index - t.frames[-1] for t in active], np.float32)
            rows, cols, distance = _pairs(regions.xyxy, last, gaps, self._per_gap_frame)
            order = np.argsort(distance, kind="stable")
            for row, col in zip(rows[order].tolist(), cols[order].tolist()):
                if assigned[row] < 0 and col not in taken_tracks:
                    assigned[row] = col
                    taken_tracks.add(col)
        row_tracks = []
        for row in range(len(regions)):
            if assigned[row] >= 0:
                track = active[assigned[row]]
            else:
                track = _Track(self._track_count)
                self._track_count += 1
                active.append(track)
            track.frames.append(frame_index)
            track.boxes.append(regions.xyxy[row].copy())
            track.scores.append(float(regions.score[row]))
            row_tracks.append(track)
        self.active = active
        return row_tracks, ended

    def finish(self) -> list[_Track]:
        """The tracks still open at the end of the video."""
        ended, self.active = self.active, []
        for track in ended:
            track.ended = True
        return ended


def drop_weak_inside_stronger(regions: FaceRegions, threshold: float) -> FaceRegions:
    """A weak candidate (below ``threshold``) whose centre lies inside a more
    confident candidate's box is that face seen again, or a part of it: the
    stronger box's redaction covers it. Dropping it saves a track per face and
    frame; candidates at or above the threshold are all kept."""
    if len(regions) < 2:
        return regions
    weak = np.flatnonzero(regions.score < threshold)
    if not len(weak):
        return regions
    centre = (regions.xyxy[weak, :2] + regions.xyxy[weak, 2:]) / 2
    inside = ((centre[:, None, :] >= regions.xyxy[None, :, :2]) & (centre[:, None, :] <= regions.xyxy[None, :, 2:])).all(2)
    stronger = regions.score[None, :] > regions.score[weak, None]
    keep = np.ones(len(regions), bool)
    keep[weak[(inside & stronger).any(axis=1)]] = False
    return regions.take(keep)


# A frame handed on by a stage: its index, its regions, whether a shot starts there.
Staged = tuple[int, FaceRegions, bool]


class _Confirmer:
    """Keeps every candidate at or above ``threshold``, and weaker ones whose
    track (linked over all candidates) holds ``confirm_frames`` or more of
    them. A frame is handed on once each of its weak candidates' tracks has
    either got that long or ended."""

    def __init__(self, threshold: float, confirm_frames: int, max_gap_frames: int, frame_rate: Fraction) -> None:
        self._threshold = threshold
        self._confirm_frames = confirm_frames
        self._linker = _Linker(max_gap_frames, frame_rate)
        self._waiting: deque[tuple[int, FaceRegions, bool, list[_Track]]] = deque()

    def add(self, frame_index: int, candidates: FaceRegions, is_cut: bool) -> list[Staged]:
        candidates = drop_weak_inside_stronger(candidates, self._threshold)
        row_tracks, _ = self._linker.add(frame_index, candidates, is_cut)
        weak = candidates.score < self._threshold
        self._waiting.append((frame_index, candidates, is_cut, [t for t, w in zip(row_tracks, weak) if w]))
        return self._release()

    def finish(self) -> list[Staged]:
        self._linker.finish()
        return self._release()

    def _release(self) -> list[Staged]:
        released = []
        while self._waiting:
            frame_index, candidates, is_cut, weak_tracks = self._waiting[0]
            steady = [len(t.frames) >= self._confirm_frames for t in weak_tracks]
            if not all(kept or t.ended for kept, t in zip(steady, weak_tracks)):
                break
            self._waiting.popleft()
            keep = candidates.score >= self._threshold
            keep[~keep] = steady
            released.append((frame_index, candidates.take(keep), is_cut))
        return released


class _Filler:
    """Links the kept detections into tracks, fills each track's short gaps
    by interpolation and pads it before and after, never across a cut. A
    frame is handed on once nothing later in the video can add to it."""

    def __init__(self, settings: TrackSettings, frame_rate: Fraction) -> None:
        self._linker = _Linker(max_gap_frames(settings, frame_rate), frame_rate)
        self._pad = round(settings.pad_seconds * frame_rate)
        self._heading_frames = max(1, round(_HEADING_SECONDS * frame_rate))
        self._min_heading_frames = max(1, round(_MIN_HEADING_SECONDS * frame_rate))
        self._shot_start = 0
        self._latest = -1
        # per waiting frame: its detections, whether a shot starts there, and
        # the regions added to it as (track id, box, score, source code)
        self._waiting: deque[tuple[int, FaceRegions, bool, list]] = deque()
        self._first_waiting = 0
        self._to_pad_after: list[_Track] = []
        # per track seen once: where its padding before went, as (frame, place in that frame's additions)
        self._padded_before: dict[int, list[tuple[int, int]]] = {}

    def add(self, frame_index: int, detections: FaceRegions, is_cut: bool) -> list[Staged]:
        self._latest = frame_index
        if is_cut:
            self._shot_start = frame_index
        row_tracks, ended = self._linker.add(frame_index, detections, is_cut)
        track_ids = np.array([t.track_id for t in row_tracks], np.int32)
        self._waiting.append((frame_index, FaceRegions(detections.xyxy, detections.score, track_ids, detections.source),
                              is_cut, []))
        self._to_pad_after.extend(ended)
        for track in ended:
            self._padded_before.pop(track.track_id, None)
        self._pad_after(frame_index if is_cut else None)
        for track in row_tracks:
            if len(track.frames) == 1:
                before = range(max(self._shot_start, frame_index - self._pad), frame_index)
                self._padded_before[track.track_id] = [
                    (index, self._add(index, track.boxes[0], track.scores[0], track.track_id, "extended"))
                    for index in before]
            elif (track.track_id in self._padded_before
                  and track.frames[-1] - track.frames[0] >= self._min_heading_frames):
                self._stretch_padding_before(track)
            if len(track.frames) > 1 and track.frames[-2] < frame_index - 1:
                start = track.frames[-2]
                first, last = track.boxes[-2].astype(np.float64), track.boxes[-1].astype(np.float64)
                score = min(np.float32(track.scores[-2]), np.float32(track.scores[-1]))
                for between in range(start + 1, frame_index):
                    t = (between - start) / (frame_index - start)
                    self._add(between, (1 - t) * first + t * last, score, track.track_id, "interpolated")
        return self._release(final=False)

    def finish(self) -> list[Staged]:
        self._to_pad_after.extend(self._linker.finish())
        self._pad_after(self._latest + 1)
        return self._release(final=True)

    def _pad_after(self, shot_end_before: int | None) -> None:
        """Pad the ended tracks whose padding is now known: it stops at a cut
        (or the end) at ``shot_end_before``, or runs its full length once the
        video has been read that far."""
        waiting = []
        for track in self._to_pad_after:
            last = track.frames[-1]
            if shot_end_before is not None:
                end = min(shot_end_before, last + self._pad + 1)
            elif self._latest > last + self._pad:
                end = last + self._pad + 1
            else:
                waiting.append(track)
                continue
            heading = _heading(track, self._heading_frames, self._min_heading_frames)
            boxes = _stretched(track.boxes[-1], heading, end - last - 1)
            for frame_index, box in zip(range(last + 1, end), boxes):
                self._add(frame_index, box, track.scores[-1], track.track_id, "extended")
        self._to_pad_after = waiting

    def _stretch_padding_before(self, track: _Track) -> None:
        """Once a track's detections span long enough to show a heading, its
        padding before the first detection (where not yet handed on)
        stretches back the way the face came."""
        padded = self._padded_before.pop(track.track_id, [])
        heading = _heading(track, self._heading_frames, self._min_heading_frames)
        if not padded or not heading.any():
            return
        boxes = _stretched(track.boxes[0], -heading, track.frames[0] - padded[0][0])
        for frame_index, place in padded:
            if frame_index >= self._first_waiting:
                additions = self._waiting[frame_index - self._first_waiting][3]
                additions[place] = (track.track_id, boxes[track.frames[0] - frame_index - 1], *additions[place][2:])

    def _add(self, frame_index: int, box: np.ndarray, score: float, track_id: int, source: str) -> int:
        """Add a region to a frame; its place among the frame's additions."""
        additions = self._waiting[frame_index - self._first_waiting][3]
        additions.append((track_id, box, float(score), SOURCE_CODES[source]))
        return len(additions) - 1

    def _release(self, final: bool) -> list[Staged]:
        # Frames before ``settled`` can gain nothing more: no open track or
        # unpadded ended track was last seen before them, and every track that
        # could pad back into them has started.
        lasts = [t.frames[-1] for t in self._linker.active] + [t.frames[-1] for t in self._to_pad_after]
        settled = self._latest + 1 if final else min([self._latest - self._pad, *(last + 1 for last in lasts)])
        released = []
        while self._waiting and self._first_waiting < settled:
            frame_index, detections, is_cut, extra = self._waiting.popleft()
            self._first_waiting += 1
            released.append((frame_index, _with_additions(detections, extra), is_cut))
        return released


def _with_additions(detections: FaceRegions, extra: list) -> FaceRegions:
    """A frame's detections (with their track ids) then its added regions,
    in track order."""
    if not extra:
        return detections
    extra.sort(key=lambda item: item[0])
    added = FaceRegions(
        np.array([item[1] for item in extra], np.float32).reshape(-1, 4),
        np.array([item[2] for item in extra], np.float32),
        np.array([item[0] for item in extra], np.int32),
        np.array([item[3] for item in extra], np.uint8),
    )
    return FaceRegions.concat([detections, added])


class Tracker:
    """Tracking as a stream: frames go in as they are searched, in order, and
    come out final (weak hits confirmed or dropped, gaps filled, padding
    added) a few seconds later, as soon as nothing later can change them."""

    def __init__(self, threshold: float, confirm_frames: int, frame_rate: Fraction, settings: TrackSettings) -> None:
        self._threshold = threshold
        self._enabled = settings.enabled
        self._confirmer = _Confirmer(threshold, confirm_frames, max_gap_frames(settings, frame_rate), frame_rate)
        self._filler = _Filler(settings, frame_rate)
        # The most frames that can come in before one comes out final: a weak
        # hit waits for up to confirm_frames more hits, each up to a gap
        # apart, or for its track to end; then the frame waits for the
        # padding of tracks yet to start, or for a track in a gap to end.
        gap = max_gap_frames(settings, frame_rate) + 2
        pad = round(settings.pad_seconds * frame_rate) + 1
        self.longest_hold = confirm_frames * gap + max(gap, pad) + 1 if settings.enabled else 1

    def add(self, frame_index: int, candidates: FaceRegions, is_cut: bool) -> list[Staged]:
        """Frames that are now final, in order, for one more searched frame."""
        if not self._enabled:
            return [(frame_index, candidates.take(candidates.score >= self._threshold), is_cut)]
        return self._fill(self._confirmer.add(frame_index, candidates, is_cut))

    def finish(self) -> list[Staged]:
        """The frames still held, at the end of the video."""
        if not self._enabled:
            return []
        return self._fill(self._confirmer.finish()) + self._filler.finish()

    def _fill(self, confirmed: list[Staged]) -> list[Staged]:
        return [final for staged in confirmed for final in self._filler.add(*staged)]


class _Stage(Protocol):
    def add(self, frame_index: int, regions: FaceRegions, is_cut: bool) -> list[Staged]: ...

    def finish(self) -> list[Staged]: ...


def track_all(stage: _Stage, frames: list[FaceRegions], cuts: set[int]) -> list[FaceRegions]:
    """Every frame of a video through a tracker (or one of its stages) at once."""
    final = [regions for index, found in enumerate(frames) for _, regions, _ in stage.add(index, found, index in cuts)]
    return final + [regions for _, regions, _ in stage.finish()]


def confirm(
    candidates: list[FaceRegions], cuts: set[int], frame_rate: Fraction, max_gap_frames: int, threshold: float,
    confirm_frames: int,
) -> list[FaceRegions]:
    """Every candidate at or above ``threshold``, plus weaker ones whose track
    (linked over all candidates) holds ``confirm_frames`` or more of them.
    Weak candidates inside a stronger one's box are left out first."""
    return track_all(_Confirmer(threshold, confirm_frames, max_gap_frames, frame_rate), candidates, cuts)


def fill_and_pad(
    detections: list[FaceRegions], cuts: set[int], frame_rate: Fraction, settings: TrackSettings
) -> list[FaceRegions]:
    """Every detection, now with a track id, plus interpolated regions in
    short gaps and padded regions before and after each track."""
    if not settings.enabled:
        return detections
    return track_all(_Filler(settings, frame_rate), detections, cuts)
