"""Which files to redact and where each output goes.

One input file: the output is a file (default ``NAME.redacted.EXT`` beside
it). Several inputs or a folder: the output is a folder, and each file keeps
its path relative to the folder it was found in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from blur.errors import InputError, OutputError
from blur.media import CONTAINER_FORMATS
from blur.outputs import PARTIAL_MARK
from blur.photo import PHOTO_FORMATS

VIDEO_SUFFIXES = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".avi", ".webm", ".gif", ".ts", ".mts", ".m2ts", ".mpg", ".mpeg",
     ".wmv", ".flv", ".3gp", ".h264", ".264", ".h265", ".265", ".hevc", ".mjpeg", ".ogv"}
)
MEDIA_SUFFIXES = VIDEO_SUFFIXES | frozenset(PHOTO_FORMATS)
# Containers the default H.264 output can go back into; other inputs become MP4.
_KEEP_SUFFIX = frozenset({".mp4", ".m4v", ".mov", ".mkv"})
REDACTED_MARK = ".redacted"


@dataclass(frozen=True)
class Job:
    """One input file and the output it becomes."""

    source: Path
    output: Path


@dataclass(frozen=True)
class Skipped:
    """A file found in a folder that is not redacted, and why."""

    path: Path
    reason: str


def default_output_name(source: Path) -> str:
    """``clip.mov`` -> ``clip.redacted.mov``; ``cam.avi`` -> ``cam.redacted.mp4``."""
    suffix = source.suffix.lower()
    if suffix not in PHOTO_FORMATS and suffix not in _KEEP_SUFFIX:
        suffix = ".mp4"
    return f"{source.stem}{REDACTED_MARK}{suffix}"


def _walk(folder: Path) -> tuple[list[Path], list[Skipped]]:
    found, skipped = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.name
        if name.startswith(".") and PARTIAL_MARK in name:
            continue
        if path.suffix.lower() not in MEDIA_SUFFIXES:
            skipped.append(Skipped(path, "not a video or photo"))
        elif REDACTED_MARK + path.suffix in name:
            skipped.append(Skipped(path, "is a redacted output already"))
        else:
            found.append(path)
    return found, skipped


def plan_jobs(inputs: list[Path], output: Path | None) -> tuple[list[Job], list[Skipped]]:
    """Jobs for every media file named or found in the folders named."""
    if not inputs:
        raise InputError("no input given")
    for path in inputs:
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
    single_file = len(inputs) == 1 and inputs[0].is_file()
    if single_file:
        source = inputs[0]
        target = output if output is not None else source.with_name(default_output_name(source))
        if target.is_dir():
            target = target / default_output_name(source)
        jobs, skipped = [Job(source, target)], []
    else:
        if output is not None and output.exists() and not output.is_dir():
            raise OutputError(f"{output}: several inputs need an output folder, and this is a file")
        jobs, skipped = [], []
        for path in inputs:
            if path.is_file():
                files, root = [path], path.parent
            else:
                files, skipped_here = _walk(path)
                skipped += skipped_here
                root = path
            for source in files:
                relative = source.relative_to(root)
                folder = (output / relative.parent) if output is not None else source.parent
                jobs.append(Job(source, folder / default_output_name(source)))
    _check_distinct(jobs)
    return jobs, skipped


def _check_distinct(jobs: list[Job]) -> None:
    sources = {job.source.resolve() for job in jobs}
    seen: dict[Path, Path] = {}
    for job in jobs:
        target = job.output.resolve()
        if target in sources:
            raise OutputError(f"{job.output}: is an input; blur never overwrites its input")
        if target in seen:
            raise OutputError(f"{job.output}: both {seen[target]} and {job.source} would be written there")
        seen[target] = job.source
        suffix = job.output.suffix.lower()
        is_photo_in = job.source.suffix.lower() in PHOTO_FORMATS
        if is_photo_in and suffix not in PHOTO_FORMATS:
            raise OutputError(f"{job.output}: a photo's output must end in one of {', '.join(PHOTO_FORMATS)}")
        if not is_photo_in and suffix not in CONTAINER_FORMATS:
            raise OutputError(f"{job.output}: a video's output must end in one of {', '.join(CONTAINER_FORMATS)}")
