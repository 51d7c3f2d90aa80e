"""The review page: one self-contained HTML file, built from a plan and its
input, for checking a redaction before release.

It shows a timeline of faces per frame and of the frames most at risk of a
miss, a contact sheet of REDACTED frames at those points, and a strip per
track. Every picture is cut from a frame after the plan has been applied, so
the page never holds an unredacted face pixel of any face the plan covers;
what it can show is a face the plan missed, which is what a reviewer is
looking for. Images are inlined as data URIs; the page loads nothing else.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from blur.errors import PlanError
from blur.media import VideoReader
from blur.orientation import upright
from blur.outputs import atomic_output
from blur.photo import Photo
from blur.pipeline import apply_plan, is_photo
from blur.plan import Plan
from blur.regions import SOURCE_CODES
from blur.settings import RedactSettings, Settings

# Risk kinds, most urgent first: (key, colour, what it means)
RISKS = (
    ("lost", "#d7263d", "no face found on a searched frame just after one was seen"),
    ("short", "#f46036", "short track: detected on fewer than 5 frames"),
    ("weak", "#f9a03f", "low-confidence track: never reached the redaction threshold"),
    ("cut", "#7b2cbf", "scene cut"),
    ("gap", "#2e86ab", "gap filled by interpolation"),
    ("extended", "#6c8ead", "padding before or after a track"),
)
_SHORT_TRACK_DETECTIONS = 5
_SHEET_FRAMES = 24
_STRIP_TRACKS = 60
_STRIP_CROPS = 5
_TIMELINE_COLUMNS = 800
_SOURCE_COLOURS = {"detected": (0, 200, 0), "interpolated": (0, 160, 255), "extended": (120, 120, 255),
                   "manual": (255, 0, 255)}


@dataclass
class TrackSummary:
    track_id: int
    first: int
    last: int
    detected: int
    best_score: float
    manual: bool
    boxes: dict[int, np.ndarray] = field(default_factory=dict)

    def risks(self, threshold: float) -> list[str]:
        if self.manual:
            return []
        found = []
        if self.detected < _SHORT_TRACK_DETECTIONS:
            found.append("short")
        if self.best_score < threshold:
            found.append("weak")
        return found


def summarise_tracks(plan: Plan) -> dict[int, TrackSummary]:
    tracks: dict[int, TrackSummary] = {}
    for frame_index, regions in enumerate(plan.frames):
        for box, score, track_id, source in zip(regions.xyxy, regions.score, regions.track_id, regions.source):
            track_id = int(track_id)
            summary = tracks.setdefault(track_id, TrackSummary(track_id, frame_index, frame_index, 0, 0.0, False))
            summary.last = frame_index
            summary.boxes[frame_index] = box
            summary.manual |= int(source) == SOURCE_CODES["manual"]
            if int(source) == SOURCE_CODES["detected"]:
                summary.detected += 1
                summary.best_score = max(summary.best_score, float(score))
    return tracks


def frame_risks(plan: Plan, tracks: dict[int, TrackSummary], threshold: float) -> list[set[str]]:
    """The risk kinds of every frame."""
    risks: list[set[str]] = [set() for _ in plan.frames]
    for frame_index, regions in enumerate(plan.frames):
        names = set(regions.source_names())
        risks[frame_index] |= names & {"extended"}
        if "interpolated" in names:
            risks[frame_index].add("gap")
    for cut in plan.cuts:
        risks[cut].add("cut")
    for summary in tracks.values():
        for risk in summary.risks(threshold):
            for frame_index in summary.boxes:
                risks[frame_index].add(risk)
    searched = plan.searches or "F" * len(plan.frames)
    cuts, seen = set(plan.cuts), False
    for frame_index, how in enumerate(searched[: len(plan.frames)]):
        if frame_index in cuts:
            seen = False
        if how == "-":
            continue
        found = bool((plan.frames[frame_index].source == SOURCE_CODES["detected"]).any())
        if seen and not found:
            risks[frame_index].add("lost")
        seen = found
    return risks


def choose_sheet_frames(risks: list[set[str]], limit: int = _SHEET_FRAMES) -> list[int]:
    """Where each run of a risk starts, most urgent kinds first, spread evenly
    within a kind when there are more than fit."""
    spacing = len(risks) // (2 * limit)  # so a burst of risks does not fill the sheet
    chosen: list[int] = []
    for key, _, _ in RISKS:
        starts = [i for i, r in enumerate(risks) if key in r and (i == 0 or key not in risks[i - 1])]
        starts = [i for i in starts if all(abs(i - c) > spacing for c in chosen)]
        room = limit - len(chosen)
        if room <= 0:
            break
        if len(starts) > room:
            starts = [starts[round(k * (len(starts) - 1) / max(room - 1, 1))] for k in range(room)]
        for i in starts:
            if all(abs(i - c) > spacing for c in chosen):
                chosen.append(i)
    # Never an empty sheet: a photo, or a video with nothing at risk, shows its first frame.
    return sorted(chosen)[:limit] or ([0] if risks else [])


def _strip_frames(summary: TrackSummary) -> list[int]:
    frames = sorted(summary.boxes)
    picks = {frames[round(k * (len(frames) - 1) / max(_STRIP_CROPS - 1, 1))] for k in range(_STRIP_CROPS)}
    return sorted(picks)


def _jpeg_uri(image_rgb: np.ndarray) -> str:
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(image_rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:
        raise PlanError("could not encode a review thumbnail")
    return "data:image/jpeg;base64," + base64.b64encode(data.tobytes()).decode("ascii")


def _outlined(image: np.ndarray, plan: Plan, frame_index: int) -> np.ndarray:
    """The redacted frame with each region's box outlined in its source colour."""
    out = image.copy()
    line = max(1, round(min(image.shape[:2]) / 360))
    regions = plan.regions(frame_index)
    for box, name in zip(regions.xyxy.astype(int), regions.source_names()):
        cv2.rectangle(out, tuple(box[:2]), tuple(box[2:]), _SOURCE_COLOURS[name], line)
    for box in plan.zones_at(frame_index).xyxy.astype(int):
        cv2.rectangle(out, tuple(box[:2]), tuple(box[2:]), _SOURCE_COLOURS["manual"], line)
    return out


