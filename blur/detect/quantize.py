"""CenterFace in 8-bit integers, built here from the pinned float model.

No 8-bit CenterFace is published, and blur commits no weights. The first time
it is needed, NNCF's post-training quantization turns the pinned float model
into one whose convolutions compute in 8-bit integers, which CPUs run about
2.5 times as fast (AVX-512 VNNI; less where the CPU lacks it). It is
calibrated on pinned sample images from scikit-image's wheel (``blur.models``):
15 scenes, the astronaut photo pasted at six sizes, and the 200 LFW crops of
25 px tiled as a crowd at five sizes. Building takes about 15 s. The result is
cached under a name holding the hash of everything it was built from, so other
inputs, other library versions or another recipe build it anew.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import shutil
import tempfile
from importlib.metadata import version
from pathlib import Path

import numpy as np

from blur import models

log = logging.getLogger(__name__)

SOURCE = "centerface"
RECIPE = "1"  # change when the calibration set or the quantization options change
_ASTRONAUT = "calibration:astronaut.png"
_LFW = "calibration:lfw_subset.npy"
_SCENES = [name for name in models.CALIBRATION if name not in (_ASTRONAUT, _LFW)]
_PASTE_SIDES_PX = (512, 384, 256, 160, 96, 64)
_CANVAS_PX = (640, 384)
_LFW_SCALES = (0.6, 1.0, 1.5, 2.5, 4.0)
_MULTIPLE = 32  # CenterFace's input sides


def int8_model() -> Path:
    """The 8-bit model's IR (.xml, its weights beside it in .bin), built and
    cached on first use."""
    found = find()
    if found is not None:
        return found
    source = models.ensure(SOURCE)
    calibration = dict(zip(models.CALIBRATION, models.ensure_all(list(models.CALIBRATION))))
    target = models.cache_dir() / _filename()
    log.warning("building the 8-bit CenterFace (once, about 15 s)")
    _build(source, calibration, target)
    return target


def find() -> Path | None:
    """The built model, if it is in the model folder (``BLUR_MODEL_DIR``, or the cache)."""
    for folder in models.search_dirs():
        candidate = folder / _filename()
        if candidate.is_file() and candidate.with_suffix(".bin").is_file():
            return candidate
    return None


def describe() -> str:
    """Where the built model comes from, in words."""
    return (f"built here from centerface by nncf {version('nncf')} (recipe {RECIPE}), calibrated on "
            f"{len(models.CALIBRATION)} scikit-image=={models.CALIBRATION[_ASTRONAUT].version} sample images")


def _filename() -> str:
    """The file name, holding the hash of everything the model is built from."""
    key = hashlib.sha256("\n".join([
        models.MODELS[SOURCE].sha256, *(spec.sha256 for spec in models.CALIBRATION.values()),
        version("nncf"), version("openvino"), RECIPE,
    ]).encode()).hexdigest()[:16]
    return f"centerface-int8-{key}.xml"


def record(path: Path) -> dict[str, str]:
    """What a disclosure record says of the built model."""
    digest = hashlib.sha256(path.read_bytes() + path.with_suffix(".bin").read_bytes()).hexdigest()
    return {"name": "centerface-int8", "sha256": digest, "source": f"{models.MODELS[SOURCE].source}, {describe()}"}


def calibration_images(paths: dict[str, Path]) -> list[np.ndarray]:
    """The calibration set: RGB uint8 images, sides multiples of 32."""
    import cv2
    from PIL import Image

    def read(name: str) -> np.ndarray:
        with Image.open(paths[name]) as opened:
            return np.asarray(opened.convert("RGB"))

    def fit(image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        return np.ascontiguousarray(image[: height // _MULTIPLE * _MULTIPLE, : width // _MULTIPLE * _MULTIPLE])

    scenes = [read(name) for name in _SCENES]
    images = [fit(scene) for scene in scenes]
    astronaut = read(_ASTRONAUT)
    for index, side in enumerate(_PASTE_SIDES_PX):
        canvas = cv2.resize(scenes[index % len(scenes)], _CANVAS_PX)
        pasted = cv2.resize(astronaut, (side, side), interpolation=cv2.INTER_AREA)[: _CANVAS_PX[1]]
        top = (_CANVAS_PX[1] - pasted.shape[0]) // 2
        canvas[top: top + pasted.shape[0], 64: 64 + side] = pasted
        images.append(canvas)
    crops = (np.clip(np.load(paths[_LFW]), 0, 1) * 255).astype(np.uint8)  # (200, 25, 25), 0-1
    crowd = cv2.cvtColor(crops.reshape(10, 20, 25, 25).transpose(0, 2, 1, 3).reshape(250, 500), cv2.COLOR_GRAY2RGB)
    for scale in _LFW_SCALES:
        resample = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        images.append(fit(cv2.resize(crowd, None, fx=scale, fy=scale, interpolation=resample)))
    return images


def _build(source: Path, calibration: dict[str, Path], target: Path) -> None:
    import nncf
    import openvino as ov

    from blur.detect.centerface import read_float_model

    nncf.set_log_level(logging.ERROR)
    model = read_float_model(ov.Core(), source)
    images = [image[np.newaxis] for image in calibration_images(calibration)]
    # NNCF draws progress bars on standard output, which may be carrying a plan.
    with contextlib.redirect_stdout(io.StringIO()):
        quantized = nncf.quantize(model, nncf.Dataset(images), subset_size=len(images),
                                  preset=nncf.QuantizationPreset.PERFORMANCE)
    # Built aside and moved in, weights first: a cached .xml is always whole.
    with tempfile.TemporaryDirectory(prefix="building-", dir=target.parent) as scratch:
        built = Path(scratch) / target.name
        ov.save_model(quantized, str(built))
        shutil.move(str(built.with_suffix(".bin")), target.with_suffix(".bin"))
        shutil.move(str(built), target)
