"""Identifying metadata is stripped by default and kept only when asked."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from blur.settings import EncodeSettings, Settings
from blur.pipeline import Redactor
from tests.clips import make_clip, probe
from tests.conftest import WIDER

SECRETS = {
    "title": "Interview with witness",
    "comment": "camera 3, King St",
    "location": "+51.5074-000.1278/",
    "creation_time": "2024-05-01T10:00:00Z",
    "make": "Apple",
    "model": "iPhone 15",
    "encoder": "Lavc60 secret-build",
}
IDENTIFYING = ("title", "comment", "location", "creation_time", "make", "model", "secret")


def _identifying(tags: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in tags.items()
            if any(word in k.lower() for word in IDENTIFYING) or any(word in v for word in ("witness", "King St", "+51.5", "2024-05-01", "iPhone", "secret"))}


def test_video_tags_stripped_by_default(tmp_path, redactor):
    source = make_clip(tmp_path / "in.mp4", metadata=SECRETS)
    assert _identifying(probe(source).tags)  # the test clip really carries them
    output = tmp_path / "out.mp4"
    redactor.redact(source, output)
    facts = probe(output)
    assert _identifying(facts.tags) == {}
    assert facts.audio_codecs == ("aac",)


def test_video_tags_kept_when_asked(tmp_path):
    source = make_clip(tmp_path / "in.mp4", metadata=SECRETS)
    output = tmp_path / "out.mp4"
    with Redactor(Settings(encode=EncodeSettings(keep_metadata=True))) as keeping:
        keeping.redact(source, output)
    tags = probe(output).tags
    assert tags.get("title") == SECRETS["title"]
    assert tags.get("location") == SECRETS["location"]
    assert tags.get("creation_time", "").startswith("2024-05-01")


def _photo_with_exif(path, orientation: int = 1):
    image = Image.open(WIDER / "images/0--Parade/0_Parade_Parade_0_102.jpg")
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # make
    exif[0x0110] = "EOS 5D"  # model
    exif[0x0132] = "2024:05:01 10:00:00"  # date/time
    exif[0x0112] = orientation
    gps = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    exif[0x8825] = gps
    image.save(path, exif=exif.tobytes(), quality=92)
    return path


@pytest.mark.parametrize("suffix", [".jpg", ".heic", ".tiff", ".avif"])
def test_photo_exif_and_gps_stripped_by_default(suffix, tmp_path, redactor):
    import pillow_heif

    pillow_heif.register_heif_opener()
    source = _photo_with_exif(tmp_path / f"in{suffix}")
    assert Image.open(source).getexif().get(0x010F) == "Canon"
    output = tmp_path / f"out{suffix}"
    redactor.redact(source, output)
    with Image.open(output) as result:
        exif = result.getexif()
        assert 0x010F not in exif and 0x0110 not in exif and 0x0132 not in exif
        assert not exif.get_ifd(0x8825)
        assert not result.info.get("xmp") and not result.info.get("exif")


def test_photo_exif_kept_when_asked(tmp_path):
    source = _photo_with_exif(tmp_path / "in.jpg")
    output = tmp_path / "out.jpg"
    with Redactor(Settings(encode=EncodeSettings(keep_metadata=True))) as keeping:
        keeping.redact(source, output)
    with Image.open(output) as result:
        exif = result.getexif()
        assert exif.get(0x010F) == "Canon"
        assert exif.get_ifd(0x8825)


@pytest.mark.parametrize("orientation", [1, 6, 8, 3])
def test_exif_orientation_output_looks_the_same(orientation, tmp_path, redactor):
    """A sideways-stored photo comes out upright, looking as it did in a viewer."""
    upright = Image.open(WIDER / "images/0--Parade/0_Parade_Parade_0_102.jpg").convert("RGB")
    stored = upright.transpose({1: None, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270,
                                3: Image.Transpose.ROTATE_180}[orientation]) if orientation != 1 else upright
    source = tmp_path / "in.png"
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored.save(source, exif=exif.tobytes())
    output = tmp_path / "out.png"
    redactor.redact(source, output)
    result = np.asarray(Image.open(output).convert("RGB"))
    expected = np.asarray(upright)
    assert result.shape == expected.shape
    unchanged = (result == expected).all(axis=2).mean()
    assert unchanged > 0.8


def _exif_with_thumbnail(thumbnail: bytes) -> bytes:
    """EXIF (little-endian TIFF) with a make in IFD0 and, in IFD1, a JPEG
    thumbnail, as cameras and phones write one."""
    import struct

    make = b"Canon\x00"
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x010F, 2, len(make), 26) + struct.pack("<I", 32)
    ifd1 = (struct.pack("<H", 2) + struct.pack("<HHII", 0x0201, 4, 1, 62)
            + struct.pack("<HHII", 0x0202, 4, 1, len(thumbnail)) + struct.pack("<I", 0))
    return b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + ifd0 + make + ifd1 + thumbnail


@pytest.mark.parametrize("keep", [False, True])
def test_the_exif_thumbnail_never_survives(keep, tmp_path):
    """The thumbnail in a photo's EXIF is an unredacted copy of it: it is
    dropped even when the rest of the metadata is kept."""
    import io

    photo = Image.open(WIDER / "images/0--Parade/0_Parade_Parade_0_102.jpg")
    small = io.BytesIO()
    photo.resize((160, 120)).save(small, "JPEG", quality=80)
    thumbnail = small.getvalue()
    source = tmp_path / "in.jpg"
    photo.save(source, exif=_exif_with_thumbnail(thumbnail), quality=92)
    assert thumbnail[-500:] in source.read_bytes()
    output = tmp_path / "out.jpg"
    with Redactor(Settings(encode=EncodeSettings(keep_metadata=keep))) as redactor:
        redactor.redact(source, output)
    assert thumbnail[-500:] not in output.read_bytes()
    assert (Image.open(output).getexif().get(0x010F) == "Canon") == keep
