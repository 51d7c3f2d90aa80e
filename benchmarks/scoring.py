"""Scoring redaction from output pixels, shared by the benchmarks.

The benchmarks redact in solid magenta and find the redaction in the output
pixels, so what is scored is what a viewer would see, not what the code
meant to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

MAGENTA = (255, 0, 255)
MAGENTA_HEX = "FF00FF"
COVERED_FRACTION = 0.7  # a face counts as redacted when this much of its box is
HEIGHT_BUCKETS = ((0, 10, "<10 px"), (10, 20, "10-19 px"), (20, 40, "20-39 px"), (40, 80, "40-79 px"), (80, 10**6, ">=80 px"))


def redacted_mask(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Pixels that are magenta in the output and were not in the input."""
    def near(image: np.ndarray) -> np.ndarray:
        distance = np.abs(image.astype(np.int16) - np.array(MAGENTA, np.int16)).sum(axis=2)
        return distance < 90
    return near(after) & ~near(before)


def coverage(mask: np.ndarray, box_xywh: tuple[float, float, float, float]) -> float:
    """Fraction of a face box (x, y, w, h) that is redacted."""
    height_px, width_px = mask.shape
    x, y, w, h = box_xywh
    x1, y1 = max(0, int(round(x))), max(0, int(round(y)))
    x2, y2 = min(width_px, int(round(x + w))), min(height_px, int(round(y + h)))
    if x2 <= x1 or y2 <= y1:
        return 0.0
    return float(mask[y1:y2, x1:x2].mean())


def false_regions(mask: np.ndarray, boxes_xywh: list) -> int:
    """Connected redacted areas that contain no annotated face centre."""
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    with_face = set()
    for x, y, w, h in boxes_xywh:
        cx = min(mask.shape[1] - 1, max(0, int(x + w / 2)))
        cy = min(mask.shape[0] - 1, max(0, int(y + h / 2)))
        with_face.add(int(labels[cy, cx]))
    return sum(1 for label in range(1, count) if label not in with_face and stats[label, cv2.CC_STAT_AREA] >= 16)


def height_bucket(height_px: float) -> str:
    for low, high, name in HEIGHT_BUCKETS:
        if low <= height_px < high:
            return name
    return HEIGHT_BUCKETS[-1][2]


@dataclass
class Tally:
    """Hits and totals by group name."""

    hits: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)

    def add(self, group: str, hit: bool) -> None:
        self.totals[group] = self.totals.get(group, 0) + 1
        self.hits[group] = self.hits.get(group, 0) + int(hit)

    def recall(self, group: str) -> float | None:
        total = self.totals.get(group, 0)
        return self.hits.get(group, 0) / total if total else None
