"""Wires the stages: scan (decode, detect, plan) and render (decode, redact,
encode, mux, rename into place).

``Redactor`` owns the detector, so one model load serves many files.
"""

from __future__ import annotations

import logging
from collections import deque
from contextlib import closing
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Protocol

import av
import numpy as np

from blur.concurrency import BackgroundWorker, read_ahead
from blur.detect import FaceDetector, build_detector
from blur.detect.photo_search import detect_photo
from blur.digest import sha256_of
from blur.errors import PlanError
from blur.media import RGB, Frame, VideoInfo, VideoReader, VideoWriter
from blur.outputs import atomic_output, check_writable
from blur.photo import PHOTO_FORMATS, Photo
from blur.plan import Plan, SourceInfo
from blur.record import Disclosure, build_record, write_record
from blur.redact import LAYOUTS
from blur.regions import SOURCE_CODES, FaceRegions
from blur.looking import Look, Looker, search_frames
from blur.schedule import SearchSchedule
from blur.segments import scan_in_segments
from blur.settings import RedactSettings, Settings, TrackSettings
from blur.track import Tracker, track_all

log = logging.getLogger(__name__)

# The one-pass redact holds decoded frames for its render, rather than
# decoding the video twice, when the most it could hold fits in this.
SHARED_FRAMES_BYTES = 1 << 30


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
    return apply_regions(image, plan.regions(frame_index), plan.zones_at(frame_index), settings, pixel_format)


def apply_regions(image: np.ndarray, regions: FaceRegions, zones: FaceRegions, settings: RedactSettings,
                  pixel_format: str = RGB) -> np.ndarray:
    """Redact one frame in place: face regions as the settings say; manual
    regions and zones exactly as drawn."""
    redact = LAYOUTS[pixel_format]
    manual = regions.source == SOURCE_CODES["manual"]
    redact(image, regions.take(~manual), settings)
    exact = FaceRegions.concat([regions.take(manual), zones])
    return redact(image, exact, replace(settings, shape="box", mask_scale=1.0))


def is_photo(path: Path) -> bool:
    return path.suffix.lower() in PHOTO_FORMATS


class _FrameRedaction(Protocol):
    """Where a render's redaction of each frame comes from."""

    def __call__(self, frame: Frame) -> None: ...

    def finish(self, frames_written: int) -> None: ...


class _PlanFrames:
    """Redacts each frame of a render as a plan says; fails closed on a frame
    the plan does not know."""

    def __init__(self, path: Path, plan: Plan, settings: RedactSettings) -> None:
        self._path, self._plan, self._settings = path, plan, settings

    def __call__(self, frame: Frame) -> None:
        frame_count = self._plan.source.frame_count
        if frame.index >= frame_count:
            # Fail closed: a frame the plan does not know could show a face.
            raise PlanError(f"{self._path}: has more frames than its plan ({frame_count}); scan it again")
        apply_plan(frame.image, self._plan, frame.index, self._settings, frame.pixel_format)

    def finish(self, frames_written: int) -> None:
        pass


