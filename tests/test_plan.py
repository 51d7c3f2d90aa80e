"""The plan's JSON form: round trip, and validation that names the field."""

from __future__ import annotations

import json

import numpy as np
import pytest

from blur.errors import PlanError
from blur.plan import Plan, SourceInfo
from blur.regions import FaceRegions

SOURCE = SourceInfo("clip.mp4", "ab" * 32, 1000, "video", 640, 360, 3, "1/15360", "30/1")


def _plan() -> Plan:
    frames = [
        FaceRegions.build([[10, 20, 50, 70]], [0.9], [0]),
        FaceRegions.empty(),
        FaceRegions.concat([FaceRegions.build([[12, 20, 52, 70]], [0.5], [0], "interpolated"),
                            FaceRegions.build([[100, 100, 120, 130]], [1.0], [1], "manual")]),
    ]
    return Plan(SOURCE, {"detect": {"threshold": 0.3}}, [{"name": "m", "sha256": "0" * 64}], frames)


def test_round_trip(tmp_path):
    path = tmp_path / "plan.json"
    _plan().save(path)
    loaded = Plan.load(path)
    assert loaded.source == SOURCE
    assert [len(r) for r in loaded.frames] == [1, 0, 2]
    assert np.allclose(loaded.regions(2).xyxy, _plan().regions(2).xyxy)
    assert sorted(loaded.regions(2).source_names()) == ["interpolated", "manual"]
    assert loaded.track_count() == 2 and loaded.region_count() == 3
    assert len(loaded.regions(99)) == 0


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.update(format="other"), "format"),
        (lambda d: d.update(version=99), "version 99"),
        (lambda d: d["tracks"][0]["frames"][0].update(frame=7), "frame 7 is outside"),
        (lambda d: d["tracks"][0]["frames"][0].update(box=[5, 5, 1, 1]), "box [5, 5, 1, 1]"),
        (lambda d: d["tracks"][0]["frames"][0].update(source="guessed"), "source 'guessed'"),
        (lambda d: d["tracks"][0]["frames"][0].pop("box"), "missing 'box'"),
        (lambda d: d["source"].pop("sha256"), "source is malformed"),
        (lambda d: d.update(zones=[{"box": [0, 0, 5, 5], "first_frame": 9}]), "first_frame 9"),
        (lambda d: d.update(zones=[{"box": [0, 0, 5]}]), "zones[0]: box [0, 0, 5]"),
        (lambda d: d.update(cuts=[1, 50]), "cuts [1, 50]"),
        (lambda d: d.update(searches="FX"), "searches"),
    ],
)
def test_validation_names_the_field_and_value(change, message, tmp_path):
    data = _plan().to_dict()
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(PlanError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Plan.load(path)


def test_edits_zones_and_cuts_survive_a_round_trip(tmp_path):
    from blur import edit

    plan = _plan()
    plan.cuts, plan.searches = [2], "FLC-"
    track = edit.add_region(plan, [(0, (0, 0, 10, 10)), (2, (20, 0, 30, 10))], by="me", reason="missed")
    edit.add_zone(plan, (600, 0, 640, 40), (1, 2), label="window")
    assert edit.drop_track(plan, 1, by="me", reason="consent") == 1
    path = tmp_path / "plan.json"
    plan.save(path)
    loaded = Plan.load(path)
    manual = loaded.regions(1).take(loaded.regions(1).track_id == track)
    assert np.allclose(manual.xyxy, [[10, 0, 20, 10]])  # interpolated between the keys
    assert 1 not in loaded.track_ids()
    assert len(loaded.zones_at(0)) == 0 and np.allclose(loaded.zones_at(2).xyxy, [[600, 0, 640, 40]])
    assert [e["action"] for e in loaded.edits] == ["add-region", "add-zone", "drop-track"]
    assert loaded.cuts == [2] and loaded.searches == "FLC-"


def test_version_1_plans_still_load(tmp_path):
    data = _plan().to_dict()
    data["version"] = 1
    for key in ("zones", "edits", "cuts", "searches"):
        data.pop(key)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data))
    assert Plan.load(path).zones == []


def test_not_json(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text("{not json")
    with pytest.raises(PlanError, match="not a readable JSON plan"):
        Plan.load(path)
