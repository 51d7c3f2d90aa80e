"""Photos: real annotated faces redacted; the rest of the picture, and
nothing else, kept."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from blur.pipeline import Redactor
from blur.redact import grow
from blur.settings import RedactSettings, Settings
from tests.conftest import WIDER

LARGE_PX = 60


def _photos_with_large_faces(count: int) -> list[str]:
    """Every 10th photo, in name order, of those with three or more faces at
    least LARGE_PX tall: chosen by a rule, not by how blur does on them."""
    boxes = json.loads((WIDER / "boxes.json").read_text())
    chosen = sorted(k for k, v in boxes.items() if sum(h >= LARGE_PX for _, _, _, h in v) >= 3)
    return chosen[::10][:count]


PHOTOS = _photos_with_large_faces(8)


@pytest.fixture(scope="module")
def solid_redactor():
    with Redactor(Settings(redact=RedactSettings(mode="solid", color=(255, 0, 255)))) as shared:
        yield shared


def _changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2) > 0


def test_annotated_faces_covered_and_background_kept(tmp_path, wider_boxes, solid_redactor):
    covered = []
    for relative in PHOTOS:
        covered += _redact_and_check(relative, tmp_path, wider_boxes, solid_redactor)
    assert np.mean(covered) >= 0.9, f"{sum(covered)} of {len(covered)} large faces covered"


def _redact_and_check(relative, tmp_path, wider_boxes, solid_redactor) -> list[bool]:
    source = tmp_path / "photo.png"  # lossless, so "unchanged" means identical
    Image.open(WIDER / relative).convert("RGB").save(source)
    output = tmp_path / "photo.redacted.png"
    output.unlink(missing_ok=True)
    plan = solid_redactor.scan(source)
    solid_redactor.render(source, plan, output)
    before = np.asarray(Image.open(source).convert("RGB"))
    after = np.asarray(Image.open(output).convert("RGB"))
    assert after.shape == before.shape
    changed = _changed(before, after)

    # Nothing changed outside the plan's regions: redaction is local.
    in_a_region = np.zeros_like(changed)
    for x1, y1, x2, y2 in grow(plan.regions(0), solid_redactor.settings.redact.mask_scale):
        in_a_region[max(0, y1) : y2, max(0, x1) : x2] = True
    assert not changed[~in_a_region].any(), relative
    large = [(x, y, w, h) for x, y, w, h in wider_boxes[relative] if h >= LARGE_PX]
    return [changed[y : y + h, x : x + w].mean() >= 0.7 for x, y, w, h in large]


def test_jpeg_stays_jpeg_same_size_close_to_original(tmp_path, redactor):
    source = WIDER / PHOTOS[0]
    output = tmp_path / "out.jpg"
    redactor.redact(source, output)
    with Image.open(source) as a, Image.open(output) as b:
        assert b.format == "JPEG"
        assert b.size == a.size
        corner_a = np.asarray(a.convert("RGB"))[:60, :60].astype(int)
        corner_b = np.asarray(b.convert("RGB"))[:60, :60].astype(int)
    assert np.abs(corner_a - corner_b).mean() < 3


def _assert_faces_redacted_rest_kept(before: np.ndarray, after: np.ndarray, boxes) -> None:
    """Each large annotated face changed by more than 12 levels on average;
    the top-left corner, far from them, by under 3."""
    for x, y, w, h in [box for box in boxes if box[3] >= LARGE_PX]:
        assert np.abs(before[y:y + h, x:x + w] - after[y:y + h, x:x + w]).mean() > 12
    assert np.abs(before[:40, :40] - after[:40, :40]).mean() < 3


FORMATS = {".png": "PNG", ".webp": "WEBP", ".tiff": "TIFF", ".avif": "AVIF", ".heic": "HEIF"}


@pytest.mark.parametrize("suffix", FORMATS)
def test_other_formats_keep_their_format(suffix, tmp_path, redactor, wider_boxes):
    """PNG, WebP, TIFF (archives, scans), AVIF and HEIC (phones) come out in
    their own format at their own size, faces redacted, the rest kept."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    source = tmp_path / f"in{suffix}"
    Image.open(WIDER / PHOTOS[1]).save(source, quality=95)
    output = tmp_path / f"out{suffix}"
    redactor.redact(source, output)
    with Image.open(source) as a, Image.open(output) as b:
        assert b.format == FORMATS[suffix] and b.size == a.size
        before, after = np.asarray(a.convert("RGB")).astype(int), np.asarray(b.convert("RGB")).astype(int)
    _assert_faces_redacted_rest_kept(before, after, wider_boxes[PHOTOS[1]])


def test_a_photo_of_several_images_is_refused(tmp_path, redactor):
    """Only one image would be redacted and written: the others would be
    lost without a word."""
    from blur.errors import InputError

    source = tmp_path / "pages.tiff"
    page = Image.open(WIDER / PHOTOS[1])
    page.save(source, save_all=True, append_images=[page.copy()])
    with pytest.raises(InputError, match="^[^(]*pages.tiff: holds 2 images"):
        redactor.redact(source, tmp_path / "out.tiff")


def test_a_phone_jpeg_with_a_preview_is_redacted_without_it(tmp_path, redactor, wider_boxes):
    """Many phones and cameras store a preview (or a depth map) after the
    picture in the same JPEG (MPO). The picture is redacted and written; the
    preview, an unredacted copy, is not."""
    photo = Image.open(WIDER / PHOTOS[1])
    preview = photo.resize((photo.width // 2, photo.height // 2))
    source = tmp_path / "phone.jpg"
    photo.save(source, format="MPO", save_all=True, append_images=[preview], quality=95)
    assert Image.open(source).n_frames == 2
    output = tmp_path / "out.jpg"
    redactor.redact(source, output)
    with Image.open(output) as result:
        assert result.format == "JPEG" and getattr(result, "n_frames", 1) == 1 and result.size == photo.size
        after = np.asarray(result.convert("RGB")).astype(int)
    before = np.asarray(photo.convert("RGB")).astype(int)
    _assert_faces_redacted_rest_kept(before, after, wider_boxes[PHOTOS[1]])


def _grey16(image: Image.Image) -> Image.Image:
    return Image.fromarray(np.asarray(image.convert("L")).astype(np.uint16) * 257)


@pytest.mark.parametrize(("name", "make", "mode_out", "as_rgb"), [
    # a 16-bit scan: scaled to 8 bits (Pillow's own conversion clips it, turning it white)
    ("grey16.png", _grey16, "L", lambda im: np.asarray(im).astype(int) // 257),
    ("grey.jpg", lambda im: im.convert("L"), "L", lambda im: np.asarray(im).astype(int)),
    # print photos: written as RGB, looking as they did
    ("print.jpg", lambda im: im.convert("CMYK"), "RGB", lambda im: np.asarray(im.convert("RGB")).astype(int)),
])
def test_grey_16_bit_and_cmyk_photos_look_as_they_did(name, make, mode_out, as_rgb, tmp_path, redactor,
                                                      wider_boxes):
    source = tmp_path / name
    make(Image.open(WIDER / PHOTOS[1])).save(source, quality=95)
    output = tmp_path / f"out{source.suffix}"
    redactor.redact(source, output)
    with Image.open(source) as a, Image.open(output) as b:
        assert b.mode == mode_out and b.size == a.size
        before, after = as_rgb(a), np.asarray(b).astype(int)
    _assert_faces_redacted_rest_kept(before, after, wider_boxes[PHOTOS[1]])
