"""Editing a plan by hand: regions drawn over frames a detector missed, tracks
taken out (a consenting subject, an officer on duty), zones always redacted (a
window, a screen). Every edit is recorded in the plan, with who and why, so the
disclosure record can say what was changed by hand.

Boxes are x1,y1,x2,y2 in pixels of the frame as stored, like the plan's own.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import numpy as np

from blur.errors import PlanError
from blur.plan import Plan, Zone
from blur.regions import FaceRegions

Box = tuple[float, float, float, float]


def parse_frames(text: str, frame_count: int) -> tuple[int, int]:
    """'120-240' or '120' to an inclusive frame range inside the video."""
    parts = text.strip().split("-")
    try:
        numbers = [int(part) for part in parts]
    except ValueError:
        raise PlanError(f"--frames {text!r} is not FIRST-LAST, e.g. 120-240") from None
    if len(numbers) not in (1, 2):
        raise PlanError(f"--frames {text!r} is not FIRST-LAST, e.g. 120-240")
    first, last = numbers[0], numbers[-1]
    if not 0 <= first <= last < frame_count:
        raise PlanError(f"--frames {text!r} must lie within 0-{frame_count - 1}, first before last")
    return first, last


def parse_box(text: str, plan: Plan, option: str = "--box") -> Box:
    """'x1,y1,x2,y2' to a box inside the frame."""
    try:
        x1, y1, x2, y2 = (float(v) for v in text.split(","))
    except ValueError:
        raise PlanError(f"{option} {text!r} is not x1,y1,x2,y2 in pixels, e.g. 100,50,180,150") from None
    width, height = plan.source.width, plan.source.height
    if not (0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height):
        raise PlanError(f"{option} {text!r} must have 0 <= x1 < x2 <= {width} and 0 <= y1 < y2 <= {height}")
    return x1, y1, x2, y2


def parse_key(text: str, plan: Plan) -> tuple[int, Box]:
    """'FRAME:x1,y1,x2,y2' to a keyed box."""
    frame_text, _, box_text = text.partition(":")
    try:
        frame_index = int(frame_text)
    except ValueError:
        raise PlanError(f"--key {text!r} is not FRAME:x1,y1,x2,y2, e.g. 120:100,50,180,150") from None
    if not 0 <= frame_index < plan.source.frame_count:
        raise PlanError(f"--key {text!r}: frame {frame_index} is outside 0-{plan.source.frame_count - 1}")
    return frame_index, parse_box(box_text, plan, "--key")


def _record(plan: Plan, action: str, by: str, reason: str, **details: Any) -> None:
    plan.edits.append({"action": action, **details, "by": by, "reason": reason,
                       "at": datetime.now(timezone.utc).isoformat(timespec="seconds")})


def add_region(plan: Plan, keys: list[tuple[int, Box]], by: str = "", reason: str = "") -> int:
    """A manual track through keyed boxes, interpolated linearly between keys
    (one key: that box on that frame). Returns the new track's id."""
    if not keys:
        raise PlanError("a manual region needs at least one keyed box")
    keys = sorted(keys)
    track_id = max(plan.track_ids(), default=-1) + 1
    frames = np.array([k[0] for k in keys], float)
    boxes = np.array([k[1] for k in keys], float)
    for frame_index in range(keys[0][0], keys[-1][0] + 1):
        box = [np.interp(frame_index, frames, boxes[:, side]) for side in range(4)]
        added = FaceRegions.build([box], [1.0], [track_id], source="manual")
        plan.frames[frame_index] = FaceRegions.concat([plan.frames[frame_index], added])
    _record(plan, "add-region", by, reason, track=track_id, frames=[keys[0][0], keys[-1][0]],
            keys=[{"frame": f, "box": list(b)} for f, b in keys])
    return track_id


def drop_track(plan: Plan, track_id: int, by: str = "", reason: str = "") -> int:
    """Take a whole track out of the plan: it will not be redacted. Returns
    how many regions went."""
    if track_id < 0 or track_id not in plan.track_ids():
        raise PlanError(f"--track {track_id} is not a track in this plan (tracks: {_id_list(plan)})")
    removed, first, last = 0, None, None
    for frame_index, regions in enumerate(plan.frames):
        hit = regions.track_id == track_id
        if hit.any():
            removed += int(hit.sum())
            first = frame_index if first is None else first
            last = frame_index
            plan.frames[frame_index] = regions.take(~hit)
    _record(plan, "drop-track", by, reason, track=track_id, frames=[first, last], regions=removed)
    return removed


def add_zone(plan: Plan, box: Box, frames: tuple[int, int] | None = None, label: str = "",
             by: str = "", reason: str = "") -> Zone:
    """A rectangle redacted on every frame of the range (default: all)."""
    first, last = frames if frames else (0, None)
    zone = Zone(box, first, last, label)
    plan.zones.append(zone)
    _record(plan, "add-zone", by, reason, box=list(box), frames=[first, last], label=label)
    return zone


def _id_list(plan: Plan) -> str:
    ids = plan.track_ids()
    if not ids:
        return "none"
    return ", ".join(map(str, ids[:20])) + (" …" if len(ids) > 20 else "")
