"""Small videos made for tests, and a probe that reads back what matters."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from skimage import data


def astronaut_frame(width: int, height: int, shift_px: int = 0) -> np.ndarray:
    """The public-domain astronaut photo fitted to a frame, face near the
    middle, moved right by ``shift_px``."""
    import cv2

    photo = data.astronaut()  # 512x512, face around x 170-280, y 60-180
    side = min(width, height)
    face = cv2.resize(photo, (side, side), interpolation=cv2.INTER_AREA)
    frame = np.full((height, width, 3), 90, np.uint8)
    x0 = max(0, min(width - side, (width - side) // 2 + shift_px))
    y0 = (height - side) // 2
    frame[y0 : y0 + side, x0 : x0 + side] = face
    return frame


def make_clip(
    path: Path,
    width: int = 320,
    height: int = 240,
    frames: int = 12,
    rate: Fraction = Fraction(25),
    audio: bool = True,
    rotation: int = 0,
    variable_rate: bool = False,
    metadata: dict[str, str] | None = None,
    codec: str = "libx264",
    pixel_format: str | None = None,
    colour: tuple[int, int, int, int] | None = None,
    field_order: int | None = None,
    sample_aspect_ratio: Fraction | None = None,
) -> Path:
    """An H.264 clip of the astronaut moving sideways, with a tone track.

    width, height: the picture as a player shows it. With a rotation the
        pixels are stored turned the other way, as a phone stores them.
    variable_rate: frame gaps alternate 1x and 3x the nominal period.
    colour: (primaries, transfer, matrix, range) in FFmpeg's codes, tagged
        and converted by.
    field_order: encode interlaced in this field order (FFmpeg's code, 2 top
        field first, 3 bottom).
    """
    turns = round(rotation / 90) % 4
    if turns % 2:
        width, height = height, width
    time_base = Fraction(1, 1000)
    odd = width % 2 or height % 2
    with av.open(str(path), "w") as container:
        if metadata:
            container.metadata.update(metadata)
        video = container.add_stream(codec, rate=rate)
        video.width, video.height = width, height
        video.pix_fmt = pixel_format or ("yuv444p" if odd else "yuv420p")
        if codec == "libx265":
            video.options = {"x265-params": "log-level=error"}
        if colour:
            context = video.codec_context
            context.color_primaries, context.color_trc, context.colorspace, context.color_range = colour
        if sample_aspect_ratio:
            video.codec_context.sample_aspect_ratio = sample_aspect_ratio
        if field_order:
            video.codec_context.flags |= av.codec.context.Flags.interlaced_dct | av.codec.context.Flags.interlaced_me
            video.codec_context.field_order = field_order
            video.options = {"x264-params": "tff=1" if field_order == 2 else "bff=1"}
        video.time_base = time_base
        video.codec_context.time_base = time_base
        if rotation:
            video.set_display_rotation(rotation)
        sound = None
        if audio:
            sound = container.add_stream("aac", rate=48000)
            sound.layout = "stereo"
        period_ms = int(1000 / rate)
        pts = 0
        for index in range(frames):
            shown = astronaut_frame(*((height, width) if turns % 2 else (width, height)), index * 2)
            stored = np.ascontiguousarray(np.rot90(shown, -turns))
            frame = av.VideoFrame.from_ndarray(stored, format="rgb24")
            if colour:
                frame = frame.reformat(format=video.pix_fmt, dst_colorspace={1: "itu709", 9: "bt2020"}[colour[2]],
                                       dst_color_range=colour[3])
                frame.color_primaries, frame.color_trc, frame.colorspace, frame.color_range = colour
            frame.pts, frame.time_base = pts, time_base
            gap = period_ms * (3 if variable_rate and index % 2 else 1)
            frame.duration = gap
            pts += gap
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if sound is not None:
            total = int(pts / 1000 * 48000)
            for start in range(0, total, 1024):
                t = np.arange(start, start + 1024) / 48000
                tone = np.tile((0.1 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), (2, 1))
                block = av.AudioFrame.from_ndarray(tone, format="fltp", layout="stereo")
                block.sample_rate, block.pts, block.time_base = 48000, start, Fraction(1, 48000)
                container.mux(sound.encode(block))
            container.mux(sound.encode(None))
    return path


@dataclass(frozen=True)
class VideoFacts:
    """What a round trip must keep."""

    width: int
    height: int
    frame_times: tuple[Fraction, ...]
    rotation: int
    audio_codecs: tuple[str, ...]
    audio_seconds: tuple[float, ...]
    tags: dict[str, str]
    colour: tuple[int, int, int, int]  # primaries, transfer, matrix, range (FFmpeg's codes)
    field_order: int  # FFmpeg's code: 1 progressive, 2 top field first, 3 bottom first
    sample_aspect_ratio: Fraction | None  # of one pixel as shown; None: square

    @property
    def frame_count(self) -> int:
        return len(self.frame_times)


def make_cut_short_mp4(path: Path) -> Path:
    """A clip of 30 frames in an MP4 with its index at the front (as for
    streaming), copied only up to the middle of its 16th frame: the index
    still lists all 30."""
    whole = make_clip(path.with_name(path.stem + ".whole.mp4"), frames=30, audio=False)
    front = path.with_name(path.stem + ".front.mp4")
    with av.open(str(whole)) as source, av.open(str(front), "w", options={"movflags": "faststart"}) as out:
        stream = out.add_stream_from_template(source.streams.video[0])
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    with av.open(str(front)) as container:
        cut = [packet for packet in container.demux(container.streams.video[0]) if packet.size][15]
        end = cut.pos + cut.size // 2
    path.write_bytes(front.read_bytes()[:end])
    whole.unlink()
    front.unlink()
    return path


def probe(path: Path) -> VideoFacts:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        rotation = 0
        times = []
        context = stream.codec_context
        colour = (context.color_primaries, context.color_trc, context.colorspace, context.color_range)
        field_order = context.field_order
        sample_aspect_ratio = stream.sample_aspect_ratio
        for frame in container.decode(stream):
            if not times:
                rotation = round(frame.rotation or 0)
            times.append(Fraction(frame.pts) * frame.time_base if frame.pts is not None else Fraction(-1))
        audio = container.streams.audio
        audio_seconds = []
        for position, sound in enumerate(audio):
            samples = 0
            with av.open(str(path)) as again:
                for block in again.decode(again.streams.audio[position]):
                    samples += block.samples
            audio_seconds.append(samples / sound.codec_context.sample_rate)
        tags = dict(container.metadata)
        for each in container.streams:
            tags.update({f"{each.type}:{k}": v for k, v in each.metadata.items()})
        return VideoFacts(
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            frame_times=tuple(times),
            rotation=rotation,
            audio_codecs=tuple(s.codec_context.name for s in audio),
            audio_seconds=tuple(audio_seconds),
            tags=tags,
            colour=colour,
            field_order=field_order,
            sample_aspect_ratio=sample_aspect_ratio,
        )


# The astronaut's face in the 512x512 photo, as BlazeFace boxes it.
_PHOTO_FACE = (174, 70, 278, 174)


def astronaut_face_box(width: int, height: int, shift_px: int = 0) -> tuple[int, int, int, int]:
    """Where ``astronaut_frame`` puts the face: x1, y1, x2, y2 in pixels."""
    side = min(width, height)
    x0 = max(0, min(width - side, (width - side) // 2 + shift_px))
    y0 = (height - side) // 2
    scale = side / 512
    x1, y1, x2, y2 = _PHOTO_FACE
    return (x0 + round(x1 * scale), y0 + round(y1 * scale), x0 + round(x2 * scale), y0 + round(y2 * scale))


def decoded_frames(path: Path, upright: bool = True) -> list[np.ndarray]:
    """Every frame as RGB, turned as a player shows it."""
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            image = frame.to_ndarray(format="rgb24")
            if upright and frame.rotation:
                image = np.rot90(image, round(frame.rotation / 90) % 4)
            frames.append(image)
    return frames
