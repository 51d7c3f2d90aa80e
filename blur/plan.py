"""The redaction plan: every face region in every frame, where it came from,
and what produced it. Written by ``blur scan``, applied by ``blur render``.

The JSON form is versioned; the README documents it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from blur.errors import PlanError
from blur.outputs import atomic_output
from blur.regions import SOURCE_CODES, SOURCES, FaceRegions

PLAN_FORMAT = "blur-plan"
PLAN_VERSION = 2  # 2 added zones and edits; version 1 plans are read as having none
_READABLE_VERSIONS = (1, 2)


@dataclass(frozen=True)
class Zone:
    """A rectangle that is always redacted (a window, a screen), over a range
    of frames (inclusive; ``last_frame`` None means to the end)."""

    box: tuple[float, float, float, float]
    first_frame: int = 0
    last_frame: int | None = None
    label: str = ""

    def covers(self, frame_index: int) -> bool:
        return self.first_frame <= frame_index and (self.last_frame is None or frame_index <= self.last_frame)


@dataclass(frozen=True)
class SourceInfo:
    """The file a plan was made from, so render can check it gets the same one."""

    path: str
    sha256: str
    size_bytes: int
    kind: str  # "video" or "photo"
    width: int
    height: int
    frame_count: int
    time_base: str  # e.g. "1/12800"; "1/1" for photos
    frame_rate: str  # e.g. "30000/1001"; "0/1" for photos


@dataclass
class Plan:
    """Face regions per frame (index = frame index), plus provenance."""

    source: SourceInfo
    settings: dict[str, Any]
    models: list[dict[str, str]]
    frames: list[FaceRegions] = field(default_factory=list)
    zones: list[Zone] = field(default_factory=list)
    # What people changed by hand, in order: {"action", "by", "reason", ...}
    edits: list[dict[str, Any]] = field(default_factory=list)
    # Frames where a new shot starts.
    cuts: list[int] = field(default_factory=list)
    # How each frame was searched: F full resolution, L light, C light with a close
    # look at small faces, - not at all.
    searches: str = ""

    def zones_at(self, frame_index: int) -> FaceRegions:
        """The zones covering a frame, as manual regions (track -1)."""
        boxes = [zone.box for zone in self.zones if zone.covers(frame_index)]
        return FaceRegions.build(boxes, [1.0] * len(boxes), source="manual") if boxes else FaceRegions.empty()

    def track_ids(self) -> list[int]:
        return sorted({int(t) for regions in self.frames for t in regions.track_id if t >= 0})

    def regions(self, frame_index: int) -> FaceRegions:
        if 0 <= frame_index < len(self.frames):
            return self.frames[frame_index]
        return FaceRegions.empty()

    def track_count(self) -> int:
        ids = {int(t) for regions in self.frames for t in regions.track_id}
        return len(ids)

    def region_count(self) -> int:
        return sum(len(regions) for regions in self.frames)

    def to_dict(self) -> dict[str, Any]:
        tracks: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for frame_index, regions in enumerate(self.frames):
            for box, score, track_id, source in zip(
                regions.xyxy.tolist(), regions.score.tolist(), regions.track_id.tolist(), regions.source.tolist()
            ):
                tracks[track_id].append(
                    {
                        "frame": frame_index,
                        "box": [round(v, 1) for v in box],
                        "score": round(score, 4),
                        "source": SOURCES[source],
                    }
                )
        return {
            "format": PLAN_FORMAT,
            "version": PLAN_VERSION,
            "source": dict(self.source.__dict__),
            "settings": self.settings,
            "models": self.models,
            "tracks": [{"id": track_id, "frames": tracks[track_id]} for track_id in sorted(tracks)],
            "zones": [
                {"box": [round(v, 1) for v in zone.box], "first_frame": zone.first_frame,
                 "last_frame": zone.last_frame, "label": zone.label}
                for zone in self.zones
            ],
            "edits": self.edits,
            "cuts": self.cuts,
            "searches": self.searches,
        }

    def save(self, path: Path) -> None:
        with atomic_output(path, force=True) as partial:
            partial.write_text(json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "plan") -> Plan:
        if data.get("format") != PLAN_FORMAT:
            raise PlanError(f"{origin}: format is {data.get('format')!r}, expected {PLAN_FORMAT!r}")
        if data.get("version") not in _READABLE_VERSIONS:
            raise PlanError(f"{origin}: version {data.get('version')!r} is not supported (expected {PLAN_VERSION})")
        try:
            source = SourceInfo(**data["source"])
        except (KeyError, TypeError) as error:
            raise PlanError(f"{origin}: source is malformed ({error})") from None
        per_frame: list[list[tuple[list[float], float, int, int]]] = [[] for _ in range(source.frame_count)]
        for track_number, track in enumerate(data.get("tracks", [])):
            track_id = _field(track, "id", int, f"{origin}: tracks[{track_number}]")
            for entry_number, entry in enumerate(track.get("frames", [])):
                where = f"{origin}: track {track_id} frames[{entry_number}]"
                frame_index = _field(entry, "frame", int, where)
                if not 0 <= frame_index < source.frame_count:
                    raise PlanError(f"{where}: frame {frame_index} is outside 0-{source.frame_count - 1}")
                box = _box(entry, where)
                source_name = _field(entry, "source", str, where)
                if source_name not in SOURCE_CODES:
                    raise PlanError(f"{where}: source {source_name!r} is not one of {', '.join(SOURCES)}")
                score = float(entry.get("score", 1.0))
                per_frame[frame_index].append((box, score, track_id, SOURCE_CODES[source_name]))
        frames = [_regions_from_rows(rows) for rows in per_frame]
        zones = [_zone(entry, f"{origin}: zones[{number}]", source.frame_count)
                 for number, entry in enumerate(data.get("zones", []))]
        edits = data.get("edits", [])
        if not isinstance(edits, list):
            raise PlanError(f"{origin}: edits {edits!r} is not a list")
        cuts = data.get("cuts", [])
        if not isinstance(cuts, list) or not all(isinstance(c, int) and 0 <= c < source.frame_count for c in cuts):
            raise PlanError(f"{origin}: cuts {cuts!r} is not a list of frame numbers")
        searches = data.get("searches", "")
        if not isinstance(searches, str) or set(searches) - set("FLC-"):
            raise PlanError(f"{origin}: searches is not a string of F, L, C and -")
        return cls(source, data.get("settings", {}), data.get("models", []), frames, zones, edits, cuts, searches)

    @classmethod
    def load(cls, path: Path) -> Plan:
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise PlanError(f"{path}: no such plan file") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise PlanError(f"{path}: not a readable JSON plan ({error})") from None
        if not isinstance(data, dict):
            raise PlanError(f"{path}: not a blur plan (top level is not an object)")
        return cls.from_dict(data, str(path))


def _field(entry: Any, name: str, kind: type, where: str) -> Any:
    if not isinstance(entry, dict) or name not in entry:
        raise PlanError(f"{where}: missing {name!r}")
    value = entry[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise PlanError(f"{where}: {name} {value!r} is not a {kind.__name__}")
    return value


def _box(entry: Any, where: str) -> list[float]:
    box = _field(entry, "box", list, where)
    if len(box) != 4 or not all(isinstance(v, (int, float)) for v in box) or box[2] < box[0] or box[3] < box[1]:
        raise PlanError(f"{where}: box {box} is not [x1, y1, x2, y2] with x1<=x2, y1<=y2")
    return box


def _zone(entry: Any, where: str, frame_count: int) -> Zone:
    box = _box(entry, where)
    first = entry.get("first_frame", 0)
    last = entry.get("last_frame")
    if not isinstance(first, int) or not 0 <= first < frame_count:
        raise PlanError(f"{where}: first_frame {first!r} is outside 0-{frame_count - 1}")
    if last is not None and (not isinstance(last, int) or not first <= last < frame_count):
        raise PlanError(f"{where}: last_frame {last!r} is not between first_frame {first} and {frame_count - 1}")
    return Zone(tuple(float(v) for v in box), first, last, str(entry.get("label", "")))


def _regions_from_rows(rows: list[tuple[list[float], float, int, int]]) -> FaceRegions:
    if not rows:
        return FaceRegions.empty()
    return FaceRegions(
        np.array([r[0] for r in rows], np.float32),
        np.array([r[1] for r in rows], np.float32),
        np.array([r[2] for r in rows], np.int32),
        np.array([r[3] for r in rows], np.uint8),
    )
