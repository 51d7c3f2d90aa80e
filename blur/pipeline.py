"""Wires the stages: scan (decode, detect, plan) and render (decode, redact,
encode, mux, rename into place).

``Redactor`` owns the detector, so one model load serves many files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from blur.concurrency import BackgroundWorker, read_ahead
from blur.detect import FaceDetector, build_detector
from blur.digest import sha256_of
from blur.errors import PlanError
from blur.media import RGB, Frame, VideoReader, VideoWriter
from blur.models import MODELS
from blur.outputs import atomic_output, check_writable
from blur.photo import PHOTO_FORMATS, Photo
from blur.plan import Plan, SourceInfo
from blur.record import Disclosure, build_record, write_record
from blur.redact import LAYOUTS
from blur.regions import SOURCE_CODES, FaceRegions
from blur.looking import search_frames
from blur.segments import scan_in_segments
from blur.settings import RedactSettings, Settings, TrackSettings
from blur.track import confirm, fill_and_pad, max_gap_frames

log = logging.getLogger(__name__)


class Progress(Protocol):
    """Told how far a pass has gone; the CLI draws it as a bar."""

    def start(self, label: str, total: int | None) -> None: ...

    def advance(self, count: int) -> None: ...

    def finish(self) -> None: ...


class _Silent:
    def start(self, label: str, total: int | None) -> None:
        pass

    def advance(self, count: int) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass(frozen=True)
class RenderResult:
    """What a render wrote: the output and its disclosure record."""

    output: Path
    record: Path
    frames: int
    regions: int
    tracks: int


def apply_plan(image: np.ndarray, plan: Plan, frame_index: int, settings: RedactSettings,
               pixel_format: str = RGB) -> np.ndarray:
    """Redact one frame in place: faces as the settings say; manual regions
    and zones exactly as drawn. pixel_format: the image's layout (see
    ``blur.media``)."""
    redact = LAYOUTS[pixel_format]
    regions = plan.regions(frame_index)
    manual = regions.source == SOURCE_CODES["manual"]
    redact(image, regions.take(~manual), settings)
    exact = FaceRegions.concat([regions.take(manual), plan.zones_at(frame_index)])
    return redact(image, exact, replace(settings, shape="box", mask_scale=1.0))


def is_photo(path: Path) -> bool:
    return path.suffix.lower() in PHOTO_FORMATS


class Redactor:
    """Scans and renders files with one set of settings.

    progress: where pass progress goes (nothing by default).
    """

    def __init__(self, settings: Settings, progress: Progress | None = None) -> None:
        self.settings = settings
        self._progress = progress or _Silent()
        self._detector: FaceDetector | None = None

    def _detect(self) -> FaceDetector:
        if self._detector is None:
            self._detector = build_detector(self.settings.detect)
        return self._detector

    def _model_records(self) -> list[dict[str, str]]:
        detector = self._detect()
        return [{"name": name, "sha256": MODELS[name].sha256, "source": MODELS[name].source} for name in detector.model_ids]

    # scan ------------------------------------------------------------------

    def scan(self, path: Path, workers: int = 1) -> Plan:
        """Find every face region in every frame of a video or photo.

        workers: split a video at keyframes into this many segments and
            search them in parallel processes; tracking then runs over the
            whole video, so tracks cross the segment boundaries.
        """
        return self._scan_photo(path) if is_photo(path) else self._scan_video(path, workers)

    def _scan_photo(self, path: Path) -> Plan:
        photo = Photo(path)
        found = self._detect().detect(photo.image)
        regions = found.take(found.score >= self.settings.detect.threshold)
        source = SourceInfo(
            path=str(path), sha256=sha256_of(path), size_bytes=path.stat().st_size, kind="photo",
            width=photo.width, height=photo.height, frame_count=1, time_base="1/1", frame_rate="0/1",
        )
        return Plan(source, self.settings.to_dict(), self._model_records(), [regions], searches="F")

    def _scan_video(self, path: Path, workers: int = 1) -> Plan:
        split = scan_in_segments(path, self.settings, workers, self._progress) if workers > 1 else None
        if split is not None:
            info, found = split
        else:
            with VideoReader(path) as reader:
                info = reader.info
                self._progress.start(f"scanning {path.name}", info.frame_count)
                try:
                    found = search_frames(read_ahead(reader.frames(planar=True), name="decoder"), self._detect(),
                                          self.settings.detect, info, self._progress)
                finally:
                    self._progress.finish()
        detections, cuts, searched = found.detections, set(found.cuts), found.searches
        log.info("%s: searched %d frames in full, %d light, %d not", path,
                 searched.count("F"), searched.count("L"), searched.count("-"))
        frames = self._track(detections, cuts, info.frame_rate)
        source = SourceInfo(
            path=str(path), sha256=sha256_of(path), size_bytes=path.stat().st_size, kind="video",
            width=info.width, height=info.height, frame_count=len(frames),
            time_base=str(info.time_base), frame_rate=str(Fraction(info.frame_rate)),
        )
        return Plan(source, self.settings.to_dict(), self._model_records(), frames,
                    cuts=sorted(cuts), searches=searched)

    def _track(self, candidates: list[FaceRegions], cuts: set[int], frame_rate: Fraction) -> list[FaceRegions]:
        """Confirm weak hits that persist, then link, fill gaps and pad."""
        detect, track = self.settings.detect, self._track_settings(frame_rate)
        if not track.enabled:
            return [c.take(c.score >= detect.threshold) for c in candidates]
        # Searching every n-th frame sees a steady face n times less often.
        needed = max(2, -(-detect.confirm_frames // detect.every_frames))
        confirmed = confirm(candidates, cuts, frame_rate, max_gap_frames(track, frame_rate), detect.threshold, needed)
        return fill_and_pad(confirmed, cuts, frame_rate, track)

    def _track_settings(self, frame_rate: Fraction) -> TrackSettings:
        """Tracking that bridges the frames the schedule does not search: a
        small face may be seen only by full searches, so gaps of up to two
        full-search intervals are filled, and padding reaches the next one."""
        track, detect = self.settings.track, self.settings.detect
        if not track.enabled:
            return track
        longest_s = max(float(detect.every_frames / frame_rate), detect.full_every_seconds)
        return replace(
            track,
            max_gap_seconds=min(10.0, max(track.max_gap_seconds, 2 * longest_s)),
            pad_seconds=min(10.0, max(track.pad_seconds, longest_s)),
        )

    # render ----------------------------------------------------------------

    def render(self, path: Path, plan: Plan, output: Path, force: bool = False, verify: bool = True,
               disclosure: Disclosure | None = None) -> RenderResult:
        """Apply a plan to its input, write the redacted output and, beside
        it, the disclosure record.

        verify: check the input is byte for byte the file the plan was made
            from (costs one read of the file).
        disclosure: requester, reason and reviewer for the record.
        """
        check_writable(output, force)
        if verify and sha256_of(path) != plan.source.sha256:
            raise PlanError(f"{path}: is not the file the plan was made from (SHA-256 differs)")
        if is_photo(path):
            removed = self._render_photo(path, plan, output, force)
            frames = 1
        else:
            frames, removed = self._render_video(path, plan, output, force)
        record = build_record(plan, output, self.settings.to_dict(), removed, disclosure or Disclosure())
        return RenderResult(output, write_record(record, output), frames, plan.region_count(), plan.track_count())

    def _apply(self, image: np.ndarray, plan: Plan, frame_index: int, pixel_format: str = RGB) -> None:
        apply_plan(image, plan, frame_index, self.settings.redact, pixel_format)

    def _render_photo(self, path: Path, plan: Plan, output: Path, force: bool) -> dict[str, Any]:
        photo = Photo(path)
        self._apply(photo.image, plan, 0)
        with atomic_output(output, force) as partial:
            photo.save(partial, output.suffix, self.settings.encode.keep_metadata)
        return {"metadata": [] if self.settings.encode.keep_metadata else photo.metadata_keys()}

    def _render_video(self, path: Path, plan: Plan, output: Path, force: bool) -> tuple[int, dict[str, Any]]:
        """Decode on one thread, redact here, encode and mux on another."""
        encode = self.settings.encode
        frame_count = plan.source.frame_count
        frames_written = 0
        with VideoReader(path) as reader, atomic_output(output, force) as partial:
            writer = VideoWriter(partial, output.suffix, reader, encode)
            encoder = BackgroundWorker(writer.write, name="encoder")
            self._progress.start(f"writing {output.name}", frame_count)
            try:
                for item in read_ahead(reader.frames_and_audio(with_audio=encode.audio == "keep", planar=True),
                                      name="decoder"):
                    if isinstance(item, Frame):
                        if item.index >= frame_count:
                            # Fail closed: a frame the plan does not know could show a face.
                            raise PlanError(f"{path}: has more frames than its plan ({frame_count}); scan it again")
                        self._apply(item.image, plan, item.index, item.pixel_format)
                        frames_written += 1
                        self._progress.advance(1)
                    encoder.submit(item)
                encoder.finish()
                writer.close()
            except BaseException:
                encoder.cancel()
                writer.abort()
                raise
            finally:
                self._progress.finish()
            removed = {"metadata": writer.removed_metadata, "audio": writer.audio_summary}
        return frames_written, removed

    # both ------------------------------------------------------------------

    def redact(self, path: Path, output: Path, force: bool = False,
               disclosure: Disclosure | None = None, workers: int = 1) -> RenderResult:
        """Scan and render in one go."""
        check_writable(output, force)
        plan = self.scan(path, workers)
        return self.render(path, plan, output, force, verify=False, disclosure=disclosure)

    def close(self) -> None:
        if self._detector is not None:
            self._detector.close()
            self._detector = None

    def __enter__(self) -> Redactor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
