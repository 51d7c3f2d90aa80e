"""The benchmarks that reach into blur's modules still run against them: a
short real clip through each one's measuring step (not its timings)."""

from __future__ import annotations

import sys

import pytest

from tests.conftest import ROOT, VIDEOS

sys.path.insert(0, str(ROOT / "benchmarks"))

import cctv  # noqa: E402
import cpu_parts  # noqa: E402
from speed import scaled_loop  # noqa: E402


@pytest.fixture(scope="module")
def cctv_clip(tmp_path_factory):
    return scaled_loop(VIDEOS / "debian-opencv-doc_vtest.avi", tmp_path_factory.mktemp("bench") / "cctv.mp4",
                       (640, 480), 40)


def test_cpu_parts_measures_every_part_on_a_real_clip(cctv_clip):
    frame_count, cpu, calls = cpu_parts.parts(cctv_clip)

    assert frame_count == 40
    assert sum(calls.values()) >= 20  # every other frame at least, the first and last in full
    for part in ("searching, in all", "tracking", "redaction"):
        assert cpu[part] > 0, part


def test_cctv_truth_is_per_frame_boxes_inside_the_frame(tmp_path):
    street = scaled_loop(VIDEOS / "dlib_MOT17-13-SDP-raw.h265", tmp_path / "street.mp4", (1920, 1080), 8)

    faces = cctv.confident_faces(street)

    assert len(faces) == 8
    assert sum(1 for frame in faces if frame) >= 6  # the street's pedestrians face the camera in most frames
    boxes = [box for frame in faces for box in frame]
    assert all(0 <= x and 0 <= y and x + w <= 1920 and y + h <= 1080 and w > 0 and h > 0 for x, y, w, h in boxes)