def _thumbnail(image: np.ndarray, width_px: int) -> np.ndarray:
    height_px = max(1, round(image.shape[0] * width_px / image.shape[1]))
    return cv2.resize(image, (width_px, height_px), interpolation=cv2.INTER_AREA)


def _crop(image: np.ndarray, box: np.ndarray, height_px: int = 88) -> np.ndarray:
    x1, y1, x2, y2 = box
    side = max(x2 - x1, y2 - y1) * 1.5 + 8
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    h, w = image.shape[:2]
    left, top = int(max(cx - side, 0)), int(max(cy - side, 0))
    right, bottom = int(min(cx + side, w)), int(min(cy + side, h))
    crop = image[top:max(bottom, top + 1), left:max(right, left + 1)]
    width_px = max(1, round(crop.shape[1] * height_px / max(crop.shape[0], 1)))
    return cv2.resize(crop, (width_px, height_px), interpolation=cv2.INTER_AREA)


def _redacted_frames(plan: Plan, source: Path, wanted: set[int], settings: RedactSettings):
    """(frame index, redacted RGB stored frame, rotation) for the wanted frames,
    in order, decoding the input once."""
    if is_photo(source):
        photo = Photo(source)
        yield 0, apply_plan(photo.image, plan, 0, settings), 0
        return
    last = max(wanted, default=-1)
    with VideoReader(source) as reader:
        for frame in reader.frames():
            if frame.index > last:
                break
            if frame.index in wanted:
                yield frame.index, apply_plan(frame.image, plan, frame.index, settings), frame.rotation_deg


