"""Turning stored frames upright for the detector, and boxes back.

Phone videos are stored sideways with a rotation for the player. Detectors
miss sideways faces, so each frame is turned upright before detection and the
boxes found are turned back into the stored frame, where redaction happens.
"""

from __future__ import annotations

import numpy as np

from blur.regions import FaceRegions


def quarter_turns(rotation_deg: int) -> int:
    """Counter-clockwise quarter turns (0-3) for a player rotation in degrees."""
    return (round(rotation_deg / 90)) % 4


def upright(image: np.ndarray, rotation_deg: int) -> np.ndarray:
    """The frame as a player shows it (a view, not a copy)."""
    return np.rot90(image, quarter_turns(rotation_deg))


def to_stored(regions: FaceRegions, rotation_deg: int, stored_width: int, stored_height: int) -> FaceRegions:
    """Boxes found in the upright frame, expressed in the stored frame."""
    turns = quarter_turns(rotation_deg)
    if turns == 0 or not len(regions):
        return regions
    x1, y1, x2, y2 = regions.xyxy.T
    w, h = float(stored_width), float(stored_height)
    if turns == 1:
        corners = (w - y2, x1, w - y1, x2)
    elif turns == 2:
        corners = (w - x2, h - y2, w - x1, h - y1)
    else:
        corners = (y1, h - x2, y2, h - x1)
    xyxy = np.stack(corners, axis=1).astype(np.float32)
    return FaceRegions(xyxy, regions.score, regions.track_id, regions.source)
