"""Review and disclosure, as a council officer would use them: scan a real
clip, edit the plan, render, check the pixels, open the review page in a real
headless Chromium, and check the record's hashes against the files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from blur.digest import sha256_of
from tests.clips import decoded_frames
from tests.conftest import VIDEOS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MAGENTA = np.array([255, 0, 255])


def blur_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "blur", "--quiet", *args], cwd=cwd, capture_output=True, text=True)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """The real stage clip (640x360, 275 frames) and its plan."""
    folder = tmp_path_factory.mktemp("review")
    clip = folder / "stage.mp4"
    shutil.copy(VIDEOS / "face_recognition_short_hamilton_clip.mp4", clip)
    done = blur_cli("scan", "stage.mp4", "-o", "plan.json", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder, clip, folder / "plan.json"


def _longest_track(plan: dict) -> dict:
    return max(plan["tracks"], key=lambda t: sum(f["source"] == "detected" for f in t["frames"]))


def _free_box(plan: dict, frames: tuple[int, ...], size=(64, 48)) -> tuple[int, int, int, int]:
    """A box that no planned region (grown as rendered) touches on the frames given."""
    from blur.redact import grow
    from blur.regions import FaceRegions

    boxes = [f["box"] for t in plan["tracks"] for f in t["frames"] if f["frame"] in frames]
    grown = grow(FaceRegions.build(boxes, [1.0] * len(boxes)), 2.5) if boxes else np.zeros((0, 4))
    width, height = plan["source"]["width"], plan["source"]["height"]
    for y in range(0, height - size[1], 8):
        for x in range(0, width - size[0], 8):
            box = (x, y, x + size[0], y + size[1])
            if not ((grown[:, 0] < box[2]) & (grown[:, 2] > box[0]) & (grown[:, 1] < box[3]) & (grown[:, 3] > box[1])).any():
                return box
    raise AssertionError("no free box in this clip")


def _magenta(pixels: np.ndarray) -> bool:
    return bool(np.abs(pixels.reshape(-1, 3).mean(axis=0) - MAGENTA).max() < 40)


def test_edit_render_record(scanned):
    folder, clip, plan_path = scanned
    edited = folder / "edited.json"
    shutil.copy(plan_path, edited)
    plan = json.loads(edited.read_text())
    performer = _longest_track(plan)
    x1, y1, x2, y2 = _free_box(plan, (20, 60))  # the frames whose pixels are checked there

    steps = [
        ("plan", "add-region", "edited.json", "--frames", "10-40", "--box", f"{x1},{y1},{x2},{y2}", "--by", "A. Officer",
         "--why", "missed face in the corner"),
        ("plan", "drop-track", "edited.json", "--track", str(performer["id"]), "--by", "A. Officer",
         "--why", "the performer consented"),
        ("plan", "add-zone", "edited.json", "--box", "576,312,640,360", "--label", "screen"),
        ("render", "stage.mp4", "--plan", "edited.json", "-o", "out.mp4", "--mode", "solid", "--color", "ff00ff",
         "--requester", "Jo Bloggs (FOI 2026/114)", "--reason", "FOI request", "--reviewer", "A. Officer"),
    ]
    for step in steps:
        done = blur_cli(*step, cwd=folder)
        assert done.returncode == 0, (step, done.stderr)

    output = folder / "out.mp4"
    frames = decoded_frames(output)
    assert len(frames) == plan["source"]["frame_count"]
    # the manual region is redacted on its frames only
    assert _magenta(frames[20][y1 + 4 : y2 - 4, x1 + 4 : x2 - 4])
    assert not _magenta(frames[60][y1 + 4 : y2 - 4, x1 + 4 : x2 - 4])
    # the zone on every frame
    assert all(_magenta(frame[316:356, 580:636]) for frame in frames[::25])
    # the dropped track is shown: on a frame where nothing else covers it,
    # its box is not redacted and matches the source
    source_frames = decoded_frames(clip)
    edited_plan = json.loads(edited.read_text())
    from blur.redact import grow
    from blur.regions import FaceRegions

    def overlapped(entry: dict) -> bool:
        others = [f["box"] for t in edited_plan["tracks"] for f in t["frames"] if f["frame"] == entry["frame"]]
        if not others:
            return False
        grown = grow(FaceRegions.build(others, [1.0] * len(others)), 2.5)
        bx1, by1, bx2, by2 = entry["box"]
        return bool(((grown[:, 0] < bx2) & (grown[:, 2] > bx1) & (grown[:, 1] < by2) & (grown[:, 3] > by1)).any())

    shown = [f for f in performer["frames"] if f["source"] == "detected" and not overlapped(f)]
    assert shown, "the performer should have frames covered by no other region"
    x1, y1, x2, y2 = (round(v) for v in shown[0]["box"])
    after, before = frames[shown[0]["frame"]][y1:y2, x1:x2], source_frames[shown[0]["frame"]][y1:y2, x1:x2]
    assert not _magenta(after)
    assert np.abs(after.astype(int) - before).mean() < 8  # only re-encoding differs

    record = json.loads((folder / "out.mp4.record.json").read_text())
    assert record["input"]["sha256"] == sha256_of(clip)
    assert record["output"]["sha256"] == sha256_of(output)
    assert record["frames"] == len(frames)
    assert record["requester"] == "Jo Bloggs (FOI 2026/114)"
    assert record["reason"] == "FOI request" and record["reviewer"] == "A. Officer"
    assert record["redacted"]["manual_regions"] == 31
    assert record["redacted"]["zones"][0]["label"] == "screen"
    assert record["not_redacted"][0]["track"] == performer["id"]
    assert record["not_redacted"][0]["reason"] == "the performer consented"
    assert record["models"][0]["sha256"]
    assert {"container:encoder"} <= set(record["removed"]["metadata"])
    assert "data:image" not in json.dumps(record)


def test_plan_edit_errors_name_the_field_and_value(scanned):
    folder, _, plan_path = scanned
    before = plan_path.read_bytes()
    cases = [
        (("--frames", "300-10", "--box", "0,0,10,10"), "--frames '300-10'"),
        (("--frames", "1-5", "--box", "0,0,10"), "--box '0,0,10'"),
        (("--frames", "1-5", "--box", "0,0,9000,10"), "--box '0,0,9000,10'"),
        (("--key", "x:1,1,2,2"), "--key 'x:1,1,2,2'"),
    ]
    for options, expected in cases:
        done = blur_cli("plan", "add-region", "plan.json", *options, cwd=folder)
        assert done.returncode == 1 and expected in done.stderr, done.stderr
    done = blur_cli("plan", "drop-track", "plan.json", "--track", "99999", cwd=folder)
    assert done.returncode == 1 and "--track 99999" in done.stderr
    assert plan_path.read_bytes() == before  # a refused edit changes nothing


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make test installs it)")
def test_review_page_in_headless_chromium(scanned):
    from playwright.sync_api import sync_playwright

    folder, _, _ = scanned
    done = blur_cli("review", "plan.json", "-o", "review.html", cwd=folder)
    assert done.returncode == 0, done.stderr
    page_text = (folder / "review.html").read_text()
    assert "http://" not in page_text and "https://" not in page_text  # opens offline

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            errors: list[str] = []
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto((folder / "review.html").as_uri())
            shot = page.screenshot()
            loaded = page.evaluate("Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length")
            total = page.evaluate("document.images.length")
            sheet = page.evaluate("document.querySelectorAll('.sheet img').length")
        finally:
            browser.close()
    assert errors == []
    assert sheet > 0 and loaded == total > sheet
    import cv2

    screenshot = cv2.imdecode(np.frombuffer(shot, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert screenshot.std() > 20  # text, timeline and pictures, not a blank page


def test_contact_sheet_picks_risk_starts_most_urgent_first_and_is_never_empty():
    from blur.report import choose_sheet_frames

    assert choose_sheet_frames([set(), set()]) == [0]
    risks = [set() for _ in range(100)]
    for index in range(40, 44):
        risks[index].add("gap")
    risks[70].add("lost")
    assert choose_sheet_frames(risks, limit=2) == [40, 70]
    assert choose_sheet_frames(risks, limit=1) == [70]  # a lost face outranks a filled gap
