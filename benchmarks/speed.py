"""Speed benchmark: blur against a plain transcode and the per-frame baseline.

On two 1080p clips with faces (a pan/zoom over an annotated crowd photo, the
worst case: hundreds of regions per frame; and real street footage from a
moving vehicle, ../shared/data/videos/dlib_MOT17-13-SDP-raw.h265 scaled up)
and on a 640x480 CCTV clip (the real debian-opencv-doc_vtest.avi scaled to
480p), measures in one run: a plain decode + libx264 encode with
blur's encoder settings, blur with its defaults, and the per-frame CenterFace
baseline (threshold 0.2, every frame, full resolution, no tracking, float32;
it runs on blur's OpenVINO runtime, about a fifth faster at 1080p than the
OpenCV DNN module the original tool uses, so its ratio is conservative). Then blur
on 1-minute and 5-minute 480p clips (the CCTV clip looped), for peak memory
against length. Prints frames/s, wall time, peak memory and the ratios, and
writes the table to benchmarks/results/speed.md.

With ``--deface PATH``, it also runs deface 1.5.0 itself (the best-known
open-source anonymiser, which the per-frame baseline stands in for: CenterFace
on every frame at full resolution, on OpenCV's DNN module) with the same
encoder settings, on the 1080p clips and the CCTV clip; and once more with its
own encoder defaults (x264 preset medium, CRF 25), as its users run it, for
comparison with the 445 s the speed issue quotes. ``make bench-speed``
installs it in a venv of its own.

    .venv/bin/python benchmarks/speed.py [--frames 300] [--preset veryfast] [--deface PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from panzoom import build_clips  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results" / "speed.md"

# Runs a command in a fresh child and reports its wall time, CPU time (all
# threads) and peak memory.
_MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": time.perf_counter() - started, "cpu_seconds": usage.ru_utime + usage.ru_stime,
                  "peak_mib": usage.ru_maxrss / 1024}))
"""

_TRANSCODE = """
import sys, av
source, target, preset, crf = sys.argv[1:5]
with av.open(source) as inp, av.open(target, "w") as out:
    stream_in = inp.streams.video[0]
    stream_in.thread_type = "AUTO"
    stream = out.add_stream("libx264", rate=stream_in.average_rate or 25,
                            options={"preset": preset, "crf": crf})
    stream.width, stream.height, stream.pix_fmt = stream_in.width, stream_in.height, "yuv420p"
    stream.codec_context.thread_type = "FRAME"  # as the ffmpeg command line, and blur, encode
    for frame in inp.decode(stream_in):
        frame.pict_type = 0
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))
"""


