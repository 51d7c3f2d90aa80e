"""1080p pan/zoom clips with exact face boxes, made from annotated photos.

A 16:9 window moves and zooms across a photo; each window is resized to
1920x1080, and the photo's face boxes are moved and scaled with it.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from scoring import COVERED_FRACTION, MAGENTA_HEX, Tally, coverage, false_regions, height_bucket, redacted_mask

WIDTH, HEIGHT, FPS, FRAMES = 1920, 1080, 30, 48


@dataclass(frozen=True)
class Clip:
    path: Path
    boxes: list[list[tuple[float, float, float, float]]]  # per frame, visible face boxes (x, y, w, h)
    # per frame, every face at least partly in the picture (clipped to it); a
    # redacted area holding one is not a false region. None: the same as boxes.
    present: list[list[tuple[float, float, float, float]]] | None = None


def _window(t: float, photo_w: int, photo_h: int) -> tuple[float, float, float]:
    """Top-left and width of the 16:9 window at time t in [0, 1]: zooming from
    the widest window that fits to 60% of it while drifting across."""
    widest = min(photo_w, photo_h * WIDTH / HEIGHT)
    width = widest * (1.0 - 0.4 * t)
    height = width * HEIGHT / WIDTH
    x0 = (photo_w - width) * t
    y0 = (photo_h - height) * (0.5 + 0.3 * np.sin(np.pi * t))
    return x0, y0, width


def build_clips(root: Path, folder: Path, count: int, frames: int = FRAMES) -> list[Clip]:
    """Clips from crowd photos (five or more faces at least 10 px tall), every
    n-th in name order so the choice does not depend on results."""
    boxes = json.loads((root / "boxes.json").read_text())
    crowds = sorted(k for k, v in boxes.items() if sum(h >= 10 for *_, h in v) >= 5)
    chosen = crowds[:: max(1, len(crowds) // count)][:count]
    folder.mkdir(parents=True, exist_ok=True)
    return [_make_clip(root / key, boxes[key], folder / f"clip{index}.mp4", frames) for index, key in enumerate(chosen)]


def _make_clip(photo_path: Path, photo_boxes: list, path: Path, frames: int) -> Clip:
    photo = cv2.cvtColor(cv2.imread(str(photo_path)), cv2.COLOR_BGR2RGB)
    photo_h, photo_w = photo.shape[:2]
    per_frame, present = [], []
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS, options={"crf": "18", "preset": "veryfast"})
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        for index in range(frames):
            x0, y0, width = _window(index / (frames - 1), photo_w, photo_h)
            scale = WIDTH / width
            matrix = np.array([[scale, 0, -x0 * scale], [0, scale, -y0 * scale]], np.float32)
            frame = cv2.warpAffine(photo, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
            visible, inside = [], []
            for x, y, w, h in photo_boxes:
                bx1, by1 = (x - x0) * scale, (y - y0) * scale
                bx2, by2 = bx1 + w * scale, by1 + h * scale
                cx1, cy1, cx2, cy2 = max(bx1, 0), max(by1, 0), min(bx2, WIDTH), min(by2, HEIGHT)
                if cx2 > cx1 and cy2 > cy1:
                    inside.append((cx1, cy1, cx2 - cx1, cy2 - cy1))
                    if (cx2 - cx1) * (cy2 - cy1) >= 0.5 * (bx2 - bx1) * (by2 - by1):
                        visible.append(inside[-1])
            per_frame.append(visible)
            present.append(inside)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode(None))
    return Clip(path, per_frame, present)


def _frames(path: Path):
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


@dataclass(frozen=True)
class ClipScore:
    seconds: float  # taken by the CLI
    frames: int
    false_regions: int  # summed over the frames
    redacted_share: float  # the redacted share of each frame, summed over the frames


def score_clip(clip: Clip, command: list[str], options: list[str], folder: Path, tally: Tally) -> ClipScore:
    """Redact a clip with the CLI and tally each face-frame. False regions
    are connected redacted areas holding no annotated face centre, as for
    photos; the redacted share counts every redacted pixel, face or not."""
    folder.mkdir(parents=True, exist_ok=True)
    output = folder / clip.path.name
    started = time.perf_counter()
    subprocess.run([*command, str(clip.path), "-o", str(output), "--force", "--mode", "solid",
                    "--color", MAGENTA_HEX, *options], check=True)
    seconds = time.perf_counter() - started
    false_total, share_total = 0, 0.0
    for boxes, present, before, after in zip(clip.boxes, clip.present or clip.boxes, _frames(clip.path),
                                             _frames(output)):
        mask = redacted_mask(before, after)
        false_total += false_regions(mask, present)
        share_total += float(np.count_nonzero(mask)) / mask.size
        for box in boxes:
            hit = coverage(mask, box) >= COVERED_FRACTION
            tally.add(height_bucket(box[3]), hit)
            if box[3] >= 20:
                tally.add(">=20 px", hit)
    return ClipScore(seconds, len(clip.boxes), false_total, share_total)
