"""Where blur's CPU time goes, part by part, on the speed benchmark's clips.

Each clip is decoded into memory first; then each part runs alone, one after
the other, and its CPU time (all threads) is measured: the searches (network
calls by input size, so full searches, light searches and close looks show
apart), the conversions to RGB they need, the cut and stillness thumbnails,
tracking and redaction. A plain transcode of the same clip gives the cost
blur adds these to. The parts do not include decoding and encoding, which
blur shares with the transcode. Prints the table and writes it to
benchmarks/results/cpu_parts.md.

    .venv/bin/python benchmarks/cpu_parts.py [--frames 300]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from panzoom import build_clips  # noqa: E402
from speed import _TRANSCODE, DATA, measure, scaled_loop  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "cpu_parts.md"


def transcode_cpu(clip: Path, scratch: Path) -> float:
    run = measure([sys.executable, "-c", _TRANSCODE, str(clip), str(scratch / "transcode.mp4"), "veryfast", "18"])
    return run["cpu_seconds"]


def parts(clip: Path) -> tuple[int, Counter, Counter]:
    """CPU seconds per part, and network calls per input size."""
    import blur.looking as looking
    from blur.media import Frame, VideoReader
    from blur.pipeline import Redactor, apply_regions
    from blur.regions import FaceRegions
    from blur.settings import Settings
    from blur.track import track_all

    cpu, calls = Counter(), Counter()

    def timed(name, function, by_shape=False):
        def wrapper(*args, **kwargs):
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                key = name
                if by_shape:
                    height_px, width_px = args[0].shape[:2]
                    key = f"{name} {width_px}x{height_px}"
                    calls[key] += 1
                cpu[key] += time.process_time() - started
        return wrapper

    with VideoReader(clip) as reader:
        info = reader.info
        frames = list(reader.frames(planar=True))
    settings = Settings()
    with Redactor(settings) as redactor:
        detector = redactor._detect()
        detector.detect = timed("network", detector.detect, by_shape=True)
        original_rgb, original_thumbnail = Frame.rgb, looking.thumbnail
        Frame.rgb = timed("conversion to RGB for the searches", original_rgb)
        looking.thumbnail = timed("thumbnails (cuts, stillness)", original_thumbnail)
        try:
            looker = looking.Looker(detector, settings.detect, info)
            started = time.process_time()
            looks = [looker.look(frame) for frame in frames]
            looks = [look for look in [*looks, looker.finish()] if look is not None]
            cpu["searching, in all"] = time.process_time() - started
        finally:
            Frame.rgb, looking.thumbnail = original_rgb, original_thumbnail
        cuts = {look.frame.index for look in looks if look.is_cut}
        started = time.process_time()
        final = track_all(redactor._tracker(info), [look.found for look in looks], cuts)
        cpu["tracking"] = time.process_time() - started
    started = time.process_time()
    for frame, regions in zip(frames, final):
        apply_regions(frame.image, regions, FaceRegions.empty(), settings.redact, frame.pixel_format)
    cpu["redaction"] = time.process_time() - started
    return len(frames), cpu, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=300, help="frames in each 1080p clip")
    args = parser.parse_args()
    lines = ["# CPU time by part", "",
             f"Made by `benchmarks/cpu_parts.py` on {time.strftime('%Y-%m-%d')}, 2 cores: CPU seconds (all threads) "
             "of each part of blur run alone on frames decoded beforehand, against a plain transcode "
             "(libx264 veryfast, CRF 18) of the same clip.", ""]
    with tempfile.TemporaryDirectory(prefix="blur-cpu-") as scratch_name:
        scratch = Path(scratch_name)
        clips = {
            "1080p pan/zoom, crowd": build_clips(DATA / "wider-face-val", scratch / "clips", 1,
                                                 frames=args.frames)[0].path,
            "1080p street (MOT17-13, scaled up)": scaled_loop(DATA / "videos/dlib_MOT17-13-SDP-raw.h265",
                                                              scratch / "street.mp4", (1920, 1080), args.frames),
            "480p CCTV (vtest.avi)": scaled_loop(DATA / "videos/debian-opencv-doc_vtest.avi", scratch / "cctv.mp4",
                                                 (640, 480), 795),
        }
        for label, clip in clips.items():
            frame_count, cpu, calls = parts(clip)
            transcode = transcode_cpu(clip, scratch)
            lines += [f"## {label}, {frame_count} frames", "", "| part | calls | CPU s | ms per call |",
                      "|---|---|---|---|", f"| plain transcode (for comparison) | | {transcode:.1f} | |"]
            network = sorted(calls, key=lambda name: -cpu[name])
            for name in [*network, "conversion to RGB for the searches", "thumbnails (cuts, stillness)"]:
                count = calls.get(name)
                per_call = f"{1000 * cpu[name] / count:.1f}" if count else ""
                lines.append(f"| {name} | {count or ''} | {cpu[name]:.2f} | {per_call} |")
            searching = cpu["searching, in all"]
            lines += [f"| **searching in all** (the rows above, and the rest) | | {searching:.2f} | |",
                      f"| tracking | | {cpu['tracking']:.2f} | |", f"| redaction | | {cpu['redaction']:.2f} | |", ""]
            print(f"done: {label}", file=sys.stderr)
    table = "\n".join(lines)
    print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(table)


if __name__ == "__main__":
    main()
