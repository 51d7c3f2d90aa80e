"""Redaction modes: what is inside a region changes beyond recovery, what is
outside does not change at all."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from blur.errors import SettingsError
from blur.media import i420_planes
from blur.redact import grow, redact_frame, redact_i420, redactor
from blur.regions import FaceRegions
from blur.settings import RedactSettings
from tests.clips import astronaut_face_box, astronaut_frame

FRAME_W, FRAME_H = 640, 480


def _face() -> tuple[np.ndarray, FaceRegions]:
    image = astronaut_frame(FRAME_W, FRAME_H)
    return image, FaceRegions.build([astronaut_face_box(FRAME_W, FRAME_H)], [0.9])


@pytest.mark.parametrize("mode", ["blur", "pixelate", "solid"])
@pytest.mark.parametrize("shape", ["ellipse", "box"])
def test_inside_changes_outside_does_not(mode, shape):
    image, regions = _face()
    original = image.copy()
    settings = RedactSettings(mode=mode, shape=shape)
    redact_frame(image, regions, settings)
    x1, y1, x2, y2 = astronaut_face_box(FRAME_W, FRAME_H)
    inside = np.abs(image[y1:y2, x1:x2].astype(int) - original[y1:y2, x1:x2]).mean()
    assert inside > 20
    gx1, gy1, gx2, gy2 = grow(regions, settings.mask_scale)[0]
    outside = np.ones(image.shape[:2], bool)
    outside[max(gy1, 0) : gy2, max(gx1, 0) : gx2] = False
    assert np.array_equal(image[outside], original[outside])


def test_detail_is_gone_at_every_face_size():
    """The face region keeps only a handful of distinct values across, at any
    size: strength scales with the face."""
    for side in (40, 120, 400):
        image = np.random.default_rng(side).integers(0, 256, (side * 2, side * 2, 3), np.uint8)
        regions = FaceRegions.build([[side / 2, side / 2, side * 1.5, side * 1.5]], [1.0])
        redact_frame(image, regions, RedactSettings(mode="pixelate", shape="box"))
        row = image[side, side // 2 : side * 3 // 2, 0]
        assert len(np.unique(row)) <= 7


def test_blur_leaves_no_fine_detail():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (400, 400, 3), np.uint8)
    redact_frame(image, FaceRegions.build([[100, 100, 300, 300]], [1.0]), RedactSettings(mode="blur", shape="box"))
    patch = image[140:260, 140:260].astype(float)
    # Neighbouring pixels of random noise differ by ~85 on average; after
    # redaction, by well under one grey level.
    assert np.abs(np.diff(patch, axis=1)).mean() < 1.0


def test_solid_uses_the_colour():
    image, regions = _face()
    redact_frame(image, regions, RedactSettings(mode="solid", shape="box", color=(255, 0, 128)))
    x1, y1, x2, y2 = astronaut_face_box(FRAME_W, FRAME_H)
    assert (image[(y1 + y2) // 2, (x1 + x2) // 2] == (255, 0, 128)).all()


def test_face_at_frame_edge_is_covered_to_the_edge():
    image = np.full((100, 100, 3), 200, np.uint8)
    redact_frame(image, FaceRegions.build([[-20, 30, 20, 70]], [1.0]), RedactSettings(mode="solid"))
    assert (image[50, 0:15] == 0).all()


def test_no_regions_is_a_no_op():
    image, _ = _face()
    original = image.copy()
    redact_frame(image, FaceRegions.empty(), RedactSettings())
    assert np.array_equal(image, original)


def test_unknown_mode_lists_the_valid_ones():
    with pytest.raises(SettingsError, match="blur, pixelate, solid"):
        redactor("smudge")
    with pytest.raises(SettingsError, match="mode"):
        RedactSettings(mode="smudge")


def test_where_regions_overlap_the_coarser_redaction_wins():
    """A small false hit on a large face must not bring back finer detail."""
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (400, 400, 3), np.uint8)
    large, small = [100, 100, 300, 300], [180, 180, 200, 200]
    settings = RedactSettings(mode="pixelate", shape="box", mask_scale=1.0)
    both = redact_frame(image.copy(), FaceRegions.build([small, large], [0.1, 0.9]), settings)
    large_only = redact_frame(image.copy(), FaceRegions.build([large], [0.9]), settings)
    # Equal up to rounding: the small region's cells are averaged first, and
    # the large cells then average those averages.
    assert np.abs(both.astype(int) - large_only).max() <= 1
    # And no finer detail: the large face's cells (64 px, on a grid fixed to
    # the frame) that hold the small region are each one flat colour.
    for y, x in ((128, 128), (192, 192)):
        cell = both[y: y + 64, x: x + 64].reshape(-1, 3)
        assert (cell == cell[0]).all()



@pytest.mark.parametrize("mode", ["blur", "pixelate"])
def test_a_face_looks_the_same_whoever_shares_its_frame(mode):
    """Cells lie on a grid fixed to the frame: a face of the same cell size
    cut off by the bottom edge (470 px is not whole cells) does not shift or
    stretch the cells of a face far from it, so its redaction does not
    shimmer as others come and go."""
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (470, 640, 3), np.uint8)
    face, cut_off = [100, 100, 180, 180], [400, 420, 480, 500]
    settings = RedactSettings(mode=mode, shape="box")
    alone = redact_frame(image.copy(), FaceRegions.build([face], [0.9]), settings)
    shared = redact_frame(image.copy(), FaceRegions.build([face, cut_off], [0.9, 0.9]), settings)
    x1, y1, x2, y2 = grow(FaceRegions.build([face], [0.9]), settings.mask_scale)[0]
    assert not np.array_equal(alone[y1:y2, x1:x2], image[y1:y2, x1:x2])
    assert np.array_equal(shared[y1:y2, x1:x2], alone[y1:y2, x1:x2])
    assert not np.array_equal(shared[440:, 420:460], image[440:, 420:460])

def test_a_crowd_of_regions_is_all_covered():
    """Hundreds of regions of many sizes (grouped by cell size): every one
    is changed, and nothing outside them is."""
    rng = np.random.default_rng(4)
    image = rng.integers(0, 256, (720, 1280, 3), np.uint8)
    original = image.copy()
    corners = rng.uniform(0, [1240, 680], (300, 2))
    sides = rng.uniform(6, 60, 300)
    regions = FaceRegions.build(np.concatenate([corners, corners + sides[:, None]], axis=1), np.full(300, 0.5))
    settings = RedactSettings(mode="blur", shape="box", mask_scale=1.0)
    redact_frame(image, regions, settings)
    changed = np.abs(image.astype(int) - original).sum(axis=2) > 0
    inside = np.zeros(changed.shape, bool)
    for x1, y1, x2, y2 in np.maximum(grow(regions, 1.0), 0):
        inside[y1:y2, x1:x2] = True
        assert changed[y1:y2, x1:x2].mean() > 0.9
    assert not changed[~inside].any()


def _i420(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2YUV_I420)


@pytest.mark.parametrize("mode", ["blur", "pixelate", "solid"])
def test_planar_frames_are_redacted_like_rgb_ones(mode):
    """A 4:2:0 frame redacted plane by plane looks like the RGB frame
    redacted directly, and keeps every sample outside the grown box (up to
    the two-pixel chroma grid) exactly."""
    image, regions = _face()
    settings = RedactSettings(mode=mode, color=(200, 30, 90))
    planar = _i420(image)
    original = planar.copy()
    redact_i420(planar, regions, settings)
    as_rgb = cv2.cvtColor(planar, cv2.COLOR_YUV2RGB_I420).astype(int)
    direct = redact_frame(cv2.cvtColor(_i420(image), cv2.COLOR_YUV2RGB_I420), regions, settings).astype(int)
    x1, y1, x2, y2 = astronaut_face_box(FRAME_W, FRAME_H)
    assert np.abs(as_rgb[y1:y2, x1:x2] - direct[y1:y2, x1:x2]).mean() < 6
    assert np.abs(as_rgb[y1:y2, x1:x2] - image[y1:y2, x1:x2]).mean() > 20
    gx1, gy1, gx2, gy2 = (grow(regions, settings.mask_scale)[0] // 2 * 2 + [0, 0, 2, 2]).tolist()
    outside = np.ones((FRAME_H, FRAME_W), bool)
    outside[max(gy1, 0): gy2, max(gx1, 0): gx2] = False
    assert np.array_equal(planar[:FRAME_H][outside], original[:FRAME_H][outside])
    assert not np.array_equal(planar[FRAME_H:], original[FRAME_H:])  # chroma redacted too


def test_planar_planes_when_half_the_height_is_odd():
    height, width = 366, 960  # as a real 960x366 stream: chroma 183 rows
    image = np.arange(height * 3 // 2 * width, dtype=np.uint32).astype(np.uint8).reshape(-1, width)
    luma, u, v = i420_planes(image)
    assert luma.shape == (366, 960) and u.shape == v.shape == (183, 480)
    u[...] = 1
    v[...] = 2
    flat = image.reshape(-1)
    assert (flat[366 * 960: 366 * 960 + 183 * 480] == 1).all() and (flat[-183 * 480:] == 2).all()


@pytest.mark.parametrize("cell_px", [8, 16])
def test_pixelate_cells_are_flat_means_of_their_pixels(cell_px):
    """Each cell is one value, the mean of its pixels to within rounding (the
    means come from halving the frame again and again); a part cell at the
    bottom edge is flat too (its last row weighs more, as each halving
    repeats an odd edge)."""
    height, width = cell_px * 3 + 5, cell_px * 4  # six cells across the longer side: cells of cell_px
    image = np.random.default_rng(cell_px).integers(0, 256, (height, width), np.uint8)
    image = np.repeat(image[:, :, None], 3, axis=2)
    # Taller than the frame, as the region is lifted a tenth of its height: it covers every row.
    out = redact_frame(image.copy(), FaceRegions.build([[0, 0, width, height * 1.2]], [1.0]),
                       RedactSettings(mode="pixelate", shape="box", mask_scale=1.0))
    for y in range(0, height, cell_px):
        for x in range(0, width, cell_px):
            cell = out[y: y + cell_px, x: x + cell_px]
            assert (cell == cell[0, 0]).all()
            if cell.shape[0] == cell_px:
                assert abs(int(cell[0, 0, 0]) - image[y: y + cell_px, x: x + cell_px, 0].mean()) <= 1.5
