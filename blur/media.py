"""Reading and writing video with PyAV: exact timestamps, audio copied,
metadata policy, flush on close.

Frames are handed out in the orientation they are stored in; the rotation a
player applies is reported and written back, so the output plays exactly as
the input did. Their pixels are RGB (H, W, 3) uint8, or, when asked for and
the video is stored that way, the decoder's own 4:2:0 planes: redacting those
and encoding them as they are skips two colour conversions per frame (a third
of a plain transcode's cost at 1080p) and leaves every pixel outside the faces
exactly as decoded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import av
import cv2
import numpy as np

from blur.errors import InputError, OutputError
from blur.settings import EncodeSettings
from blur.unfinished import lacks_index

log = logging.getLogger(__name__)

# Audio tags that say nothing about who or where, and that players need.
_NEUTRAL_STREAM_TAGS = ("language",)


@dataclass(frozen=True)
class Colour:
    """How a video's pixel values map to colours, in FFmpeg's codes (2 for
    primaries, transfer and matrix, 0 for the range: not stated). The output
    is converted and tagged the same, so players show it as they show the
    source: a phone's HDR video (HLG on BT.2020) stays HDR, and a BT.709 one
    does not shift colour."""

    primaries: int = 2
    transfer: int = 2
    matrix: int = 2
    pixel_range: int = 0  # 1 limited (16-235), 2 full (0-255)


@dataclass(frozen=True)
class VideoInfo:
    """What a video holds, as read from its container."""

    path: Path
    width: int
    height: int
    time_base: Fraction
    frame_rate: Fraction
    frame_count: int | None  # as the container declares it; None when it does not
    colour: Colour = Colour()
    bits_per_sample: int = 8
    field_order: int = 0  # FFmpeg's code: 0 not stated, 1 progressive, 2-5 interlaced (2 and 4 top field first)
    # width:height of one pixel as shown (anamorphic DV and broadcast video); None: square
    sample_aspect_ratio: Fraction | None = None


# Pixel layouts a Frame's image can have.
RGB = "rgb24"  # (H, W, 3)
I420 = "yuv420p"  # (H * 3 / 2, W): the Y plane, then U and V at half size


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its index, exact presentation time and pixels
    (``image``, laid out as ``pixel_format`` says)."""

    index: int
    pts: int
    duration: int
    time_base: Fraction
    rotation_deg: int
    image: np.ndarray
    pixel_format: str = RGB

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        height_px = self.image.shape[0] * 2 // 3 if self.pixel_format == I420 else self.image.shape[0]
        return self.image.shape[1], height_px

    def luma_or_rgb(self) -> np.ndarray:
        """The cheapest full-size view for comparing frames: the Y plane of a
        planar frame, the RGB image otherwise."""
        return self.image[: self.size[1]] if self.pixel_format == I420 else self.image

    def rgb(self, size: tuple[int, int] | None = None) -> np.ndarray:
        """The pixels as RGB (H, W, 3), scaled to ``size`` (width, height) if
        given. A planar frame is scaled before it is converted, which is cheap."""
        if self.pixel_format == RGB:
            if size is None or size == self.size:
                return self.image
            return cv2.resize(self.image, size, interpolation=cv2.INTER_AREA)
        if size is None or size == self.size:
            return cv2.cvtColor(self.image, cv2.COLOR_YUV2RGB_I420)
        width_px, height_px = size[0] + size[0] % 2, size[1] + size[1] % 2
        luma, u, v = i420_planes(self.image)
        small = np.empty((height_px * 3 // 2, width_px), np.uint8)
        small_luma, small_u, small_v = i420_planes(small)
        cv2.resize(luma, (width_px, height_px), small_luma, interpolation=cv2.INTER_AREA)
        cv2.resize(u, (width_px // 2, height_px // 2), small_u, interpolation=cv2.INTER_AREA)
        cv2.resize(v, (width_px // 2, height_px // 2), small_v, interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(small, cv2.COLOR_YUV2RGB_I420)[: size[1], : size[0]]


def i420_planes(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views of the Y, U and V planes of an I420 image (H * 3 / 2, W): the
    planes lie one after the other in memory, U and V at half the width and
    height (so not always on whole rows of the array)."""
    height_px, width_px = image.shape[0] * 2 // 3, image.shape[1]
    chroma_h, chroma_w = height_px // 2, width_px // 2
    flat = image.reshape(-1)
    luma_size, chroma_size = height_px * width_px, chroma_h * chroma_w
    u = flat[luma_size: luma_size + chroma_size].reshape(chroma_h, chroma_w)
    v = flat[luma_size + chroma_size: luma_size + 2 * chroma_size].reshape(chroma_h, chroma_w)
    return image[:height_px], u, v


class _FrameClock:
    """Numbers frames and makes their timing exact. Raw streams (.h264) carry
    no timestamps: theirs are counted from the frame rate."""

    def __init__(self, info: VideoInfo, first_index: int = 0, planar: bool = False) -> None:
        self._planar = planar
        self._time_base = info.time_base
        self._default_duration = max(1, round(1 / (info.frame_rate * info.time_base)))
        self._next_index = first_index
        self._next_pts = 0

    def stamp(self, frame: av.VideoFrame) -> Frame:
        duration = frame.duration or self._default_duration
        pts = frame.pts if frame.pts is not None else self._next_pts
        planar = self._planar and frame.format.name == I420 and frame.width % 2 == 0 and frame.height % 2 == 0
        stamped = Frame(
            index=self._next_index,
            pts=pts,
            duration=duration,
            time_base=self._time_base,
            rotation_deg=round(frame.rotation or 0) % 360,
            image=frame.to_ndarray() if planar else frame.to_ndarray(format=RGB),
            pixel_format=I420 if planar else RGB,
        )
        self._next_index += 1
        self._next_pts = pts + duration
        return stamped


def _bits_per_sample(pixel_format: str | None) -> int:
    """Bits per luma sample of a pixel format (8 when it is not known)."""
    try:
        return av.VideoFormat(pixel_format).components[0].bits if pixel_format else 8
    except (ValueError, av.error.FFmpegError):
        return 8


def _describe(error: Exception) -> str:
    """FFmpeg's reason in words, without error numbers or repeated paths."""
    reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return reason[:1].lower() + reason[1:]


def _stream_name(stream: av.stream.Stream) -> str:
    """'#2 subtitle subrip', '#0 video mjpeg 320x240 cover', '#3 data GoPro MET'."""
    context = stream.codec_context
    if stream.type == "video":
        what = f"{context.name} {context.width}x{context.height}"
        if stream.disposition & av.stream.Disposition.attached_pic:
            what += " cover"
    elif context is not None and context.name:
        what = context.name
    else:  # data and attachments have no codec; their handler or file name says what they are
        what = stream.metadata.get("handler_name") or stream.metadata.get("filename") or "unnamed"
    return f"#{stream.index} {stream.type} {what}"


def open_input(path: Path) -> av.container.InputContainer:
    """Open a media file for reading, with errors that name the file."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a media file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty (0 bytes)")
    try:
        return av.open(str(path), "r")
    except av.error.PermissionError:
        raise InputError(f"{path}: cannot be read (permission denied)") from None
    except (av.error.FFmpegError, UnicodeDecodeError) as error:
        if lacks_index(path):
            raise InputError(f"{path}: unfinished: the recording or copy stopped before the index of its frames "
                             "(the MP4/MOV 'moov' box) was written, so no frame can be found. Use a complete copy, "
                             "or rebuild the index with an MP4 repair tool first") from None
        raise InputError(f"{path}: not a video or photo blur can read ({_describe(error)})") from None


class VideoReader:
    """Decodes one video's frames in presentation order; also hands out its
    audio packets in file order when asked, for copying."""

    def __init__(self, path: Path, report_damage: bool = True) -> None:
        """report_damage: warn when the video proves cut short (False for a
        read that another read of the whole video follows, which warns)."""
        self.path = path
        self._report_damage = report_damage
        self._container = open_input(path)
        try:
            if not self._container.streams.video:
                raise InputError(f"{path}: has no video stream")
            # The main picture, as FFmpeg chooses it: not a cover image, nor a
            # one-frame stream listed before the video.
            self._video = self._container.streams.best("video") or self._container.streams.video[0]
            # What the output leaves out (``VideoWriter`` says so).
            self.other_streams = [s for s in self._container.streams if s is not self._video and s.type != "audio"]
            if self._video.codec_context is None or not self._video.codec_context.name:
                raise InputError(f"{path}: video codec is not supported")
            self._video.thread_type = "AUTO"
            self.audio_streams = list(self._container.streams.audio)
            self.info = self._read_info()
        except BaseException:
            self._container.close()
            raise

    @property
    def container_tags(self) -> dict[str, str]:
        return dict(self._container.metadata)

    @property
    def video_tags(self) -> dict[str, str]:
        return dict(self._video.metadata)

    def _read_info(self) -> VideoInfo:
        stream = self._video
        context = stream.codec_context
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate or Fraction(25)
        return VideoInfo(
            path=self.path,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            time_base=stream.time_base or Fraction(1, 90000),
            frame_rate=Fraction(rate),
            frame_count=stream.frames or None,
            colour=Colour(context.color_primaries or 2, context.color_trc or 2, context.colorspace or 2,
                          context.color_range or 0),
            bits_per_sample=_bits_per_sample(context.pix_fmt),
            field_order=context.field_order or 0,
            sample_aspect_ratio=stream.sample_aspect_ratio or context.sample_aspect_ratio or None,
        )

    def frame_bytes(self, planar: bool = False) -> int:
        """The size of one frame's pixels as ``frames`` hands them out."""
        width_px, height_px = self.info.width, self.info.height
        as_planes = planar and self._video.codec_context.pix_fmt == I420 and width_px % 2 == 0 and height_px % 2 == 0
        return width_px * height_px * 3 // (2 if as_planes else 1)

    def _demux(self, with_audio: bool, from_start: bool = True) -> Iterator[av.VideoFrame | av.Packet]:
        """Decoded video frames and, if asked, raw audio packets, in file order
        (from the start of the file, or from where it was sought)."""
        streams = [self._video, *self.audio_streams] if with_audio else [self._video]
        count = 0
        damaged = False
        try:
            for packet in self._container.demux(*streams):
                if packet.stream.type == "audio":
                    if packet.dts is not None:
                        yield packet
                    continue
                damaged = damaged or packet.is_corrupt
                for frame in packet.decode():
                    count += 1
                    yield frame
        except av.error.FFmpegError as error:
            raise InputError(
                f"{self.path}: corrupt or truncated video after frame {count} ({_describe(error)})"
            ) from None
        if count == 0:
            # Nothing to redact is not a finished job: the output would be empty.
            raise InputError(f"{self.path}: no video frame could be decoded (damaged, or cut short before the first)")
        listed = self.info.frame_count
        if damaged and from_start and self._report_damage and listed and count < listed:
            # A file cut off mid-copy keeps an index of every frame; the frames
            # that are there still go out, but the output is shorter.
            log.warning("%s: damaged or cut short: its index lists %d video frames, only %d could be decoded; "
                        "the output holds those %d", self.path, listed, count, count)

    def frames(self, planar: bool = False) -> Iterator[Frame]:
        """Every video frame, decoded, in presentation order.

        planar: hand out 4:2:0 frames as their planes (I420), not RGB.
        """
        yield from self.frames_and_audio(with_audio=False, planar=planar)  # type: ignore[misc]

    def frames_and_audio(self, with_audio: bool, planar: bool = False) -> Iterator[Frame | av.Packet]:
        """Video frames interleaved with raw audio packets, in file order."""
        clock = _FrameClock(self.info, planar=planar)
        for item in self._demux(with_audio):
            yield clock.stamp(item) if isinstance(item, av.VideoFrame) else item

    def presentation_times(self) -> tuple[list[int], list[int]] | None:
        """Every video frame's pts in presentation order, and the keyframes'
        pts, read from the packets without decoding; None for a stream that
        has no timestamps (raw .h264)."""
        every, keys = [], []
        for packet in self._container.demux(self._video):
            if packet.size == 0:
                continue
            if packet.pts is None:
                return None
            every.append(packet.pts)
            if packet.is_keyframe:
                keys.append(packet.pts)
        self._container.seek(0)
        return sorted(every), sorted(keys)

    def frames_between(self, first_index: int, start_pts: int, end_pts: int | None,
                       planar: bool = False) -> Iterator[Frame]:
        """The frames from the keyframe at ``start_pts`` up to (not including)
        ``end_pts``, numbered from ``first_index``: one segment of the video."""
        if start_pts:
            self._container.seek(start_pts, stream=self._video, backward=True, any_frame=False)
        clock = _FrameClock(self.info, first_index, planar)
        for frame in self._demux(with_audio=False, from_start=not start_pts):
            if frame.pts is None or frame.pts < start_pts:
                continue
            if end_pts is not None and frame.pts >= end_pts:
                return
            yield clock.stamp(frame)

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# Output name ending -> container; the video encoder is H.264 but where noted.
CONTAINER_FORMATS = {
    ".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska",
    ".webm": "webm", ".gif": "gif", ".avi": "avi", ".ts": "mpegts",
}
_VIDEO_ENCODERS = {".gif": "gif", ".webm": "libvpx-vp9"}
_AUDIO_ENCODERS = {".webm": "libopus"}
_DEFAULT_VIDEO_ENCODER = "libx264"
_DEFAULT_AUDIO_ENCODER = "aac"


# FFmpeg's colour matrix codes -> the names its scaler converts with (the
# decoder converts to RGB by the source's matrix, so the encoder must convert back by it).
_SCALER_MATRICES = {1: "itu709", 4: "fcc", 5: "itu601", 6: "smpte170m", 7: "smpte240m", 9: "bt2020", 10: "bt2020"}


# FFmpeg's interlaced field orders -> x264's: 2 and 4 show the top field first.
_INTERLACED = {2: "tff=1", 3: "bff=1", 4: "tff=1", 5: "bff=1"}


def _pixel_format(codec: str, width: int, height: int) -> str:
    """yuv420p for players everywhere; 4:2:0 cannot store an odd width or
    height, so those keep every pixel with yuv444p rather than being cropped or
    padded. (Some hardware players cannot decode 4:4:4 H.264.)"""
    if codec == "gif":
        return "pal8"
    return "yuv420p" if width % 2 == 0 and height % 2 == 0 else "yuv444p"


def _palette_frame(image: np.ndarray) -> av.VideoFrame:
    """A GIF frame with its own 256-colour palette (FFmpeg's scaler cannot
    make palettes, and a fixed one bands badly)."""
    from PIL import Image

    quantised = Image.fromarray(image).quantize(256, method=Image.Quantize.MEDIANCUT)
    rgb = np.asarray(quantised.getpalette(), np.uint8).reshape(-1, 3)
    palette = np.zeros((256, 4), np.uint8)  # ARGB, as PyAV takes it
    palette[: len(rgb), 0] = 255
    palette[: len(rgb), 1:] = rgb
    return av.VideoFrame.from_ndarray((np.asarray(quantised, np.uint8), palette), format="pal8")


def _muted(frame: av.AudioFrame, ranges: tuple[tuple[float, float], ...]) -> av.AudioFrame:
    """The frame with every sample inside the ranges (seconds) set to silence."""
    if not ranges or frame.pts is None or frame.time_base is None:
        return frame
    start_s = float(frame.pts * frame.time_base)
    times = start_s + np.arange(frame.samples) / frame.sample_rate
    silent = np.zeros(frame.samples, bool)
    for first, last in ranges:
        silent |= (times >= first) & (times < last)
    if not silent.any():
        return frame
    samples = frame.to_ndarray().copy()
    if frame.format.is_planar:
        samples[:, silent] = 0
    else:
        channels = len(frame.layout.channels)
        samples.reshape(-1, frame.samples, channels)[:, silent, :] = 0
    quiet = av.AudioFrame.from_ndarray(samples, format=frame.format.name, layout=frame.layout.name)
    quiet.sample_rate, quiet.pts, quiet.time_base = frame.sample_rate, frame.pts, frame.time_base
    return quiet


class VideoWriter:
    """Encodes redacted frames and copies audio into one output file.

    path: where to write (the caller renames it into place when complete).
    suffix: the final name's ending, which picks container and encoders.
    """

    def __init__(self, path: Path, suffix: str, reader: VideoReader, settings: EncodeSettings) -> None:
        self.path = path
        self._settings = settings
        self._info = reader.info
        self._codec = _VIDEO_ENCODERS.get(suffix.lower(), _DEFAULT_VIDEO_ENCODER)
        self._container = self._open(path, suffix)
        self._video: av.video.stream.VideoStream | None = None
        self._audio: dict[int, tuple[av.stream.Stream, bool]] = {}
        self._held_audio: list[av.Packet] = []
        self._reader, self._suffix = reader, suffix  # the audio streams are added after the video's
        self._video_tags = dict(reader.video_tags) if settings.keep_metadata else {}
        self.removed_metadata = [] if settings.keep_metadata else sorted(
            [f"container:{key}" for key in reader.container_tags]
            + [f"video:{key}" for key in reader.video_tags]
            + [f"audio:{key}" for stream in reader.audio_streams for key in stream.metadata
               if key not in _NEUTRAL_STREAM_TAGS])
        self.left_out_streams = self._left_out(reader)
        self.audio_summary: dict[str, object] = {
            "streams": len(reader.audio_streams), "policy": settings.audio,
            "muted_seconds": [list(r) for r in settings.mute] if settings.audio == "keep" else []}
        try:
            if settings.keep_metadata:
                self._container.metadata.update(reader.container_tags)
        except BaseException:
            self._container.close()
            raise

    @staticmethod
    def _left_out(reader: VideoReader) -> list[str]:
        """Names the streams besides the main video and the sound, which are
        not written: other pictures (a second camera, a cover) would go out
        unredacted, subtitles are text blur cannot review, and data streams (a
        timecode, a GoPro's GPS track) are metadata."""
        names = [_stream_name(s) for s in reader.other_streams]
        if names:
            # Data goes as metadata does; anything else is content the user may miss.
            is_content = any(s.type != "data" for s in reader.other_streams)
            log.log(logging.WARNING if is_content else logging.INFO,
                    "%s: left out of the output (only the main video, redacted, and the sound are written): %s",
                    reader.path, ", ".join(names))
        return names

    def _open(self, path: Path, suffix: str) -> av.container.OutputContainer:
        format_name = CONTAINER_FORMATS.get(suffix.lower())
        if format_name is None:
            raise OutputError(f"{path}: cannot write video as {suffix!r}; use one of {', '.join(CONTAINER_FORMATS)}")
        try:
            return av.open(str(path), "w", format=format_name)
        except av.error.FFmpegError as error:
            raise OutputError(f"{path}: cannot be written ({_describe(error)})") from None

    def _add_audio_streams(self, reader: VideoReader, suffix: str) -> None:
        if not reader.audio_streams:
            return
        if self._codec == "gif":
            log.warning("%s: a GIF cannot hold sound; the audio is left out", self.path)
            return
        supported = self._container.supported_codecs
        for source in reader.audio_streams:
            name = source.codec_context.name
            if name in supported and not self._settings.mute:
                target = self._container.add_stream_from_template(source)
                copied = True
            else:
                encoder = _AUDIO_ENCODERS.get(suffix.lower(), _DEFAULT_AUDIO_ENCODER)
                log.info("%s: audio %s is re-encoded as %s (muted ranges, or the container cannot hold it)",
                         reader.path, name, encoder)
                target = self._container.add_stream(encoder, rate=source.codec_context.sample_rate)
                target.layout = source.codec_context.layout
                copied = False
            self._copy_stream_tags(source, target)
            self._audio[source.index] = (target, copied)

    def _copy_stream_tags(self, source: av.stream.Stream, target: av.stream.Stream) -> None:
        target.metadata.clear()
        if self._settings.keep_metadata:
            target.metadata.update(source.metadata)
        else:
            target.metadata.update({k: v for k, v in source.metadata.items() if k in _NEUTRAL_STREAM_TAGS})

    def _start_video(self, frame: Frame) -> None:
        info = self._info
        stream = self._container.add_stream(self._codec, rate=info.frame_rate)
        stream.width, stream.height = info.width, info.height
        stream.pix_fmt = _pixel_format(self._codec, info.width, info.height)
        stream.time_base = info.time_base
        stream.codec_context.time_base = info.time_base
        if self._codec == "libx264":
            stream.options = {"crf": str(self._settings.crf), "preset": self._settings.preset}
            # Frame threads, as FFmpeg's own command line uses: PyAV's default,
            # slice threads, took 15% longer at 1080p and compressed a little worse.
            stream.codec_context.thread_type = "FRAME"
            if info.field_order in _INTERLACED:
                # Interlaced (old CCTV, broadcast) stays interlaced, in its field order, so players deinterlace it.
                flags = av.codec.context.Flags
                stream.codec_context.flags |= flags.interlaced_dct | flags.interlaced_me
                stream.codec_context.field_order = info.field_order
                stream.options = {**stream.options, "x264-params": _INTERLACED[info.field_order]}
        elif self._codec == "libvpx-vp9":
            stream.options = {"crf": str(self._settings.crf), "b": "0", "row-mt": "1"}
        if info.bits_per_sample > 8:
            log.info("%s: %d-bit video is written at 8 bits (few players take H.264 at more), "
                     "tagged with its own colours", info.path, info.bits_per_sample)
        if self._codec != "gif":
            colour, context = info.colour, stream.codec_context
            context.color_primaries, context.color_trc = colour.primaries, colour.transfer
            context.colorspace, context.color_range = colour.matrix, colour.pixel_range
            if info.sample_aspect_ratio:
                context.sample_aspect_ratio = info.sample_aspect_ratio
        if frame.rotation_deg:
            stream.set_display_rotation(frame.rotation_deg)
        stream.metadata.update(self._video_tags)
        self._video = stream
        # After the video, so the output's streams come in the source's usual order.
        if self._settings.audio == "keep":
            self._add_audio_streams(self._reader, self._suffix)

    def write(self, item: Frame | av.Packet) -> None:
        """Encode a (redacted) frame, or copy a source audio packet."""
        if isinstance(item, Frame):
            self.write_frame(item)
        else:
            self.write_audio(item)

    def write_frame(self, frame: Frame) -> None:
        """Encode one frame's image with the source frame's exact timing."""
        if self._video is None:
            self._start_video(frame)
        if self._codec == "gif":
            out = _palette_frame(frame.rgb())
        elif frame.pixel_format == I420 and self._video.pix_fmt == I420:
            out = self._tagged(av.VideoFrame.from_ndarray(frame.image, format=I420))
        else:
            out = self._tagged(self._from_rgb(frame.rgb()))
        out.pts, out.time_base, out.duration = frame.pts, frame.time_base, frame.duration
        self._mux(self._video.encode(out))
        if self._held_audio:
            held, self._held_audio = self._held_audio, []
            for packet in held:
                self.write_audio(packet)

    def _from_rgb(self, image: np.ndarray) -> av.VideoFrame:
        """An RGB image in the output's pixel format, by the source's colour
        matrix and range (the ones it was decoded to RGB by)."""
        colour = self._info.colour
        return av.VideoFrame.from_ndarray(image, format=RGB).reformat(
            format=self._video.pix_fmt, dst_colorspace=_SCALER_MATRICES.get(colour.matrix),
            dst_color_range=colour.pixel_range or None)

    def _tagged(self, out: av.VideoFrame) -> av.VideoFrame:
        colour = self._info.colour
        out.color_primaries, out.color_trc = colour.primaries, colour.transfer
        out.colorspace, out.color_range = colour.matrix, colour.pixel_range
        return out

    def write_audio(self, packet: av.Packet) -> None:
        """Copy one source audio packet (re-encoding it where it must)."""
        if self._video is None:
            # The audio streams, and the header, wait for the video stream.
            self._held_audio.append(packet)
            return
        target = self._audio.get(packet.stream.index)
        if target is None:
            return
        stream, copied = target
        if copied:
            packet.stream = stream
            self._mux([packet])
        else:
            for decoded in packet.decode():
                decoded = _muted(decoded, self._settings.mute)
                decoded.pts = None
                self._mux(stream.encode(decoded))

    def _mux(self, packets: list[av.Packet]) -> None:
        try:
            self._container.mux(packets)
        except OSError as error:
            raise OutputError(f"{self.path}: cannot be written ({error.strerror or error})") from None
        except av.error.FFmpegError as error:
            raise OutputError(f"{self.path}: cannot be written ({_describe(error)})") from None

    def close(self) -> None:
        """Flush the encoders and finish the file."""
        try:
            if self._video is not None:
                self._mux(self._video.encode(None))
                for stream, copied in self._audio.values():
                    if not copied:
                        self._mux(stream.encode(None))
        finally:
            try:
                self._container.close()
            except (OSError, av.error.FFmpegError) as error:
                raise OutputError(f"{self.path}: cannot be finished ({error})") from None

    def abort(self) -> None:
        """Close without flushing, after an error elsewhere."""
        try:
            self._container.close()
        except (OSError, av.error.FFmpegError):
            log.debug("closing %s after an error failed too", self.path)