def write_review(plan: Plan, source: Path, output: Path, force: bool = False) -> None:
    """Build the review page for a plan from its input, and write it."""
    from blur.digest import sha256_of

    if not source.exists():
        raise PlanError(f"{source}: the plan's input is not there; give it with --input")
    if sha256_of(source) != plan.source.sha256:
        raise PlanError(f"{source}: is not the file the plan was made from (SHA-256 differs)")
    made_with = Settings.from_dict(plan.settings)
    settings, threshold = made_with.redact, made_with.detect.threshold
    tracks = summarise_tracks(plan)
    risks = frame_risks(plan, tracks, threshold)
    sheet = choose_sheet_frames(risks)
    ranked = sorted(tracks.values(), key=lambda t: (not t.risks(threshold), not t.manual, t.first))[:_STRIP_TRACKS]
    strips = {t.track_id: _strip_frames(t) for t in ranked}
    wanted = set(sheet) | {f for frames in strips.values() for f in frames}
    sheet_images: dict[int, str] = {}
    crops: dict[tuple[int, int], str] = {}
    for frame_index, image, rotation in _redacted_frames(plan, source, wanted, settings):
        if frame_index in sheet:
            sheet_images[frame_index] = _jpeg_uri(_thumbnail(upright(_outlined(image, plan, frame_index), rotation), 320))
        for track in ranked:
            if frame_index in strips[track.track_id]:
                crops[(track.track_id, frame_index)] = _jpeg_uri(
                    upright(_crop(image, track.boxes[frame_index]), rotation))
    page = _page(plan, source, tracks, ranked, risks, sheet, sheet_images, crops, threshold)
    with atomic_output(output, force) as partial:
        partial.write_text(page, encoding="utf-8")


def _time(plan: Plan, frame_index: int) -> str:
    rate = Fraction(plan.source.frame_rate)
    if rate <= 0:
        return "photo"
    seconds = float(frame_index / rate)
    return f"{int(seconds // 3600):02d}:{int(seconds // 60 % 60):02d}:{seconds % 60:05.2f}"


def _timeline(plan: Plan, risks: list[set[str]]) -> str:
    frame_count = len(plan.frames)
    columns = max(1, min(frame_count, _TIMELINE_COLUMNS))
    per = frame_count / columns
    width, bar_h, row_h = 1000, 60, 10
    counts = np.array([len(r) for r in plan.frames])
    peak = max(int(counts.max(initial=0)), 1)
    parts = [f'<svg viewBox="0 0 {width} {bar_h + row_h * len(RISKS) + 24}" '
             f'class="timeline" role="img" aria-label="faces and risks over time">']
    for column in range(columns):
        lo, hi = int(column * per), max(int((column + 1) * per), int(column * per) + 1)
        x, w = column * width / columns, max(width / columns, 0.6)
        faces = int(counts[lo:hi].max(initial=0))
        if faces:
            h = bar_h * faces / peak
            parts.append(f'<rect x="{x:.2f}" y="{bar_h - h:.2f}" width="{w:.2f}" height="{h:.2f}" fill="#444">'
                         f'<title>frames {lo}-{hi - 1}: up to {faces} regions</title></rect>')
        for row, (key, colour, _) in enumerate(RISKS):
            if any(key in risks[i] for i in range(lo, min(hi, frame_count))):
                parts.append(f'<rect x="{x:.2f}" y="{bar_h + 4 + row * row_h}" width="{w:.2f}" '
                             f'height="{row_h - 2}" fill="{colour}"/>')
    parts.append(f'<text x="0" y="{bar_h + row_h * len(RISKS) + 20}" font-size="12">0</text>')
    parts.append(f'<text x="{width}" y="{bar_h + row_h * len(RISKS) + 20}" font-size="12" text-anchor="end">'
                 f'{_time(plan, frame_count - 1)}</text></svg>')
    return "".join(parts)


