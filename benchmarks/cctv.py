"""Real-footage benchmark: recall over time on CCTV-like and street footage.

None of the real videos in ../shared/data has face boxes, so this scores
blur against a stand-in: every face that CenterFace, run at full resolution
on every frame, finds with confidence 0.3 or more (a face the per-frame
search is sure of in one frame must be covered in that frame). It answers
what the pan/zoom clips cannot: people walking at CCTV frame rates (10 fps
and less), with faces of 8-20 px, between blur's full searches; and small
faces passing a moving car, at 1080p, 1440p and 4K, where the light search
and the close looks scale with the frame.

Runs the blur CLI in solid magenta on each video, finds the redaction in the
output pixels, and writes the table to benchmarks/results/cctv.md.

    .venv/bin/python benchmarks/cctv.py [--extra '--full-every 0.5']
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from pathlib import Path

import av

sys.path.insert(0, str(Path(__file__).resolve().parent))
from panzoom import Clip, score_clip  # noqa: E402
from scoring import Tally  # noqa: E402
from speed import scaled_loop  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VIDEOS = ROOT.parent / "shared" / "data" / "videos"
RESULTS = Path(__file__).resolve().parent / "results" / "cctv.md"
BLUR = [sys.executable, "-m", "blur", "--quiet", "redact"]
CONFIDENT = 0.3


def confident_faces(path: Path) -> list[list[tuple[float, float, float, float]]]:
    """Per frame, the (x, y, w, h) boxes CenterFace (float32) is confident of there."""
    from blur.detect import build_detector
    from blur.settings import DetectSettings

    # float32, so the stand-in for truth is the same on every machine
    detector = build_detector(DetectSettings(detector="centerface", precision="exact"))
    faces = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            found = detector.detect(frame.to_ndarray(format="rgb24"))
            faces.append([(x1, y1, x2 - x1, y2 - y1)
                          for (x1, y1, x2, y2) in found.xyxy[found.score >= CONFIDENT].tolist()])
    detector.close()
    return faces


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--extra", default="", help="extra CLI options for blur, e.g. '--full-every 0.5'")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="blur-cctv-") as scratch_name:
        scratch = Path(scratch_name)
        videos = {
            "campus paths, high camera (vtest.avi), 768x576 10 fps": VIDEOS / "debian-opencv-doc_vtest.avi",
            "same, scaled to 1440x1080 (first 300 frames)": scaled_loop(
                VIDEOS / "debian-opencv-doc_vtest.avi", scratch / "vtest1080.mp4", (1440, 1080), 300),
            "room, people walking through (intel one-by-one), 768x432 10 fps": VIDEOS
            / "intel_one-by-one-person-detection.mp4",
            "night crowd from above (MOT20-05), 826x540 25 fps": VIDEOS / "dlib_MOT20-05-raw_even_shorter.mp4",
        }
        street = VIDEOS / "dlib_MOT17-13-SDP-raw.h265"  # from a moving car, 25 fps
        for size, frames in (((1920, 1080), 300), ((2560, 1440), 150), ((3840, 2160), 150)):
            label = f"street from a car (MOT17-13), scaled to {size[0]}x{size[1]} (first {frames} frames)"
            videos[label] = scaled_loop(street, scratch / f"street{size[1]}.mp4", size, frames)
        for label, path in videos.items():
            clip = Clip(path, confident_faces(path))
            tally = Tally()
            # (false regions are not counted: faces CenterFace is less sure of are not in the truth)
            score = score_clip(clip, BLUR, shlex.split(args.extra), scratch / "out", tally)
            rows.append((label, score.frames, tally, score.seconds, score.redacted_share / max(score.frames, 1)))
            print(f"done: {label}", file=sys.stderr)

    lines = [
        "# Real-footage benchmark", "",
        f"Made by `benchmarks/cctv.py` on {time.strftime('%Y-%m-%d')}"
        + (f" with `{args.extra}`" if args.extra else "") + ". Faces: what CenterFace at full resolution finds "
        f"with confidence {CONFIDENT} or more in each frame (there are no drawn boxes for these videos). A face is "
        "redacted when 70% of its box is covered in the output pixels; frame redacted is the mean share of each "
        "frame's pixels redacted, at faces or not.", "",
        "| video | frames | faces | recall | 10-19 px | >=20 px | frame redacted | s / frame |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, frames, tally, seconds, share in rows:
        total = sum(tally.totals.values()) - tally.totals.get(">=20 px", 0)
        hits = sum(tally.hits.values()) - tally.hits.get(">=20 px", 0)

        def fmt(group: str) -> str:
            value = tally.recall(group)
            return "—" if value is None else f"{value:.3f} ({tally.totals[group]})"

        lines.append(f"| {label} | {frames} | {total} | {hits / max(total, 1):.3f} | {fmt('10-19 px')} | "
                     f"{fmt('>=20 px')} | {share:.1%} | {seconds / frames:.3f} |")
    RESULTS.write_text("\n".join(lines) + "\n")  # results/ is part of the repository
    print(RESULTS.read_text())


if __name__ == "__main__":
    main()
