"""The command line as a user meets it: bad inputs get one clear line and a
non-zero exit, nothing is left under the output name, inputs are untouched."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from blur.outputs import PARTIAL_MARK
from tests.clips import make_clip, make_cut_short_mp4
from tests.conftest import VIDEOS, WIDER

BLUR = [sys.executable, "-m", "blur"]


def run(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*BLUR, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "blur-partial" in p.name or ".redacted." in p.name)


@pytest.fixture
def clip(tmp_path) -> Path:
    return make_clip(tmp_path / "clip.mp4", frames=8)


def _truncated(tmp_path: Path) -> Path:
    data = (VIDEOS / "dlib_MOT20-08-raw_shorter.h264").read_bytes()
    path = tmp_path / "cut.h264"
    path.write_bytes(data[: len(data) // 2] + b"\x00\x00\x01" + bytes(range(256)) * 40)
    return path


def _bad_mp4_mid_stream(tmp_path: Path) -> Path:
    """An MP4 whose index is intact but whose frame data is overwritten with
    noise halfway through."""
    source = make_clip(tmp_path / "good.mp4", frames=30, audio=False)
    data = bytearray(source.read_bytes())
    start = len(data) // 3
    data[start : start + len(data) // 3] = bytes((i * 7919) % 256 for i in range(len(data) // 3))
    path = tmp_path / "noise.mp4"
    path.write_bytes(bytes(data))
    source.unlink()
    return path


def _unknown_codec(tmp_path: Path) -> Path:
    """A real MP4 whose video codec tag no decoder knows."""
    source = make_clip(tmp_path / "real.mp4", frames=4, audio=False)
    path = tmp_path / "odd_codec.mp4"
    path.write_bytes(source.read_bytes().replace(b"avc1", b"zzzz"))
    source.unlink()
    return path


def _no_frames(tmp_path: Path) -> Path:
    """An MKV with a video stream that holds no frame, beside sound."""
    import av

    path = tmp_path / "no_frames.mkv"
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
        sound = container.add_stream("aac", rate=48000)
        samples = np.zeros((1, 48000), np.float32)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate = 48000
        container.mux(sound.encode(frame) + sound.encode(None))
    return path


def _mp4_without_index(tmp_path: Path) -> Path:
    """An MP4 cut off before its index (written last, as cameras do)."""
    source = make_clip(tmp_path / "whole.mp4", frames=30, audio=False)
    path = tmp_path / "unfinished.mp4"
    path.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    source.unlink()
    return path


BAD_INPUTS = {
    "video stream without frames": (_no_frames, "no video frame could be decoded"),
    "unsupported codec": (_unknown_codec, "codec"),
    "missing file": (lambda tmp: tmp / "nope.mp4", "no such file"),
    "empty file": (lambda tmp: (tmp / "empty.mp4").write_bytes(b"") and tmp / "empty.mp4" or tmp / "empty.mp4",
                   "empty"),
    "mp4 cut before its index": (_mp4_without_index, "unfinished"),
    "text, not media": (lambda tmp: (tmp / "notes.mp4").write_text("hello") and tmp / "notes.mp4", "not a video"),
    "photo that is not a photo": (lambda tmp: (tmp / "x.jpg").write_bytes(b"\xff\xd8garbage") and tmp / "x.jpg",
                                  "photo"),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_one_line_nonzero_nothing_left(case, tmp_path):
    make, expected = BAD_INPUTS[case]
    path = make(tmp_path)
    before = digest(path) if path.exists() else None
    result = run("redact", path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("blur: error:")]
    assert len(errors) == 1 and str(path) in errors[0] and expected in errors[0].lower(), result.stderr
    assert leftovers(tmp_path) == []
    if before:
        assert digest(path) == before


def test_truncated_raw_stream_redacts_every_frame_that_decodes(tmp_path):
    """A cut-off raw stream: FFmpeg conceals what it can; every frame it
    decodes comes out, none is skipped, and the input is untouched."""
    from tests.clips import probe

    path = _truncated(tmp_path)
    before = digest(path)
    result = run("redact", path, "-o", tmp_path / "out.mp4")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert probe(tmp_path / "out.mp4").frame_count == probe(path).frame_count
    assert digest(path) == before


@pytest.mark.parametrize("options", [[], ["--workers", "2"]], ids=["one pass", "scan then render"])
def test_mp4_cut_short_is_redacted_as_far_as_it_goes_and_says_so_once(tmp_path, options):
    """Every frame that is there comes out redacted, and the user is told
    once (though the video may be read twice) that the file lists more
    frames than it holds: the output is shorter."""
    import av

    from tests.clips import probe

    path = make_cut_short_mp4(tmp_path / "cut.mp4")
    with av.open(str(path)) as container:
        listed = container.streams.video[0].frames
    result = run("redact", path, "-o", tmp_path / "out.mp4", *options)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    written = probe(tmp_path / "out.mp4").frame_count
    assert 0 < written < listed == 30
    warnings = [line for line in result.stderr.splitlines() if "cut short" in line]
    assert len(warnings) == 1 and str(path) in warnings[0], result.stderr
    assert f"lists {listed} video frames, only {written} could be decoded" in warnings[0]


def test_noise_mid_stream_fails_with_one_line(tmp_path):
    path = _bad_mp4_mid_stream(tmp_path)
    before = digest(path)
    result = run("redact", path, "-o", tmp_path / "out.mp4")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert str(path) in result.stderr and "corrupt or truncated" in result.stderr, result.stderr
    assert not (tmp_path / "out.mp4").exists()
    assert [n for n in leftovers(tmp_path) if "blur-partial" in n] == []
    assert digest(path) == before


def _started_writing(folder: Path, process: subprocess.Popen) -> None:
    """Wait until a partial video output is being written under the folder."""
    deadline = time.monotonic() + 120
    while not any(PARTIAL_MARK in p.name and p.suffix == ".mp4" for p in folder.rglob("*")):
        assert process.poll() is None, "the run ended before it could be stopped"
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _live_children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` and that have not ended."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, parent = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except (OSError, ValueError):
            continue
        if int(parent) == pid and state != "Z":
            children.append(int(stat.parent.name))
    return children


def _has_ended(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_stop_signal_removes_the_partial_output(signum, tmp_path):
    """`kill`, a closed terminal or a cluster's time limit stops a run as
    Ctrl-C does: one line, the shell's status for the signal, nothing left."""
    source = tmp_path / "crowd.h264"
    shutil.copy(VIDEOS / "dlib_MOT20-08-raw_shorter.h264", source)
    before = digest(source)
    process = subprocess.Popen([*BLUR, "redact", str(source)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    _started_writing(tmp_path, process)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum
    assert stderr.strip().splitlines()[-1] == "blur: interrupted; no partial output was left behind"
    assert leftovers(tmp_path) == [] and digest(source) == before


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_batch_stopped_or_killed_leaves_no_partial_output_nor_workers(signum, tmp_path):
    """A batch's parent stopped (SIGTERM to it alone) stops its workers, which
    remove their partial outputs; killed outright, its workers notice, clean up
    and end too, rather than wait for work for ever."""
    source_root, target_root = tmp_path / "in", tmp_path / "out"
    source_root.mkdir()
    for name in ("a", "b"):
        shutil.copy(VIDEOS / "dlib_MOT20-08-raw_shorter.h264", source_root / f"{name}.h264")
    process = subprocess.Popen([*BLUR, "batch", source_root, target_root, "--workers", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _started_writing(target_root, process)
    workers = _live_children(process.pid)
    assert len(workers) >= 2
    process.send_signal(signum)
    try:
        deadline = time.monotonic() + 30
        while not all(_has_ended(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert all(_has_ended(pid) for pid in workers)
    finally:
        for pid in workers:  # none, unless the test fails
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    _, stderr = process.communicate(timeout=60)  # the workers held its pipes until they ended
    assert [p.name for p in target_root.rglob("*") if PARTIAL_MARK in p.name] == []
    assert [p.name for p in target_root.rglob("*.mp4")] == []
    if signum == signal.SIGTERM:
        assert process.returncode == 128 + signum
        assert stderr.strip().splitlines()[-1] == "blur: interrupted; no partial output was left behind"


def test_existing_output_refused_without_force(clip, tmp_path):
    output = tmp_path / "out.mp4"
    output.write_bytes(b"keep me")
    result = run("redact", clip, "-o", output)
    assert result.returncode != 0 and "exists" in result.stderr and "--force" in result.stderr
    assert output.read_bytes() == b"keep me"
    assert run("redact", clip, "-o", output, "--force").returncode == 0
    assert output.stat().st_size > 1000


def test_output_may_not_be_the_input(clip):
    before = digest(clip)
    result = run("redact", clip, "-o", clip, "--force")
    assert result.returncode != 0 and "input" in result.stderr
    assert digest(clip) == before


def test_default_output_beside_input(clip, tmp_path):
    result = run("redact", clip)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "clip.redacted.mp4").exists()


def test_folder_recursed_paths_kept_others_noted(tmp_path):
    source = tmp_path / "in"
    (source / "day1").mkdir(parents=True)
    make_clip(source / "day1" / "cam.mp4", frames=4, audio=False)
    shutil.copy(WIDER / "images/0--Parade/0_Parade_Parade_0_102.jpg", source / "crowd.jpg")
    (source / "notes.txt").write_text("not media")
    result = run("redact", source, "-o", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "day1" / "cam.redacted.mp4").exists()
    assert (tmp_path / "out" / "crowd.redacted.jpg").exists()
    assert "notes.txt" in result.stderr and "skipped" in result.stderr


def test_one_bad_file_does_not_stop_the_others(tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    make_clip(source / "good.mp4", frames=4, audio=False)
    (source / "bad.mp4").write_text("not a video")
    result = run("redact", source, "-o", tmp_path / "out")
    assert result.returncode != 0
    assert (tmp_path / "out" / "good.redacted.mp4").exists()
    assert not (tmp_path / "out" / "bad.redacted.mp4").exists()
    assert "bad.mp4" in result.stderr and "1 of 2 files failed" in result.stderr


def _tmpfs(mount_point: Path, options: str):
    """Mount a tmpfs of our own (needs root, as on CI); skip where not allowed."""
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount_point)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"needs root to mount a tmpfs: {mounted.stderr.decode().strip()}")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=False)


@pytest.fixture
def small_disk(tmp_path):
    """A 300 KiB filesystem: room to start writing, not to finish."""
    yield from _tmpfs(tmp_path / "small", "size=300k")


@pytest.fixture
def read_only_folder(tmp_path):
    yield from _tmpfs(tmp_path / "ro", "ro,size=64k")


def test_disk_full_fails_cleanly(small_disk, tmp_path):
    clip = make_clip(tmp_path / "big.mp4", width=640, height=480, frames=40, audio=True)
    result = run("redact", clip, "-o", small_disk / "out.mp4", "--crf", "0")
    assert result.returncode != 0
    assert "disk full" in result.stderr or "No space" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert list(small_disk.iterdir()) == []


def test_output_folder_not_writable(read_only_folder, clip):
    result = run("redact", clip, "-o", read_only_folder / "out.mp4")
    assert result.returncode != 0
    assert str(read_only_folder) in result.stderr and "Traceback" not in result.stderr


def test_help_and_models_listing():
    assert "redact" in run("--help").stdout
    listing = run("models")
    assert listing.returncode == 0
    for name in ("blazeface-full-range", "blazeface-short-range", "centerface"):
        assert name in listing.stdout
    assert "sha256" in listing.stdout


def test_scan_then_render_equals_redact(clip, tmp_path):
    plan = tmp_path / "plan.json"
    assert run("scan", clip, "-o", plan).returncode == 0
    rendered = tmp_path / "rendered.mp4"
    assert run("render", clip, "--plan", plan, "-o", rendered).returncode == 0
    assert rendered.exists()
    other = make_clip(tmp_path / "other.mp4", frames=8, width=322)
    result = run("render", other, "--plan", plan, "-o", tmp_path / "wrong.mp4")
    assert result.returncode != 0 and "not the file the plan was made from" in result.stderr