def measure(command: list[str]) -> dict:
    result = subprocess.run([sys.executable, "-c", _MEASURE, *command], check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


_SCALE_LOOP = """
import sys, av
source, target, width, height, frames = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
written = 0
with av.open(target, "w") as out:
    stream = None
    while written < frames:
        with av.open(source) as inp:
            rate = inp.streams.video[0].average_rate
            if stream is None:
                stream = out.add_stream("libx264", rate=rate, options={"preset": "veryfast", "crf": "18"})
                stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            for frame in inp.decode(video=0):
                if written == frames:
                    break
                scaled = frame.reformat(width=width, height=height, format="yuv420p")
                scaled.pts, scaled.time_base = written, 1 / rate
                out.mux(stream.encode(scaled))
                written += 1
    out.mux(stream.encode(None))
"""


def scaled_loop(source: Path, target: Path, size: tuple[int, int], frames: int) -> Path:
    """The source scaled to a size and looped to a number of frames."""
    subprocess.run([sys.executable, "-c", _SCALE_LOOP, str(source), str(target), str(size[0]), str(size[1]),
                    str(frames)], check=True)
    return target


def count_frames(path: Path) -> int:
    import av

    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--crf", default="18")
    parser.add_argument("--frames", type=int, default=300, help="frames in each 1080p clip")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-length", action="store_true", help="skip the 1- and 5-minute memory runs")
    parser.add_argument("--deface", type=Path, help="the deface command, to run it with the same encoder settings")
    args = parser.parse_args()

    blur = [sys.executable, "-m", "blur", "--quiet", "redact", "--force", "--preset", args.preset, "--crf", args.crf]
    baseline_options = ["--detector", "centerface", "--threshold", "0.2", "--mask-scale", "1.3", "--no-track",
                        "--detect-every", "1", "--light-size", "0", "--precision", "exact"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="blur-speed-") as scratch_name:
        scratch = Path(scratch_name)
        vtest = DATA / "videos/debian-opencv-doc_vtest.avi"
        clips = {
            "1080p pan/zoom, crowd": build_clips(DATA / "wider-face-val", scratch / "clips", 1, frames=args.frames)[0].path,
            "1080p street (MOT17-13, scaled up)": scaled_loop(DATA / "videos/dlib_MOT17-13-SDP-raw.h265",
                                                              scratch / "street.mp4", (1920, 1080), args.frames),
            "480p CCTV (vtest.avi)": scaled_loop(vtest, scratch / "cctv.mp4", (640, 480), 795),
        }
        for label, clip in clips.items():
            frames = count_frames(clip)
            out = scratch / "out.mp4"
            transcode = measure([sys.executable, "-c", _TRANSCODE, str(clip), str(out), args.preset, args.crf])
            runs = {"plain transcode (same encoder settings)": transcode,
                    "blur, defaults": measure([*blur, str(clip), "-o", str(out)])}
            if not args.no_baseline:
                runs["baseline: CenterFace 0.2 every frame"] = measure([*blur, *baseline_options, str(clip), "-o", str(out)])
            if args.deface:
                encoder = {"codec": "libx264", "quality": None, "ffmpeg_params": ["-preset", args.preset, "-crf", args.crf]}
                runs["deface 1.5.0 (OpenCV DNN), same encoder"] = measure(
                    [str(args.deface), str(clip), "-o", str(out), "--ffmpeg-config", json.dumps(encoder)])
                # As its users run it, and as the issue timed it: x264 medium at CRF 25.
                runs["deface 1.5.0, its own encoder defaults"] = measure([str(args.deface), str(clip), "-o", str(out)])
            baseline = runs.get("baseline: CenterFace 0.2 every frame")
            deface = runs.get("deface 1.5.0 (OpenCV DNN), same encoder")
            for name, run in runs.items():
                rows.append((label, frames, name, run, transcode, baseline, deface))
            print(f"done: {label}", file=sys.stderr)
        if not args.no_length:
            for minutes in (1, 5):
                clip = scaled_loop(vtest, scratch / f"cctv{minutes}.mp4", (640, 480), minutes * 600)
                out = scratch / "out.mp4"
                transcode = measure([sys.executable, "-c", _TRANSCODE, str(clip), str(out), args.preset, args.crf])
                run = measure([*blur, str(clip), "-o", str(out)])
                rows.append((f"480p CCTV, {minutes} min", minutes * 600, "blur, defaults", run, transcode, None, None))
                print(f"done: {minutes} min", file=sys.stderr)

    lines = [
        "# Speed benchmark", "",
        f"Made by `benchmarks/speed.py` on {time.strftime('%Y-%m-%d')}, 2 cores, "
        f"encoder libx264 preset {args.preset} crf {args.crf}; wall time includes start-up and model load.", "",
        "| clip | frames | run | wall s | frames/s | peak MiB | x transcode time | x baseline frames/s "
        "| x deface frames/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, frames, name, run, transcode, baseline, deface in rows:
        speedups = [f"{other['seconds'] / run['seconds']:.1f}" if other else "—" for other in (baseline, deface)]
        lines.append(f"| {label} | {frames} | {name} | {run['seconds']:.1f} | {frames / run['seconds']:.1f} | "
                     f"{run['peak_mib']:.0f} | {run['seconds'] / transcode['seconds']:.2f} | {' | '.join(speedups)} |")
    table = "\n".join(lines) + "\n"
    print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(table)


if __name__ == "__main__":
    main()
