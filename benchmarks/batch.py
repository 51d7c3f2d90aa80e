"""Batch benchmark: files per hour with 1 and 2 local workers, and with a Dask
LocalCluster of 2 workers, on a folder of real footage and photos.

The folder: six real videos from ../shared/data/videos (short, mixed sizes)
and 20 WIDER FACE photos, linked (not copied) into a scratch folder. Each run
starts from an empty destination. Prints the table and writes it to
benchmarks/results/batch.md.

    .venv/bin/python benchmarks/batch.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
RESULTS = Path(__file__).resolve().parent / "results" / "batch.md"
VIDEOS = [
    "intel_walk.mkv", "face_recognition_short_hamilton_clip.mp4", "dlib_MOT20-05-raw_even_shorter.mp4",
    "intel_classroom.gif", "intel_people-detection.gif", "intel_head-pose-face-detection-female-and-male.gif",
]

_DASK = """
import sys, time
from pathlib import Path
from distributed import LocalCluster
from blur.batch import run_batch
from blur.record import Disclosure
from blur.settings import Settings
if __name__ == "__main__":
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None, host="127.0.0.1") as cluster:
        started = time.perf_counter()
        run_batch(Path(sys.argv[1]), Path(sys.argv[2]), Settings(), Disclosure(), scheduler=cluster.scheduler_address)
        print(time.perf_counter() - started)
"""


def build_folder(folder: Path) -> int:
    (folder / "videos").mkdir(parents=True)
    (folder / "photos").mkdir()
    for name in VIDEOS:
        (folder / "videos" / name).symlink_to(DATA / "videos" / name)
    boxes = json.loads((DATA / "wider-face-val" / "boxes.json").read_text())
    for index, key in enumerate(sorted(boxes)[::20][:20]):
        (folder / "photos" / f"{index:02d}.jpg").symlink_to(DATA / "wider-face-val" / key)
    return len(VIDEOS) + 20


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="blur-batch-") as scratch_name:
        scratch = Path(scratch_name)
        files = build_folder(scratch / "src")
        for label, command in [
            ("1 local worker", ["--workers", "1"]),
            ("2 local workers", ["--workers", "2"]),
        ]:
            target = scratch / label.replace(" ", "-")
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "blur", "--quiet", "batch", str(scratch / "src"), str(target),
                            *command], check=True)
            rows.append((label, time.perf_counter() - started))
            print(f"done: {label}", file=sys.stderr)
        script = scratch / "dask_run.py"
        script.write_text(_DASK)
        result = subprocess.run([sys.executable, str(script), str(scratch / "src"), str(scratch / "dask")],
                                check=True, capture_output=True, text=True)
        rows.append(("Dask LocalCluster, 2 workers (cluster start not timed)", float(result.stdout.split()[-1])))
    single = rows[0][1]
    lines = [
        "# Batch benchmark", "",
        f"Made by `benchmarks/batch.py` on {time.strftime('%Y-%m-%d')}, 2 cores; {files} files "
        f"({len(VIDEOS)} real videos, 20 photos); default settings; wall time includes start-up and model loads.", "",
        "| run | wall s | files / hour | speed-up |", "|---|---|---|---|",
    ]
    lines += [f"| {label} | {seconds:.1f} | {files * 3600 / seconds:.0f} | {single / seconds:.2f} |"
              for label, seconds in rows]
    table = "\n".join(lines) + "\n"
    print(table)
    RESULTS.write_text(table)


if __name__ == "__main__":
    main()