class _StreamedScan:
    """Searches and tracks a video on its own thread, a few seconds ahead of
    its render, and redacts each frame the render hands it with the regions
    tracking has made final for it; keeps them, and the search record, for
    the plan.

    With ``share_frames`` the render does not decode the video itself: the
    scan holds each decoded frame (and the audio that follows it) until its
    regions are final and hands it on, through ``items``. Otherwise the
    render reads the video again, and the scan holds only regions.
    """

    def __init__(self, reader: VideoReader, detector: FaceDetector, tracker: Tracker, settings: Settings,
                 share_frames: bool) -> None:
        self._reader, self._settings, self.shares_frames = reader, settings, share_frames
        self._looker = Looker(detector, settings.detect, reader.info)
        self._tracker = tracker
        self.frames: list[FaceRegions] = []
        self.cuts: list[int] = []
        self.searches: list[str] = []
        self._regions: FaceRegions | None = None  # for the frame ``items`` handed out last
        # Started by the render's first look, once its writer is set up.
        self._final = read_ahead(self._search(), depth=8 if share_frames else 64, name="scanner")

    def _search(self) -> Iterator[tuple[Frame | int, FaceRegions] | av.Packet]:
        """On the scanner thread: each frame (or its index, when frames are
        not shared) with its final regions, in order, and the audio packets
        between frames when they are."""
        if self.shares_frames:
            audio = self._settings.encode.audio == "keep"
            source = self._reader.frames_and_audio(with_audio=audio, planar=True)
            yield from self._scan(source)
        else:
            with VideoReader(self._reader.path, report_damage=False) as own:
                yield from self._scan(own.frames(planar=True))

    def _scan(self, source: Iterator[Frame | av.Packet]) -> Iterator[tuple[Frame | int, FaceRegions] | av.Packet]:
        held: deque[Frame | av.Packet] = deque()  # frames not final yet, and the audio after each
        with closing(read_ahead(source, name="decoder")) as items:
            for item in items:
                if not isinstance(item, Frame):
                    if held:
                        held.append(item)
                    else:
                        yield item
                    continue
                if self.shares_frames:
                    held.append(item)
                yield from self._release(held, self._track(self._looker.look(item)))
        yield from self._release(held, self._track(self._looker.finish()))
        yield from self._release(held, self._tracker.finish())

    def _track(self, look: Look | None) -> list:
        """Hands a frame's look to tracking; the frames tracking made final."""
        if look is None:
            return []
        if look.is_cut:
            self.cuts.append(look.frame.index)
        self.searches.append(look.code)
        return self._tracker.add(look.frame.index, look.found, look.is_cut)

    def _release(self, held: deque, final: list) -> Iterator[tuple[Frame | int, FaceRegions] | av.Packet]:
        for index, regions, _ in final:
            if not self.shares_frames:
                yield index, regions
                continue
            frame = held.popleft()
            if frame.index != index:  # fail closed: these regions are another frame's
                raise PlanError(f"{self._reader.path}: tracking handed on frame {index} for frame {frame.index}")
            yield frame, regions
            while held and not isinstance(held[0], Frame):
                yield held.popleft()

    def items(self) -> Iterator[Frame | av.Packet]:
        """The video's frames, each with its regions final, and its audio
        packets, in file order (when frames are shared)."""
        for item in self._final:
            if isinstance(item, tuple):
                frame, self._regions = item
                yield frame
            else:
                yield item

    def __call__(self, frame: Frame) -> None:
        if self.shares_frames:
            regions = self._regions
        else:
            index, regions = next(self._final, (None, None))
            if index != frame.index:
                raise PlanError(f"{self._reader.path}: the search read {len(self.frames)} frames where the render "
                                "read more")
        self.frames.append(regions)
        apply_regions(frame.image, regions, FaceRegions.empty(), self._settings.redact, frame.pixel_format)

    def finish(self, frames_written: int) -> None:
        if next(self._final, None) is not None:
            raise PlanError(f"{self._reader.path}: the search read more frames than the render ({frames_written})")

    def close(self) -> None:
        """Stop the search (if the render ended early) and wait for it."""
        self._final.close()


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
        return detector.model_records()

    # scan ------------------------------------------------------------------

    def scan(self, path: Path, workers: int = 1, report_damage: bool = True) -> Plan:
        """Find every face region in every frame of a video or photo.

        workers: split a video at keyframes into this many segments and
            search them in parallel processes; tracking then runs over the
            whole video, so tracks cross the segment boundaries.
        report_damage: warn if the video proves cut short (False when a
            render follows, which warns).
        """
        return self._scan_photo(path) if is_photo(path) else self._scan_video(path, workers, report_damage)

    def _scan_photo(self, path: Path) -> Plan:
        photo = Photo(path)
        detector = self._detect()
        found = detect_photo(detector, photo.image, self.settings.detect.enlarge_photos)
        regions = found.take(found.score >= self.settings.detect.threshold)
        source = SourceInfo(
            path=str(path), sha256=sha256_of(path), size_bytes=path.stat().st_size, kind="photo",
            width=photo.width, height=photo.height, frame_count=1, time_base="1/1", frame_rate="0/1",
        )
        return Plan(source, self.settings.to_dict(), self._model_records(), [regions], searches="F")

    def _scan_video(self, path: Path, workers: int, report_damage: bool) -> Plan:
        split = scan_in_segments(path, self.settings, workers, self._progress) if workers > 1 else None
        if split is not None:
            info, found = split
        else:
            with VideoReader(path, report_damage) as reader:
                info = reader.info
                self._progress.start(f"scanning {path.name}", info.frame_count)
                try:
                    found = search_frames(read_ahead(reader.frames(planar=True), name="decoder"), self._detect(),
                                          self.settings.detect, info, self._progress)
                finally:
                    self._progress.finish()
        frames = track_all(self._tracker(info), found.detections, set(found.cuts))
        return self._video_plan(path, info, frames, found.cuts, found.searches)

    def _video_plan(self, path: Path, info: VideoInfo, frames: list[FaceRegions], cuts: list[int],
                    searched: str) -> Plan:
        log.info("%s: searched %d frames in full, %d light (%d with close looks), %d not", path, searched.count("F"),
                 searched.count("L") + searched.count("C"), searched.count("C"), searched.count("-"))
        source = SourceInfo(
            path=str(path), sha256=sha256_of(path), size_bytes=path.stat().st_size, kind="video",
            width=info.width, height=info.height, frame_count=len(frames),
            time_base=str(info.time_base), frame_rate=str(Fraction(info.frame_rate)),
        )
        return Plan(source, self.settings.to_dict(), self._model_records(), frames,
                    cuts=sorted(cuts), searches=searched)

    def _tracker(self, info: VideoInfo) -> Tracker:
        """Confirms weak hits that persist, then links, fills gaps and pads."""
        detect = self.settings.detect
        # Searching every n-th frame sees a steady face n times less often.
        needed = max(2, -(-detect.confirm_frames // detect.every_frames))
        return Tracker(detect.threshold, needed, info.frame_rate, self._track_settings(info))

    def _track_settings(self, info: VideoInfo) -> TrackSettings:
        """Tracking that bridges the frames the schedule does not search for
        a face (a small face may be seen only by full searches, a still
        picture is searched less often): gaps of up to twice the longest such
        stretch are filled, and padding covers one."""
        track = self.settings.track
        if not track.enabled:
            return track
        schedule = SearchSchedule(self.settings.detect, info.frame_rate, min(info.width, info.height))
        longest_s = schedule.longest_unsearched_frames / float(info.frame_rate)
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
            frames, removed = self._render_video(path, output, force, _PlanFrames(path, plan, self.settings.redact),
                                                 plan.source.frame_count)
        return self._record(plan, output, frames, removed, disclosure)

    def _record(self, plan: Plan, output: Path, frames: int, removed: dict[str, Any],
                disclosure: Disclosure | None) -> RenderResult:
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

    def _render_video(self, path: Path, output: Path, force: bool, redact: _FrameRedaction,
                      frame_count: int | None = None) -> tuple[int, dict[str, Any]]:
        """Decode on one thread, redact here, encode and mux on another."""
        with VideoReader(path) as reader:
            audio = self.settings.encode.audio == "keep"
            return self._write_video(
                reader, output, force, redact, frame_count,
                lambda: read_ahead(reader.frames_and_audio(with_audio=audio, planar=True), name="decoder"))

    def _write_video(self, reader: VideoReader, output: Path, force: bool, redact: _FrameRedaction,
                     frame_count: int | None, items: Callable[[], Iterable[Frame | av.Packet]]
                     ) -> tuple[int, dict[str, Any]]:
        """Redact each frame of ``items()`` (taken once the output is set up)
        here; encode it, and copy the audio, on another thread."""
        frames_written = 0
        with atomic_output(output, force) as partial:
            writer = VideoWriter(partial, output.suffix, reader, self.settings.encode)
            encoder = BackgroundWorker(writer.write, name="encoder")
            self._progress.start(f"writing {output.name}", frame_count or reader.info.frame_count)
            try:
                for item in items():
                    if isinstance(item, Frame):
                        redact(item)
                        frames_written += 1
                        self._progress.advance(1)
                    encoder.submit(item)
                redact.finish(frames_written)
                encoder.finish()
                writer.close()
            except BaseException:
                encoder.cancel()
                writer.abort()
                raise
            finally:
                self._progress.finish()
            removed = {"metadata": writer.removed_metadata, "audio": writer.audio_summary}
            if writer.left_out_streams:
                removed["streams"] = writer.left_out_streams
        return frames_written, removed

    # both ------------------------------------------------------------------

    def redact(self, path: Path, output: Path, force: bool = False, disclosure: Disclosure | None = None,
               workers: int = 1, plan_output: Path | None = None) -> RenderResult:
        """Scan and render in one go. plan_output: also save the plan there
        (before the disclosure record, which is written last)."""
        check_writable(output, force)
        if is_photo(path) or workers > 1:
            plan = self.scan(path, workers, report_damage=False)
            if plan_output is not None:
                plan.save(plan_output)
            return self.render(path, plan, output, force, verify=False, disclosure=disclosure)
        return self._redact_video(path, output, force, disclosure, plan_output)

    def _redact_video(self, path: Path, output: Path, force: bool, disclosure: Disclosure | None,
                      plan_output: Path | None) -> RenderResult:
        """Scan and render at once: the search and tracking run on their own
        thread, a few seconds ahead of the render, which redacts each frame as
        soon as its regions are final. Nothing waits for the whole video to be
        searched. The frames decoded for the search are held for the render
        when the most that tracking can hold back fits in
        ``SHARED_FRAMES_BYTES``; otherwise the render decodes the video again
        and only regions are held. The plan is the one a separate scan would
        make."""
        with VideoReader(path) as reader:
            info = reader.info
            tracker = self._tracker(info)
            # Frames waiting in the decoder's, the scanner's and the encoder's queues, and in tracking.
            held = tracker.longest_hold + 3 * 8
            share = held * reader.frame_bytes(planar=True) <= SHARED_FRAMES_BYTES
            scanned = _StreamedScan(reader, self._detect(), tracker, self.settings, share)
            try:
                if share:
                    frames, removed = self._write_video(reader, output, force, scanned, None, scanned.items)
                else:
                    frames, removed = self._render_video(path, output, force, scanned)
            finally:
                scanned.close()
        log.info("%s: %s", path, "one decode, frames held for the render" if share else "decoded twice")
        plan = self._video_plan(path, info, scanned.frames, scanned.cuts, "".join(scanned.searches))
        if plan_output is not None:
            plan.save(plan_output)
        return self._record(plan, output, frames, removed, disclosure)

    def close(self) -> None:
        if self._detector is not None:
            self._detector.close()
            self._detector = None

    def __enter__(self) -> Redactor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
