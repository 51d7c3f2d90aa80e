"""Model files: pinned, verified, found offline."""

from __future__ import annotations

import shutil

import pytest

from blur import models
from blur.errors import ModelError


def test_cached_models_match_their_pins():
    specs = {**models.MODELS, **models.CALIBRATION}
    for (name, spec), path in zip(specs.items(), models.ensure_all(list(specs))):
        assert path.name == spec.filename and models.sha256_of(path) == spec.sha256


def test_built_model_found_in_the_model_dir_and_named_by_its_recipe(tmp_path, monkeypatch):
    from blur.detect import quantize

    built = quantize.int8_model()
    for suffix in (".xml", ".bin"):
        shutil.copy(built.with_suffix(suffix), tmp_path / built.with_suffix(suffix).name)
    monkeypatch.setenv(models.MODEL_DIR_ENV, str(tmp_path))
    assert quantize.find() == tmp_path / built.name
    (tmp_path / built.with_suffix(".bin").name).unlink()  # half a model is no model
    assert quantize.find() is None
    monkeypatch.delenv(models.MODEL_DIR_ENV)
    monkeypatch.setattr(quantize, "RECIPE", "another")
    assert quantize.find() is None


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
