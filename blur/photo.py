"""Reading and writing photos (JPEG, PNG, WebP, TIFF, AVIF, BMP, and HEIC, as
phones save them) with Pillow and, for HEIC, pillow-heif. Each is written back
in its own format; grey photos stay grey, 16-bit grey ones are scaled to 8
bits and CMYK ones are written as RGB.

The photo is turned upright from its EXIF orientation before detection, so
faces are seen the right way up and the output needs no orientation tag.
EXIF and XMP (camera, GPS, time) are dropped unless asked to be kept; the
colour profile is kept, so colours look the same.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from blur.errors import InputError, OutputError

log = logging.getLogger(__name__)

PHOTO_FORMATS = {
    ".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF",
    ".avif": "AVIF", ".heic": "HEIF", ".heif": "HEIF", ".bmp": "BMP",
}


@lru_cache(maxsize=1)
def _open_heif() -> None:
    """Teach Pillow HEIC (the format phones save photos in), once, when a
    photo is first read (so before any is written) rather than when blur is
    imported."""
    import pillow_heif

    pillow_heif.register_heif_opener()


class Photo:
    """A decoded photo: upright RGB pixels plus what is needed to save it alike."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():
            raise InputError(f"{path}: no such file")
        if path.stat().st_size == 0:
            raise InputError(f"{path}: file is empty (0 bytes)")
        _open_heif()
        try:
            with Image.open(path) as opened:
                images = getattr(opened, "n_frames", 1)
                # A JPEG's further images (MPO, from many phones and cameras: a
                # preview, a depth map) are copies or maps of its one picture,
                # and are not written. Other formats' are pictures of their own.
                if images > 1 and opened.format != "MPO":
                    raise InputError(f"{path}: holds {images} images (pages or animation frames); blur redacts a "
                                     "photo of one. Save each image as a photo of its own, or an animation as a video")
                self.format = opened.format
                self._source_info = dict(opened.info)
                self._quantization = getattr(opened, "quantization", None)
                self._subsampling = _jpeg_subsampling(opened)
                upright = _eight_bit(ImageOps.exif_transpose(opened), path)
                self._exif = upright.getexif()
                self._has_alpha = "A" in upright.getbands()
                self._grey = upright.mode in ("L", "LA")
                if upright.mode == "CMYK":
                    # Written as RGB: a CMYK colour profile would misdescribe it.
                    log.info("%s: a CMYK photo is written as RGB", path)
                    self._source_info.pop("icc_profile", None)
                converted = upright.convert("RGBA" if self._has_alpha else "RGB")
                converted.load()
        except InputError:
            raise
        except UnidentifiedImageError:
            raise InputError(f"{path}: not a photo blur can read") from None
        except (OSError, SyntaxError, ValueError) as error:
            raise InputError(f"{path}: corrupt or truncated photo ({error})") from None
        pixels = np.asarray(converted)
        self.image = np.array(pixels[..., :3], order="C")  # writable, for redaction in place
        self._alpha = pixels[..., 3] if self._has_alpha else None

    def metadata_keys(self) -> list[str]:
        """Names of the identifying metadata the photo carries (EXIF tags,
        including GPS, and XMP), as a disclosure record lists them."""
        from PIL import ExifTags

        keys = [f"exif:{ExifTags.TAGS.get(tag, hex(tag))}" for tag in self._exif]
        if self._exif.get_ifd(ExifTags.IFD.GPSInfo):
            keys.append("exif:GPSInfo")
        if self._source_info.get("xmp"):
            keys.append("xmp")
        return sorted(set(keys))

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    def save(self, path: Path, suffix: str, keep_metadata: bool) -> None:
        """Write the (redacted) pixels in the format the suffix names."""
        image_format = PHOTO_FORMATS.get(suffix.lower())
        if image_format is None:
            raise OutputError(f"{path}: cannot write a photo as {suffix!r}; use {', '.join(PHOTO_FORMATS)}")
        pixels = self.image if self._alpha is None else np.dstack([self.image, self._alpha])
        out = Image.fromarray(pixels)
        if self._grey:
            out = out.convert("LA" if self._has_alpha else "L")
        if image_format == "JPEG" and out.mode in ("RGBA", "LA"):
            out = out.convert("L" if out.mode == "LA" else "RGB")
        options: dict[str, object] = {}
        if self._source_info.get("icc_profile"):
            options["icc_profile"] = self._source_info["icc_profile"]
        if keep_metadata:
            # Pixels are upright now; an orientation tag would turn them again.
            self._exif[0x0112] = 1
            options["exif"] = self._exif.tobytes()
            if self._source_info.get("xmp"):
                options["xmp"] = self._source_info["xmp"]
        if image_format == "JPEG":
            if self.format == "JPEG" and self._quantization:
                options["qtables"] = self._quantization
                options["subsampling"] = self._subsampling
            else:
                options["quality"] = 95
        elif image_format == "WEBP":
            options["lossless"] = bool(self._source_info.get("lossless", False))
            options["quality"] = 95
        elif image_format == "TIFF":
            options["compression"] = "tiff_lzw"  # lossless: TIFFs are archive copies and scans
        elif image_format in ("AVIF", "HEIF"):
            options["quality"] = 95
        try:
            out.save(path, format=image_format, **options)
        except OSError as error:
            raise OutputError(f"{path}: cannot be written ({error.strerror or error})") from None


def _eight_bit(image: Image.Image, path: Path) -> Image.Image:
    """A 16-bit grey photo (a scan, say) as 8 bits, scaled: Pillow's own
    conversion clips it, which turns most of the picture white."""
    if image.mode not in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        return image
    values = np.asarray(image).astype(np.float64)
    if image.mode == "I" and values.max() <= 255:
        scaled = values
    else:
        log.info("%s: a 16-bit photo is written at 8 bits", path)
        scaled = values / 257
    return Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8), "L")


def _jpeg_subsampling(image: Image.Image) -> int:
    from PIL import JpegImagePlugin

    if image.format != "JPEG":
        return -1
    return JpegImagePlugin.get_sampling(image)
