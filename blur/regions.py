"""FaceRegions: the one type that crosses stage boundaries.

A set of face regions in one frame, one numpy array per field. The empty set is
an ordinary value with shape ``(0, 4)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

SOURCES = ("detected", "interpolated", "extended", "manual")
SOURCE_CODES = {name: code for code, name in enumerate(SOURCES)}


@dataclass(frozen=True)
class FaceRegions:
    """Face boxes in one frame.

    xyxy: float32 (N, 4) pixel corners x1, y1, x2, y2 in the frame as decoded.
    score: float32 (N,) detector confidence; 1.0 for manual regions.
    track_id: int32 (N,) the track each box belongs to, -1 when not tracked.
    source: uint8 (N,) index into ``SOURCES``.
    """

    xyxy: np.ndarray
    score: np.ndarray
    track_id: np.ndarray
    source: np.ndarray

    def __post_init__(self) -> None:
        count = self.xyxy.shape[0] if self.xyxy.ndim == 2 else -1
        if self.xyxy.shape != (count, 4) or self.xyxy.dtype != np.float32:
            raise ValueError(f"xyxy must be float32 (N, 4), got {self.xyxy.dtype} {self.xyxy.shape}")
        for name, dtype in (("score", np.float32), ("track_id", np.int32), ("source", np.uint8)):
            array = getattr(self, name)
            if array.shape != (count,) or array.dtype != dtype:
                raise ValueError(f"{name} must be {np.dtype(dtype)} ({count},), got {array.dtype} {array.shape}")

    @classmethod
    def empty(cls) -> FaceRegions:
        return cls.build(np.zeros((0, 4), np.float32), np.zeros(0, np.float32))

    @classmethod
    def build(
        cls,
        xyxy: np.ndarray | Sequence[Sequence[float]],
        score: np.ndarray | Sequence[float],
        track_id: np.ndarray | Sequence[int] | None = None,
        source: str = "detected",
    ) -> FaceRegions:
        """Build from boxes and scores; every box gets the same source."""
        boxes = np.asarray(xyxy, np.float32).reshape(-1, 4)
        count = boxes.shape[0]
        ids = np.full(count, -1, np.int32) if track_id is None else np.asarray(track_id, np.int32)
        return cls(
            boxes,
            np.asarray(score, np.float32).reshape(count),
            ids.reshape(count),
            np.full(count, SOURCE_CODES[source], np.uint8),
        )

    def __len__(self) -> int:
        return int(self.xyxy.shape[0])

    def take(self, keep: np.ndarray) -> FaceRegions:
        """The subset selected by a boolean mask or index array."""
        return FaceRegions(self.xyxy[keep], self.score[keep], self.track_id[keep], self.source[keep])

    @staticmethod
    def concat(parts: Sequence[FaceRegions]) -> FaceRegions:
        if not parts:
            return FaceRegions.empty()
        return FaceRegions(
            np.concatenate([p.xyxy for p in parts]),
            np.concatenate([p.score for p in parts]),
            np.concatenate([p.track_id for p in parts]),
            np.concatenate([p.source for p in parts]),
        )

    def source_names(self) -> list[str]:
        return [SOURCES[code] for code in self.source]

    def heights(self) -> np.ndarray:
        return self.xyxy[:, 3] - self.xyxy[:, 1]
