"""Settings for each stage, as frozen dataclasses validated when built.

Each stage takes its own section, so no function needs a long parameter list,
and a plan file can record exactly what produced it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from blur.errors import SettingsError

REDACT_MODES = ("blur", "pixelate", "solid")
PRECISIONS = ("fast", "exact")
MASK_SHAPES = ("ellipse", "box")
AUDIO_POLICIES = ("keep", "drop")
# The least default light search size (``DetectSettings.light_size_for``).
LIGHT_SIZE_MIN_PX = 360
X264_PRESETS = (
    "ultrafast", "superfast", "veryfast", "faster", "fast",
    "medium", "slow", "slower", "veryslow", "placebo",
)


def _choice(name: str, value: str, valid: tuple[str, ...]) -> None:
    if value not in valid:
        raise SettingsError(f"{name} {value!r} is not one of: {', '.join(valid)}")


def parse_color(text: str) -> tuple[int, int, int]:
    """'RRGGBB' (a leading '#' is allowed) to an (r, g, b) tuple."""
    digits = text.strip().removeprefix("#")
    if len(digits) != 6:
        raise SettingsError(f"colour {text!r} is not RRGGBB, e.g. 000000 for black")
    try:
        value = int(digits, 16)
    except ValueError:
        raise SettingsError(f"colour {text!r} is not RRGGBB, e.g. 000000 for black") from None
    return (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF


def _seconds(text: str) -> float:
    """'65', '1:05', '00:01:05' or '00:01:05.5' to seconds."""
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3:
        raise ValueError(text)
    seconds = 0.0
    for part in parts:
        value = float(part)
        if value < 0:
            raise ValueError(text)
        seconds = seconds * 60 + value
    return seconds


def parse_time_ranges(text: str) -> tuple[tuple[float, float], ...]:
    """'00:01:05-00:01:12,00:02:00-00:02:03' to ((65.0, 72.0), (120.0, 123.0))."""
    ranges = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        start_text, _, end_text = item.partition("-")
        try:
            start, end = _seconds(start_text), _seconds(end_text)
        except ValueError:
            raise SettingsError(f"time range {item!r} is not START-END, e.g. 00:01:05-00:01:12") from None
        if end <= start:
            raise SettingsError(f"time range {item!r} ends before it starts")
        ranges.append((start, end))
    return tuple(sorted(ranges))


@dataclass(frozen=True)
class DetectSettings:
    """How faces are found.

    detector: engine name (see ``blur.detect.DETECTORS``).
    threshold: lowest detector confidence that is redacted. Lower finds more
        faces and redacts more things that are not faces; blur leans low.
    weak_threshold: in videos, weaker hits down to this confidence are also
        redacted when they recur in ``confirm_frames`` or more frames of one
        track: a face seen dimly but steadily is a face.
    every_frames: in videos, look for faces on every n-th frame of a shot;
        tracking covers the frames between. Higher is faster; a face seen for
        less than n frames can be missed.
    light_size_px: in videos, most searches are light: on the frame scaled
        down so its shorter side is this long. Faces big enough to see there
        are found as surely, for a fraction of the cost; 0 searches at full
        resolution every time, as does a video whose shorter side is under
        about 1.7 times this (``blur.schedule``). None (the default): a third
        of the video's shorter side, at least 360 px (``light_size_for``).
    full_every_seconds: in videos, a full-resolution look is taken at least
        this often, and on the first and last frame of every shot, for small faces;
        tracking carries them between. Lower is slower and safer.
    precision: "fast" runs CenterFace in 8-bit integers, built once from
        the published network (``blur.detect.quantize``): about 2.5x faster,
        with recall measured the same; "exact" runs the published float32
        network, the same on every machine.
    enlarge_photos: photos are also searched at twice their size, for the
        faces under 20 px (``blur.detect.photo_search``); about 3x the time.
    """

    detector: str = "centerface"
    threshold: float = 0.12
    weak_threshold: float = 0.05
    confirm_frames: int = 4
    every_frames: int = 2
    light_size_px: int | None = None
    full_every_seconds: float = 1.0
    precision: str = "fast"
    enlarge_photos: bool = True

    def light_size_for(self, short_side_px: int) -> int:
        """The light search size in a video whose shorter side is this long (0: none).

        By default it grows with the frame, so the light search sees faces
        as small a share of the frame at any size, and leaves the close looks
        as few to follow: 360 px up to 1080p, 480 at 1440p, 720 at 2160p.
        On the 4K street clip of ``benchmarks/cctv.py``, with 192 px close
        looks, recall was 0.918 at 360 and 0.995 at 720, in about the same time."""
        if self.light_size_px is not None:
            return self.light_size_px
        return max(LIGHT_SIZE_MIN_PX, round(short_side_px / 3))

    @property
    def floor(self) -> float:
        """The lowest confidence an engine must report."""
        return min(self.threshold, self.weak_threshold)

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise SettingsError(f"threshold {self.threshold} must be between 0 and 1")
        if not 0.0 < self.weak_threshold < 1.0:
            raise SettingsError(f"weak threshold {self.weak_threshold} must be between 0 and 1")
        if not 1 <= self.confirm_frames <= 100:
            raise SettingsError(f"confirmation over {self.confirm_frames} frames must be between 1 and 100")
        if not 1 <= self.every_frames <= 30:
            raise SettingsError(f"detection every {self.every_frames} frames must be between 1 and 30")
        if self.light_size_px not in (0, None) and not 120 <= self.light_size_px <= 4320:
            raise SettingsError(f"light search size {self.light_size_px} px must be 0 (off) or 120-4320")
        if not 0.0 < self.full_every_seconds <= 10.0:
            raise SettingsError(f"full-resolution detection every {self.full_every_seconds} s must be 0-10 s")
        _choice("precision", self.precision, PRECISIONS)


@dataclass(frozen=True)
class TrackSettings:
    """How detections are joined over time in a video (photos ignore this).

    enabled: off gives per-frame detections only, for comparison; a face the
        detector blinks on is then shown for that frame.
    pad_seconds: every track is also redacted this long before its first and
        after its last detection, so a face is hidden from the moment it
        enters, not from when the detector first noticed it.
    max_gap_seconds: gaps in a track up to this long are filled by
        interpolation; longer gaps split the track.
    """

    enabled: bool = True
    pad_seconds: float = 0.5
    max_gap_seconds: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.pad_seconds <= 10.0:
            raise SettingsError(f"pad {self.pad_seconds} s must be between 0 and 10 seconds")
        if not 0.0 <= self.max_gap_seconds <= 10.0:
            raise SettingsError(f"maximum gap {self.max_gap_seconds} s must be between 0 and 10 seconds")


@dataclass(frozen=True)
class RedactSettings:
    """How a face region is made unrecognisable.

    mode: blur, pixelate or solid. All three scale with the face.
    shape: ellipse (looks natural) or box (covers more of the corners).
    mask_scale: the redacted region's size as a multiple of the detected face
        box, to take in hair, ears and forehead. Larger is safer and hides more.
    color: fill colour for solid mode, (r, g, b).
    """

    mode: str = "blur"
    shape: str = "ellipse"
    mask_scale: float = 2.5
    color: tuple[int, int, int] = (0, 0, 0)

    def __post_init__(self) -> None:
        _choice("mode", self.mode, REDACT_MODES)
        _choice("shape", self.shape, MASK_SHAPES)
        if not 1.0 <= self.mask_scale <= 4.0:
            raise SettingsError(
                f"mask scale {self.mask_scale} must be between 1.0 (the bare detector box) and 4.0"
            )
        if len(self.color) != 3 or not all(0 <= c <= 255 for c in self.color):
            raise SettingsError(f"colour {self.color} must be three values 0-255")


@dataclass(frozen=True)
class EncodeSettings:
    """How the redacted output is written.

    crf: x264 quality, 0 (lossless) to 51; lower is better and larger.
    preset: x264 speed; slower presets make smaller files at the same quality.
    audio: keep (copied untouched where the container allows) or drop.
    keep_metadata: keep title, location, device and time tags. Off by default,
        because those tags identify people and places.
    mute: (start, end) seconds of sound to silence (a voice can identify
        someone); the sound is then re-encoded rather than copied.
    """

    crf: int = 18
    preset: str = "veryfast"
    audio: str = "keep"
    keep_metadata: bool = False
    mute: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.crf <= 51:
            raise SettingsError(f"crf {self.crf} must be between 0 and 51")
        _choice("preset", self.preset, X264_PRESETS)
        _choice("audio", self.audio, AUDIO_POLICIES)
        if any(not 0 <= start < end for start, end in self.mute):
            raise SettingsError(f"mute ranges {self.mute} must each run from a start to a later end, in seconds")


@dataclass(frozen=True)
class Settings:
    """Every stage's settings together."""

    detect: DetectSettings = field(default_factory=DetectSettings)
    track: TrackSettings = field(default_factory=TrackSettings)
    redact: RedactSettings = field(default_factory=RedactSettings)
    encode: EncodeSettings = field(default_factory=EncodeSettings)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        """The inverse of ``to_dict``, also after a JSON round trip."""
        redact = dict(data.get("redact", {}))
        encode = dict(data.get("encode", {}))
        if "color" in redact:
            redact["color"] = tuple(redact["color"])
        if "mute" in encode:
            encode["mute"] = tuple(tuple(span) for span in encode["mute"])
        try:
            return cls(DetectSettings(**data.get("detect", {})), TrackSettings(**data.get("track", {})),
                       RedactSettings(**redact), EncodeSettings(**encode))
        except TypeError as error:
            raise SettingsError(f"settings are malformed ({error})") from None
