"""Batches: every file into the same relative place, resumable, one bad file
never stops the others; the same work on a real Dask cluster."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from blur.batch import SUMMARY_NAME, run_batch
from blur.record import Disclosure
from blur.settings import RedactSettings, Settings
from tests import fakes
from tests.clips import astronaut_face_box, decoded_frames, make_clip, make_cut_short_mp4
from tests.conftest import WIDER

SOLID = Settings(redact=RedactSettings(mode="solid", color=(255, 0, 255)))


@pytest.fixture
def archive(tmp_path):
    source = tmp_path / "export"
    (source / "cam1").mkdir(parents=True)
    (source / "cam2").mkdir()
    make_clip(source / "cam1" / "door.mp4", frames=10)
    make_clip(source / "cam2" / "lift.mkv", frames=8, audio=False)
    shutil.copy(WIDER / "images/0--Parade/0_Parade_Parade_0_616.jpg", source / "still.jpg")
    (source / "cam2" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(4000))
    (source / "notes.txt").write_text("not media")
    return source, tmp_path / "released"


def _statuses(outcomes) -> dict[str, str]:
    return {o.source.rsplit("/", 1)[-1]: o.status for o in outcomes}


def _face_redacted(path) -> bool:
    x1, y1, x2, y2 = astronaut_face_box(320, 240)
    frame = decoded_frames(path)[0]
    return bool(np.abs(frame[y1:y2, x1:x2].reshape(-1, 3).mean(axis=0) - [255, 0, 255]).max() < 60)


def test_batch_with_local_workers_and_resume(archive):
    source, target = archive
    outcomes = run_batch(source, target, SOLID, Disclosure(requester="press office"), workers=2)
    assert _statuses(outcomes) == {"door.mp4": "redacted", "lift.mkv": "redacted", "still.jpg": "redacted",
                                   "broken.mp4": "failed"}
    door = target / "cam1" / "door.redacted.mp4"
    assert _face_redacted(door)
    assert (target / "cam2" / "lift.redacted.mkv").is_file()
    for output in (door, target / "still.redacted.jpg"):
        assert output.with_name(output.name + ".plan.json").is_file()
        assert json.loads(output.with_name(output.name + ".record.json").read_text())["requester"] == "press office"
    summary = json.loads((target / SUMMARY_NAME).read_text())
    assert summary["counts"] == {"redacted": 3, "skipped": 0, "failed": 1}
    assert "broken.mp4" in [f for f in summary["files"] if f["status"] == "failed"][0]["error"]
    assert not any(p.name.startswith(".") for p in target.rglob("*"))  # no partial files left

    # a re-run skips what is done, redoes what is not
    (target / "cam2" / "lift.redacted.mkv.record.json").unlink()
    again = _statuses(run_batch(source, target, SOLID, Disclosure(requester="press office"), workers=2))
    assert again == {"door.mp4": "skipped", "lift.mkv": "redacted", "still.jpg": "skipped", "broken.mp4": "failed"}
    # other settings are other work
    pixelated = Settings(redact=RedactSettings(mode="pixelate"))
    assert set(_statuses(run_batch(source, target, pixelated, Disclosure(), workers=1)).values()) == {
        "redacted", "failed"}


def test_a_worker_process_that_dies_fails_its_own_file_only(archive):
    # A worker killed mid-file (out of memory, a crash in native code) breaks
    # its whole process pool; the files that were in it with the culprit are
    # redone, and only the culprit is failed.
    source, target = archive
    shutil.copy(source / "cam1" / "door.mp4", source / "cam1" / "dies.mp4")
    outcomes = run_batch(source, target, SOLID, Disclosure(), workers=2, work=fakes.redact_or_die)
    assert _statuses(outcomes) == {"dies.mp4": "failed", "door.mp4": "redacted", "lift.mkv": "redacted",
                                   "still.jpg": "redacted", "broken.mp4": "failed"}
    died = [o for o in outcomes if o.source.endswith("dies.mp4")][0]
    assert "worker process died on this file" in died.error
    assert _face_redacted(target / "cam1" / "door.redacted.mp4")
    assert not (target / "cam1" / "dies.redacted.mp4").exists()
    assert json.loads((target / SUMMARY_NAME).read_text())["counts"] == {"redacted": 3, "skipped": 0, "failed": 2}


def test_batch_cli_exit_code_table_and_warnings(archive):
    source, target = archive
    cut = make_cut_short_mp4(source / "cam1" / "cut.mp4")
    done = subprocess.run([sys.executable, "-m", "blur", "batch", str(source), str(target), "--workers", "2"],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "broken.mp4" in done.stderr and "Traceback" not in done.stderr
    assert "4 redacted, 0 already done, 1 failed" in done.stdout
    # A warning logged in a worker process reaches the user and the summary.
    warned = [line for line in done.stderr.splitlines() if "cut short" in line]
    assert len(warned) == 1 and str(cut) in warned[0], done.stderr
    files = {f["source"]: f for f in json.loads((target / SUMMARY_NAME).read_text())["files"]}
    assert [w for w in files[str(cut)]["warnings"] if "cut short" in w] and files[str(cut)]["status"] == "redacted"
    assert files[str(source / "cam1" / "door.mp4")]["warnings"] == []


def test_batch_on_a_dask_cluster(archive):
    distributed = pytest.importorskip("distributed")
    source, target = archive
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  host="127.0.0.1") as cluster:
        outcomes = run_batch(source, target, SOLID, Disclosure(), scheduler=cluster.scheduler_address)
        with distributed.Client(cluster) as client:
            workers_used = len(client.scheduler_info()["workers"])
    assert workers_used == 2
    assert _statuses(outcomes) == {"door.mp4": "redacted", "lift.mkv": "redacted", "still.jpg": "redacted",
                                   "broken.mp4": "failed"}
    assert _face_redacted(target / "cam1" / "door.redacted.mp4")
    assert json.loads((target / SUMMARY_NAME).read_text())["scheduler"] == cluster.scheduler_address


def test_unreachable_scheduler_is_a_clear_error(archive):
    pytest.importorskip("distributed")
    from blur.errors import SettingsError

    source, target = archive
    with pytest.raises(SettingsError, match="tcp://127.0.0.1:9"):
        run_batch(source, target, SOLID, Disclosure(), scheduler="tcp://127.0.0.1:9")
