"""Model files: pinned, verified, found offline."""

from __future__ import annotations

import shutil

import pytest

from blur import models
from blur.errors import ModelError


def test_cached_models_match_their_pins():
    for name, spec in models.MODELS.items():
        path = models.ensure(name)
        assert models.sha256_of(path) == spec.sha256


def test_model_dir_override_used_and_checked(tmp_path, monkeypatch):
    spec = models.MODELS["blazeface-short-range"]
    shutil.copy(models.ensure(spec.name), tmp_path / spec.filename)
    monkeypatch.setenv(models.MODEL_DIR_ENV, str(tmp_path))
    assert models.ensure(spec.name) == tmp_path / spec.filename

    (tmp_path / spec.filename).write_bytes(b"tampered")
    with pytest.raises(ModelError, match="does not match the pinned SHA-256"):
        models.ensure(spec.name)

    (tmp_path / spec.filename).unlink()
    with pytest.raises(ModelError, match=models.MODEL_DIR_ENV):
        models.ensure(spec.name)


def test_unknown_model():
    with pytest.raises(ModelError, match="unknown model"):
        models.find("nope")
