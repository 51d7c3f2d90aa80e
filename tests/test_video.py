"""Video round trips: everything but the faces comes through unchanged."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from blur.media import VideoReader
from blur.plan import Plan, SourceInfo
from tests.clips import astronaut_face_box, decoded_frames, make_clip, probe
from tests.conftest import VIDEOS

CLIPS = {
    "plain": dict(),
    "odd size": dict(width=321, height=241),
    "portrait, rotated 90": dict(width=240, height=320, rotation=90),
    "rotated 270": dict(width=240, height=320, rotation=270),
    "upside down": dict(rotation=180),
    "variable frame rate": dict(variable_rate=True),
    "no audio": dict(audio=False),
    "NTSC rate": dict(rate=Fraction(30000, 1001)),
    # a phone's HDR video: 10-bit HEVC, HLG on BT.2020 (written as 8-bit H.264, tagged the same)
    "HDR (HLG, BT.2020, 10-bit HEVC)": dict(codec="libx265", pixel_format="yuv420p10le", colour=(9, 18, 9, 1)),
    "BT.709, full range": dict(colour=(1, 1, 1, 2)),
    # odd sizes go through RGB: converted back by the source's own matrix and range
    "BT.709, full range, odd size": dict(width=321, height=241, colour=(1, 1, 1, 2)),
    # old CCTV and broadcast: interlaced, either field first (written back interlaced, players deinterlace it)
    "interlaced, top field first": dict(field_order=2),
    "interlaced, bottom field first": dict(field_order=3),
    # anamorphic widescreen (PAL DV): pixels shown wider than stored
    "anamorphic, SAR 64:45": dict(sample_aspect_ratio=Fraction(64, 45)),
}


def _mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.mark.parametrize("name", CLIPS)
def test_generated_clip_round_trip(name, tmp_path, redactor):
    options = CLIPS[name]
    source = make_clip(tmp_path / "in.mp4", **options)
    output = tmp_path / "out.mp4"
    redactor.redact(source, output)

    before, after = probe(source), probe(output)
    assert (after.width, after.height) == (before.width, before.height)
    assert after.sample_aspect_ratio == before.sample_aspect_ratio
    assert after.frame_times == before.frame_times
    assert after.rotation == before.rotation
    assert after.audio_codecs == before.audio_codecs
    assert after.audio_seconds == pytest.approx(before.audio_seconds, abs=1e-3)
    assert after.colour == before.colour
    # interlaced stays so, in its field order (progressive may be stated or not)
    assert after.field_order == before.field_order or {after.field_order, before.field_order} <= {0, 1}

    # Shown upright, the face is redacted and the far corner is untouched.
    width, height = options.get("width", 320), options.get("height", 240)
    x1, y1, x2, y2 = astronaut_face_box(width, height)
    face_changes, corner_changes = [], []
    for index, (original, redacted) in enumerate(zip(decoded_frames(source), decoded_frames(output))):
        fx1, fx2 = x1 + 2 * index, x2 + 2 * index
        face_changes.append(_mean_abs_diff(original[y1:y2, fx1:fx2], redacted[y1:y2, fx1:fx2]))
        corner_changes.append(_mean_abs_diff(original[-20:, :20], redacted[-20:, :20]))
    assert min(face_changes) > 12, face_changes
    assert max(corner_changes) < 2, corner_changes


def _empty_plan(path: Path) -> Plan:
    with VideoReader(path) as reader:
        count = sum(1 for _ in reader.frames())
        info = reader.info
    source = SourceInfo(str(path), "", 0, "video", info.width, info.height, count, str(info.time_base), "0/1")
    return Plan(source, {}, [], [])


REAL_VIDEOS = sorted(p.name for p in VIDEOS.iterdir()) if VIDEOS.is_dir() else []


@pytest.mark.parametrize("name", REAL_VIDEOS)
def test_real_footage_media_round_trip(name, tmp_path, redactor):
    """Decode and re-encode every real video (the redaction itself is tested
    elsewhere): frames, size, timing, audio all survive."""
    source = VIDEOS / name
    output = tmp_path / "out.mp4"
    redactor.render(source, _empty_plan(source), output, verify=False)
    before, after = probe(source), probe(output)
    assert (after.width, after.height) == (before.width, before.height)
    assert after.frame_count == before.frame_count
    if Fraction(-1) in before.frame_times:
        # Raw streams carry no timestamps: the output counts them at 25 fps.
        assert after.frame_times == tuple(Fraction(i, 25) for i in range(after.frame_count))
    else:
        assert after.frame_times == before.frame_times
    assert after.audio_codecs == before.audio_codecs
    assert after.audio_seconds == pytest.approx(before.audio_seconds, abs=1e-3)


def test_hamilton_clip_audio_and_duration_survive_redaction(tmp_path, redactor):
    """Real footage with an AAC track, through detection and redaction."""
    import av

    source = VIDEOS / "face_recognition_short_hamilton_clip.mp4"
    output = tmp_path / "hamilton.mp4"
    redactor.redact(source, output)
    with av.open(str(source)) as a, av.open(str(output)) as b:
        assert b.duration == pytest.approx(a.duration, abs=20_000)  # microseconds
        assert b.streams.audio[0].frames == a.streams.audio[0].frames
    before, after = probe(source), probe(output)
    assert after.frame_times == before.frame_times


def test_gif_output_when_asked(tmp_path, redactor):
    source = VIDEOS / "dlib_elon-musk-smoke.gif"
    output = tmp_path / "out.gif"
    redactor.redact(source, output)
    before, after = probe(source), probe(output)
    assert after.frame_count == before.frame_count
    assert (after.width, after.height) == (before.width, before.height)
    assert after.frame_times == before.frame_times
    # The palette keeps colours: away from faces the picture is nearly the same.
    original, redacted = decoded_frames(source)[0], decoded_frames(output)[0]
    assert _mean_abs_diff(original[:40, :40], redacted[:40, :40]) < 6


def test_audio_reencoded_where_the_container_cannot_take_it(tmp_path, redactor):
    """WebM cannot hold AAC: the sound is re-encoded (to Opus), not lost."""
    source = make_clip(tmp_path / "in.mp4", frames=12)
    output = tmp_path / "out.webm"
    redactor.redact(source, output)
    before, after = probe(source), probe(output)
    assert after.audio_codecs == ("opus",)
    assert after.audio_seconds[0] == pytest.approx(before.audio_seconds[0], abs=0.05)
    assert after.frame_count == before.frame_count


def test_mute_silences_only_the_ranges(tmp_path):
    """--mute: the sound inside each range is silent, the rest and the
    length are kept."""
    import av

    from blur.pipeline import Redactor
    from blur.settings import EncodeSettings, Settings

    source = make_clip(tmp_path / "in.mp4", frames=25, audio=True)
    output = tmp_path / "out.mp4"
    with Redactor(Settings(encode=EncodeSettings(mute=((0.3, 0.6),)))) as redactor:
        result = redactor.redact(source, output)
    with av.open(str(output)) as container:
        rate = container.streams.audio[0].codec_context.sample_rate
        samples = np.concatenate([f.to_ndarray().mean(axis=0) for f in container.decode(audio=0)])
    loud = lambda a, b: float(np.abs(samples[int(a * rate) : int(b * rate)]).max())  # noqa: E731
    assert loud(0.35, 0.55) < 1e-3
    assert loud(0.05, 0.25) > 0.01 and loud(0.7, 0.95) > 0.01
    assert probe(output).audio_seconds[0] == pytest.approx(probe(source).audio_seconds[0], abs=0.05)
    record = json.loads(result.record.read_text())
    assert record["removed"]["audio"]["muted_seconds"] == [[0.3, 0.6]]


def test_planar_frames_match_rgb_frames():
    """The decoder's own 4:2:0 planes, converted or scaled, give the same
    picture as decoding straight to RGB (up to the colour conversion)."""
    path = VIDEOS / "intel_one-by-one-person-detection.mp4"
    with VideoReader(path) as reader:
        rgb = [frame for _, frame in zip(range(3), reader.frames())]
    with VideoReader(path) as reader:
        planar = [frame for _, frame in zip(range(3), reader.frames(planar=True))]
    for a, b in zip(rgb, planar):
        assert b.pixel_format == "yuv420p" and a.pixel_format == "rgb24"
        assert (a.index, a.pts, a.duration) == (b.index, b.pts, b.duration)
        assert b.size == a.size == (768, 432)
        assert _mean_abs_diff(a.rgb(), b.rgb()) < 3
        assert _mean_abs_diff(a.rgb((320, 180)), b.rgb((320, 180))) < 3
        assert b.rgb((321, 181)).shape == (181, 321, 3)


def test_the_main_video_stream_is_redacted_not_a_picture_listed_before_it(tmp_path, redactor, caplog):
    """A one-frame picture stream ahead of the video (a cover, a second
    camera's still) is not taken for the video; what is left out is said."""
    import av

    from tests.clips import astronaut_frame

    source = tmp_path / "cover_first.mkv"
    with av.open(str(source), "w") as container:
        cover = container.add_stream("mjpeg")
        cover.width, cover.height, cover.pix_fmt = 320, 240, "yuvj420p"
        video = container.add_stream("libx264", rate=25)
        video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
        black = av.VideoFrame.from_ndarray(np.zeros((240, 320, 3), np.uint8), format="rgb24")
        for packet in cover.encode(black.reformat(format="yuvj420p")) + cover.encode(None):
            container.mux(packet)
        for index in range(25):
            frame = av.VideoFrame.from_ndarray(astronaut_frame(320, 240, 2 * index), format="rgb24")
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
    output = tmp_path / "out.mkv"
    redactor.redact(source, output)
    assert probe(output).frame_count == 25
    assert "left out of the output (only the main video, redacted, and the sound are written): " \
        "#0 video mjpeg 320x240" in caplog.text
    record = json.loads(output.with_name(output.name + ".record.json").read_text())
    assert record["removed"]["streams"] == ["#0 video mjpeg 320x240"]


def test_subtitles_and_data_streams_are_left_out_and_said(tmp_path, redactor, caplog):
    """Subtitles (text blur cannot review) and a timecode track (metadata)
    are not written; the warning names the subtitles, and the disclosure
    record lists both. The video and its sound come through."""
    import logging

    import av

    subtitled = make_clip(tmp_path / "subtitled.mkv", frames=25, audio=True)
    with av.open(str(subtitled)) as source, av.open(str(tmp_path / "with_subs.mkv"), "w") as target:
        copies = {s.index: target.add_stream_from_template(s) for s in source.streams}
        subtitles = target.add_stream("subrip")
        subtitles.codec_context.subtitle_header = b""  # without one the encoder will not open
        for packet in source.demux():
            if packet.size:  # not the demuxer's empty end-of-stream packets
                packet.stream = copies[packet.stream.index]
                target.mux(packet)
        line = av.Packet(b"Jane Doe, 12 High Street")
        line.stream, line.pts, line.dts, line.duration = subtitles, 0, 0, 1000
        line.time_base = Fraction(1, 1000)
        target.mux(line)
    # The MOV muxer writes a container's timecode as a track of its own.
    timecoded = make_clip(tmp_path / "timecoded.mov", frames=25, audio=False, metadata={"timecode": "01:00:00:00"})

    caplog.set_level(logging.INFO)
    for source, left_out, level in ((tmp_path / "with_subs.mkv", "#2 subtitle srt", logging.WARNING),
                                    (timecoded, "#1 data TimeCodeHandler", logging.INFO)):
        caplog.clear()
        output = tmp_path / f"out{source.suffix}"
        redactor.redact(source, output, force=True)
        with av.open(str(source)) as read, av.open(str(output)) as written:
            assert [s.type for s in written.streams] == [s.type for s in read.streams if s.type != left_out.split()[1]]
        assert probe(output).frame_count == 25
        said = [r for r in caplog.records if "left out of the output" in r.getMessage()]
        assert [(r.levelno, r.getMessage().split(": ")[-1]) for r in said] == [(level, left_out)]
        record = json.loads(output.with_name(output.name + ".record.json").read_text())
        assert record["removed"]["streams"] == [left_out]
