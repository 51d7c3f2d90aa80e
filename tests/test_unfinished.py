"""Telling an MP4 cut off before its index from other unreadable files."""

from __future__ import annotations

from pathlib import Path

import pytest

from blur.unfinished import lacks_index
from tests.clips import make_clip
from tests.conftest import VIDEOS


def _box(box_type: bytes, body: bytes = b"") -> bytes:
    return (8 + len(body)).to_bytes(4, "big") + box_type + body


CASES = {
    "whole mp4": (lambda mp4: mp4, False),
    "mp4 cut in its frame data": (lambda mp4: mp4[: len(mp4) // 2], True),
    "mp4 cut just after ftyp": (lambda mp4: mp4[:40], True),
    "HEIF photo (meta, no moov)": (lambda mp4: _box(b"ftyp", b"heic") + _box(b"meta", b"x" * 20), False),
    "not an MP4 at all": (lambda mp4: b"hello, this is text", False),
    "empty": (lambda mp4: b"", False),
}


@pytest.mark.parametrize("case", CASES)
def test_lacks_index(case, tmp_path):
    make, expected = CASES[case]
    mp4 = make_clip(tmp_path / "whole.mp4", frames=10, audio=False).read_bytes()
    path = tmp_path / "probe.mp4"
    path.write_bytes(make(mp4))
    assert lacks_index(path) is expected


@pytest.mark.parametrize("name", ["intel_walk.mkv", "debian-opencv-doc_vtest.avi", "dlib_elon-musk-smoke.gif"])
def test_other_containers_are_not_unfinished_mp4s(name):
    assert not lacks_index(VIDEOS / name)


def test_index_first_then_cut_is_not_unfinished(tmp_path):
    """An MP4 with its index first (web-ready) and its frames cut short
    still opens; it is not called unfinished."""
    path = tmp_path / "indexed.mp4"
    path.write_bytes(_box(b"ftyp", b"isom") + _box(b"moov", b"x" * 50) + (10_000).to_bytes(4, "big") + b"mdat")
    assert not lacks_index(path)


def test_unreadable_path_is_not_unfinished(tmp_path):
    """A path that cannot be read is not called unfinished (the caller's
    own message stands)."""
    assert not lacks_index(tmp_path)  # a folder: reading it raises IsADirectoryError
