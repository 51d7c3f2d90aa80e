"""Recall benchmark: how many annotated faces blur leaves visible.

Runs the blur CLI (solid magenta) on the annotated photo sets in
../shared/data and on 1080p pan/zoom clips made from them, finds the
redaction in the output pixels, and prints and writes a results table:
recall by face height, by WIDER event group, by perceived skin tone, age and
gender, masked and unmasked; false regions per image; seconds per image or
frame. The CenterFace per-frame baseline (threshold 0.2, box grown 1.3x, as
the best-known open-source anonymiser runs it) is scored the same way.

    .venv/bin/python benchmarks/recall.py            # everything, ~15 min
    .venv/bin/python benchmarks/recall.py --quick    # every 4th photo, fewer clips
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scoring import (  # noqa: E402
    COVERED_FRACTION,
    HEIGHT_BUCKETS,
    MAGENTA_HEX,
    Tally,
    coverage,
    false_regions,
    height_bucket,
    redacted_mask,
)
from panzoom import build_clips, score_clip  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results" / "recall.md"
BLUR = [sys.executable, "-m", "blur", "--quiet"]

PROTEST_EVENTS = {"Demonstration", "Riot", "People_Marching", "Street_Battle", "Parade"}
CCTV_EVENTS = {"Shoppers", "Meeting", "Group", "Traffic"}

SETUPS = {
    "blur (default)": [],
    "baseline: CenterFace 0.2 per frame": ["--detector", "centerface", "--threshold", "0.2", "--mask-scale", "1.3",
                                            "--no-track", "--detect-every", "1", "--light-size", "0",
                                            "--precision", "exact", "--no-enlarge-photos"],
}


def _event_group(relative: str) -> str | None:
    folder = relative.split("/")[1] if relative.startswith("images/") else ""
    event = folder.split("--", 1)[-1]
    if event in PROTEST_EVENTS:
        return "protest-like"
    if event in CCTV_EVENTS:
        return "CCTV-like"
    return None


def _redact_folder(images: list[Path], root: Path, options: list[str], scratch: Path) -> tuple[Path, float]:
    """Copy nothing: link the chosen photos into a folder and run the CLI on it."""
    source = scratch / "in"
    for image in images:
        link = source / image.relative_to(root)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(image)
    output = scratch / "out"
    started = time.perf_counter()
    subprocess.run([*BLUR, "redact", str(source), "-o", str(output), "--mode", "solid", "--color", MAGENTA_HEX,
                    *options], check=True)
    return output, time.perf_counter() - started


def _output_of(output_root: Path, relative: Path) -> Path:
    return output_root / relative.parent / f"{relative.stem}.redacted{relative.suffix}"


def score_photos(dataset: str, options: list[str], step: int, scratch: Path) -> dict:
    root = DATA / dataset
    boxes = json.loads((root / "boxes.json").read_text())
    labels = json.loads((root / "labels.json").read_text()) if (root / "labels.json").exists() else {}
    demographics = {}
    if (root / "faces_with_demographics.json").exists():
        for key, faces in json.loads((root / "faces_with_demographics.json").read_text()).items():
            for face in faces:
                demographics[(key, tuple(face["box"]))] = face
    chosen = sorted(boxes)[::step]
    output_root, seconds = _redact_folder([root / k for k in chosen], root, options, scratch / dataset)

    tally, groups, false_total = Tally(), Tally(), 0
    for key in chosen:
        before = np.asarray(Image.open(root / key).convert("RGB"))
        after = np.asarray(Image.open(_output_of(output_root, Path(key))).convert("RGB"))
        mask = redacted_mask(before, after)
        false_total += false_regions(mask, boxes[key])
        event_group = _event_group(key)
        for index, box in enumerate(boxes[key]):
            height = box[3]
            hit = coverage(mask, box) >= COVERED_FRACTION
            tally.add(height_bucket(height), hit)
            if height >= 20:
                tally.add(">=20 px", hit)
                if event_group:
                    groups.add(event_group, hit)
                if key in labels:
                    groups.add("masked" if labels[key][index] != "without_mask" else "unmasked", hit)
                face = demographics.get((key, tuple(box)))
                if face:
                    groups.add("demographic subset", hit)
                    for field_name, prefix in (("perceived_skin", "skin "), ("perceived_age", "age "),
                                               ("perceived_gender", "")):
                        if face.get(field_name) and face[field_name] != "Not Sure":
                            groups.add(prefix + face[field_name], hit)
    return {"tally": tally, "groups": groups, "false_per_image": false_total / len(chosen),
            "seconds_per_image": seconds / len(chosen), "images": len(chosen)}


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="every 4th photo and 3 clips")
    parser.add_argument("--setup", action="append", choices=list(SETUPS), help="only these set-ups")
    parser.add_argument("--no-clips", action="store_true")
    parser.add_argument("--extra", default="", help="extra CLI options for blur (default), e.g. '--threshold 0.2'")
    args = parser.parse_args()
    step = 4 if args.quick else 1
    setups = {name: SETUPS[name] for name in (args.setup or SETUPS)}
    if args.extra:
        setups["blur (default)"] = setups.get("blur (default)", []) + args.extra.split()

    rows = {}
    with tempfile.TemporaryDirectory(prefix="blur-recall-") as scratch_name:
        scratch = Path(scratch_name)
        clips = [] if args.no_clips else build_clips(DATA / "wider-face-val", scratch / "clips", 3 if args.quick else 8)
        for name, options in setups.items():
            run = scratch / name.replace(" ", "_").replace(":", "")
            wider = score_photos("wider-face-val", options, step, run)
            masks = score_photos("face-mask", options, step, run)
            clip_tally = Tally()
            scores = [score_clip(clip, [*BLUR, "redact"], options, run / "clips", clip_tally) for clip in clips]
            per_frame = max(sum(score.frames for score in scores), 1)
            rows[name] = (wider, masks, clip_tally, tuple(sum(getattr(score, part) for score in scores) / per_frame
                                                          for part in ("seconds", "false_regions", "redacted_share")))
            print(f"done: {name}", file=sys.stderr)

    table = _tables(rows, step, len(clips))
    print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(table)


def _tables(rows: dict, step: int, clip_count: int) -> str:
    buckets = [b[2] for b in HEIGHT_BUCKETS]
    lines = [
        "# Recall benchmark",
        "",
        f"Made by `benchmarks/recall.py` on {time.strftime('%Y-%m-%d')}; photos: every {step}th of "
        f"../shared/data (WIDER FACE val subset, face-mask); clips: {clip_count} 1080p pan/zoom clips. "
        f"A face is redacted when {int(COVERED_FRACTION * 100)}% of its box is covered in the output pixels; "
        "a false region is a connected redacted area holding no annotated face centre; a clip's frame redacted "
        "is the mean share of its frames' pixels redacted, at faces or not.",
        "",
        "## WIDER FACE photos",
        "",
        "| set-up | ≥20 px | " + " | ".join(buckets) + " | protest-like | CCTV-like | false regions / img | s / img |",
        "|---|" + "---|" * (len(buckets) + 5),
    ]
    for name, (wider, _, _, _) in rows.items():
        t, g = wider["tally"], wider["groups"]
        lines.append(
            f"| {name} | {_fmt(t.recall('>=20 px'))} | " + " | ".join(_fmt(t.recall(b)) for b in buckets)
            + f" | {_fmt(g.recall('protest-like'))} | {_fmt(g.recall('CCTV-like'))}"
            + f" | {wider['false_per_image']:.2f} | {wider['seconds_per_image']:.3f} |"
        )
    lines += ["", "## Fairness (WIDER demographic subset, faces ≥20 px)", ""]
    groups = sorted({k for _, (w, _, _, _) in rows.items() for k in w["groups"].totals} - {"protest-like", "CCTV-like"})
    lines.append("| set-up | " + " | ".join(groups) + " |")
    lines.append("|---|" + "---|" * len(groups))
    for name, (wider, _, _, _) in rows.items():
        lines.append(f"| {name} | " + " | ".join(_fmt(wider["groups"].recall(k)) for k in groups) + " |")
    lines.append("| faces | " + " | ".join(str(next(iter(rows.values()))[0]["groups"].totals.get(k, 0)) for k in groups) + " |")
    lines += ["", "## Masked faces (face-mask set, faces ≥20 px)", "",
              "| set-up | masked | unmasked | all ≥20 px | 10-19 px | false regions / img | s / img |",
              "|---|---|---|---|---|---|---|"]
    for name, (_, masks, _, _) in rows.items():
        t, g = masks["tally"], masks["groups"]
        lines.append(f"| {name} | {_fmt(g.recall('masked'))} | {_fmt(g.recall('unmasked'))} | "
                     f"{_fmt(t.recall('>=20 px'))} | {_fmt(t.recall('10-19 px'))} | "
                     f"{masks['false_per_image']:.2f} | {masks['seconds_per_image']:.3f} |")
    if clip_count:
        lines += ["", "## 1080p pan/zoom clips (face-frames)", "",
                  "| set-up | ≥20 px covered | 10-19 px | face-frames ≥20 px | false regions / frame "
                  "| frame redacted | s / frame |",
                  "|---|---|---|---|---|---|---|"]
        for name, (_, _, clip_tally, (per_frame, false_per_frame, share)) in rows.items():
            lines.append(f"| {name} | {_fmt(clip_tally.recall('>=20 px'))} | {_fmt(clip_tally.recall('10-19 px'))} | "
                         f"{clip_tally.totals.get('>=20 px', 0)} | {false_per_frame:.2f} | {share:.1%} | "
                         f"{per_frame:.3f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
