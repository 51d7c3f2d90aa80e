"""Shared fixtures: paths to the real data, and a maker of small clips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.clips import VideoFacts, probe

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
VIDEOS = SHARED / "videos"
WIDER = SHARED / "wider-face-val"


@pytest.fixture(scope="session")
def wider_boxes() -> dict[str, list[list[int]]]:
    return json.loads((WIDER / "boxes.json").read_text())


@pytest.fixture(scope="session")
def redactor():
    """One Redactor with default settings for the whole session (the models
    load once)."""
    from blur.pipeline import Redactor
    from blur.settings import Settings

    with Redactor(Settings()) as shared:
        yield shared


__all__ = ["ROOT", "SHARED", "VIDEOS", "WIDER", "VideoFacts", "probe"]
