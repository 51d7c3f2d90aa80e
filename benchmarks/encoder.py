"""Encoder defaults: quality against the source, file size and speed for
libx264 CRF and preset choices, on real footage with no faces redacted (a
plain transcode), so only the encoder is measured.

Quality is PSNR of the luma plane against the decoded source, averaged over
frames (40 dB and up is visually indistinguishable in practice). Writes
benchmarks/results/encoder.md.

    .venv/bin/python benchmarks/encoder.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from panzoom import build_clips  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results" / "encoder.md"
CHOICES = [("veryfast", 18), ("veryfast", 23), ("faster", 18), ("medium", 18), ("ultrafast", 18)]


def luma(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="gray").astype(np.float32) for f in container.decode(video=0)]


def transcode(source: Path, target: Path, preset: str, crf: int) -> float:
    started = time.perf_counter()
    with av.open(str(source)) as inp, av.open(str(target), "w") as out:
        stream_in = inp.streams.video[0]
        stream_in.thread_type = "AUTO"
        stream = out.add_stream("libx264", rate=stream_in.average_rate or 25,
                                options={"preset": preset, "crf": str(crf)})
        stream.width, stream.height, stream.pix_fmt = stream_in.width, stream_in.height, "yuv420p"
        stream.codec_context.thread_type = "FRAME"  # as blur's own encoder, and the ffmpeg command line
        for frame in inp.decode(stream_in):
            frame.pict_type = 0
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return time.perf_counter() - started


def psnr(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    values = []
    for x, y in zip(a, b):
        mse = float(np.mean((x - y) ** 2))
        values.append(99.0 if mse == 0 else 10 * np.log10(255 ** 2 / mse))
    return float(np.mean(values))


def main() -> None:
    lines = ["# Encoder settings", "",
             f"Made by `benchmarks/encoder.py` on {time.strftime('%Y-%m-%d')}, 2 cores: plain transcodes, "
             "luma PSNR against the decoded source.", "",
             "| clip | preset | crf | PSNR dB | size / source | s |", "|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory(prefix="blur-encoder-") as scratch_name:
        scratch = Path(scratch_name)
        clips = {"1080p pan/zoom": build_clips(DATA / "wider-face-val", scratch / "clips", 1, frames=150)[0].path,
                 "768x576 CCTV (vtest.avi)": DATA / "videos/debian-opencv-doc_vtest.avi",
                 "640x360 stage": DATA / "videos/face_recognition_short_hamilton_clip.mp4"}
        for label, clip in clips.items():
            reference = luma(clip)
            for preset, crf in CHOICES:
                target = scratch / "out.mp4"
                seconds = transcode(clip, target, preset, crf)
                lines.append(f"| {label} | {preset} | {crf} | {psnr(reference, luma(target)):.1f} | "
                             f"{target.stat().st_size / clip.stat().st_size:.2f} | {seconds:.1f} |")
            print(f"done: {label}", file=sys.stderr)
    table = "\n".join(lines) + "\n"
    print(table)
    RESULTS.write_text(table)


if __name__ == "__main__":
    main()
