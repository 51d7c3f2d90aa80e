"""Detection engines and the tiling they use, on real faces."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from blur.detect import build_detector
from blur.detect.tiling import box_iou_matrix, merge_overlapping, tile_grid
from blur.errors import SettingsError
from blur.regions import FaceRegions
from blur.settings import DetectSettings


@pytest.mark.parametrize("width, height, side", [(1920, 1080, 384), (641, 359, 384), (200, 100, 384), (768, 768, 768)])
def test_tiles_cover_every_pixel_and_overlap(width, height, side):
    covered = np.zeros((height, width), bool)
    tiles = tile_grid(width, height, side, overlap=0.25)
    for tile in tiles:
        covered[tile.y0 : tile.y0 + side, tile.x0 : tile.x0 + side] = True
    assert covered.all()
    xs = sorted({t.x0 for t in tiles})
    assert all(b - a <= side * 0.75 + 1 for a, b in zip(xs, xs[1:]))


def test_merge_keeps_distinct_faces_and_drops_duplicates():
    regions = FaceRegions.build([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], [0.5, 0.9, 0.4])
    merged = merge_overlapping(regions)
    assert len(merged) == 2
    assert 0.9 in merged.score and 0.4 in merged.score
    assert merge_overlapping(FaceRegions.empty()).xyxy.shape == (0, 4)
    assert box_iou_matrix(regions.xyxy, regions.xyxy)[0, 2] == 0


@pytest.mark.parametrize("engine, threshold", [("blazeface", 0.3), ("centerface", 0.12)])
def test_engine_finds_the_astronaut(engine, threshold):
    image = np.ascontiguousarray(data.astronaut())
    settings = DetectSettings(detector=engine, threshold=threshold)
    detector = build_detector(settings)
    try:
        found = detector.detect(image)
        blank = detector.detect(np.zeros((300, 400, 3), np.uint8))
    finally:
        detector.close()
    best = found.xyxy[np.argmax(found.score)]
    centre = (best[:2] + best[2:]) / 2
    assert 190 < centre[0] < 260 and 90 < centre[1] < 160, best
    assert len(blank.take(blank.score >= settings.threshold)) == 0


def test_unknown_detector_lists_the_known_ones():
    with pytest.raises(SettingsError, match="blazeface"):
        build_detector(DetectSettings(detector="magic"))