def _page(plan, source, tracks, ranked, risks, sheet, sheet_images, crops, threshold) -> str:
    e = html.escape
    by_source = {name: 0 for name in _SOURCE_COLOURS}
    for regions in plan.frames:
        for name in regions.source_names():
            by_source[name] += 1
    risk_counts = {key: sum(key in r for r in risks) for key, _, _ in RISKS}
    legend = "".join(f'<li><span class="swatch" style="background:{c}"></span>{e(text)}: '
                     f'{risk_counts[k]} frames</li>' for k, c, text in RISKS)
    cards = "".join(
        f'<figure><img src="{sheet_images[i]}" alt="redacted frame {i}"><figcaption>frame {i} · {_time(plan, i)}'
        f'<br>{e(", ".join(sorted(risks[i])))}</figcaption></figure>' for i in sheet if i in sheet_images)
    rows = []
    for t in ranked:
        images = "".join(f'<img src="{crops[(t.track_id, f)]}" alt="track {t.track_id} frame {f}" '
                         f'title="frame {f}">' for f in sorted(t.boxes) if (t.track_id, f) in crops)
        kind = "manual" if t.manual else "untracked" if t.track_id < 0 else ", ".join(t.risks(threshold)) or "—"
        rows.append(f"<tr><td>{t.track_id}</td><td>{t.first}-{t.last}</td><td>{t.detected}</td>"
                    f"<td>{t.best_score:.2f}</td><td>{e(kind)}</td><td class=strip>{images}</td></tr>")
    edits = "".join(f"<li>{e(str(edit))}</li>" for edit in plan.edits) or "<li>none</li>"
    rate = f", {e(plan.source.frame_rate)} fps" if plan.source.kind == "video" else ", photo"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>blur review: {e(Path(plan.source.path).name)}</title>
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }}
h1 {{ font-size: 20px; }} h2 {{ font-size: 16px; margin-top: 28px; }}
table {{ border-collapse: collapse; }} td, th {{ border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; }}
.timeline {{ width: 100%; max-width: 1000px; background: #fafafa; border: 1px solid #ddd; }}
.swatch {{ display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: middle; }}
.sheet {{ display: flex; flex-wrap: wrap; gap: 10px; }}
figure {{ margin: 0; width: 320px; }} figure img {{ width: 320px; display: block; }}
figcaption {{ font-size: 12px; color: #555; }} .strip img {{ height: 88px; margin-right: 4px; }}
.note {{ color: #555; }}
</style></head><body>
<h1>Review: {e(plan.source.path)}</h1>
<p class="note">Every picture below is cut from a frame after redaction. Look for faces left visible.
Boxes: green detected, blue interpolated, lilac extended, magenta manual or zone.</p>
<table>
<tr><th>SHA-256</th><td><code>{e(plan.source.sha256)}</code></td></tr>
<tr><th>frames</th><td>{len(plan.frames)} ({plan.source.width}x{plan.source.height}{rate})</td></tr>
<tr><th>tracks</th><td>{len([t for t in tracks if t >= 0])}</td></tr>
<tr><th>regions</th><td>{", ".join(f"{n} {e(k)}" for k, n in by_source.items())}</td></tr>
<tr><th>zones</th><td>{len(plan.zones)}</td></tr>
<tr><th>scene cuts</th><td>{len(plan.cuts)}</td></tr>
</table>
<h2>Timeline</h2>
{_timeline(plan, risks)}
<ul>{legend}</ul>
<h2>Frames at risk ({len(sheet)} shown)</h2>
<div class="sheet">{cards or "<p>No frames at risk.</p>"}</div>
<h2>Tracks ({len(ranked)} of {len(tracks)} shown, riskiest first)</h2>
<table><tr><th>track</th><th>frames</th><th>detected</th><th>best score</th><th>risk</th><th>redacted crops</th></tr>
{"".join(rows)}</table>
<h2>Edits</h2><ul>{edits}</ul>
</body></html>
"""
