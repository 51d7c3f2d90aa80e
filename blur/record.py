"""The disclosure record: what was released, made how, for whom and why.

Written as JSON beside every rendered output. The UK regulator's CCTV guidance
asks for the date, who received footage and why, and what was redacted; the
hashes tie the record to the exact input and output files. It holds counts,
settings and hashes only: no face images, no face crops, no embeddings.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from blur import __version__
from blur.digest import sha256_of
from blur.outputs import atomic_output
from blur.plan import Plan
from blur.regions import SOURCES

RECORD_FORMAT = "blur-disclosure-record"
RECORD_VERSION = 1


@dataclass(frozen=True)
class Disclosure:
    """Who the output is for, why, and who checked it (all optional)."""

    requester: str = ""
    reason: str = ""
    reviewer: str = ""


def record_path(output: Path) -> Path:
    """Where the record for an output goes: beside it, NAME.EXT.record.json."""
    return output.with_name(output.name + ".record.json")


def build_record(plan: Plan, output: Path, settings: dict[str, Any], removed: dict[str, Any],
                 disclosure: Disclosure) -> dict[str, Any]:
    """The record's content. removed: {"metadata": [keys], "audio": ...}."""
    by_source: Counter[str] = Counter()
    for regions in plan.frames:
        by_source.update(SOURCES[code] for code in regions.source.tolist())
    manual_tracks = {e["track"] for e in plan.edits if e.get("action") == "add-region"}
    return {
        "format": RECORD_FORMAT,
        "version": RECORD_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "tool": {"name": "blur", "version": __version__},
        "models": plan.models,
        "settings": settings,
        "input": {"path": plan.source.path, "sha256": plan.source.sha256, "size_bytes": plan.source.size_bytes},
        "output": {"path": str(output), "sha256": sha256_of(output), "size_bytes": output.stat().st_size},
        "frames": plan.source.frame_count,
        "tracks": len(set(plan.track_ids()) - manual_tracks),
        "redacted": {
            "face_regions": {name: by_source.get(name, 0) for name in SOURCES if name != "manual"},
            "manual_regions": by_source.get("manual", 0),
            "manual_tracks": len(manual_tracks),
            "zones": [{"box": list(z.box), "first_frame": z.first_frame, "last_frame": z.last_frame,
                       "label": z.label} for z in plan.zones],
        },
        "not_redacted": [e for e in plan.edits if e.get("action") == "drop-track"],
        "edits": plan.edits,
        "removed": removed,
        "requester": disclosure.requester,
        "reason": disclosure.reason,
        "reviewer": disclosure.reviewer,
    }


def write_record(record: dict[str, Any], output: Path) -> Path:
    path = record_path(output)
    with atomic_output(path, force=True) as partial:
        partial.write_text(json.dumps(record, indent=1) + "\n")
    return path
