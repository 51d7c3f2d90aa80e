"""Make samples/astronaut.mp4: a short clip with a real face that blur may
redistribute, and a tone for a sound track.

The face is scikit-image's ``astronaut`` (Eileen Collins, a NASA photo in the
public domain). The clip pans and zooms across it, so the face moves and
changes size, at 640x360, 30 fps, 3 seconds.

    python samples/make_sample.py samples/astronaut.mp4
"""

from __future__ import annotations

import sys
from fractions import Fraction

import av
import cv2
import numpy as np
from skimage import data

WIDTH, HEIGHT, FPS, SECONDS = 640, 360, 30, 3
SAMPLE_RATE = 48000


def window(t: float, photo_w: int, photo_h: int) -> tuple[int, int, int, int]:
    """A 16:9 window that zooms in from the whole width and drifts right."""
    width = photo_w * (1.0 - 0.45 * t)
    height = width * HEIGHT / WIDTH
    x0 = (photo_w - width) * (0.2 + 0.3 * t)
    y0 = (photo_h - height) * 0.15
    return int(x0), int(y0), int(x0 + width), int(y0 + height)


def main(path: str) -> None:
    photo = data.astronaut()
    photo_h, photo_w = photo.shape[:2]
    frames = FPS * SECONDS
    with av.open(path, "w") as container:
        video = container.add_stream("libx264", rate=FPS, options={"crf": "23", "preset": "medium"})
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        audio = container.add_stream("aac", rate=SAMPLE_RATE)
        audio.layout = "mono"
        for index in range(frames):
            x1, y1, x2, y2 = window(index / (frames - 1), photo_w, photo_h)
            image = cv2.resize(photo[y1:y2, x1:x2], (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
            container.mux(video.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")))
        samples_per_block = 1024
        for start in range(0, SAMPLE_RATE * SECONDS, samples_per_block):
            t = (np.arange(start, start + samples_per_block) / SAMPLE_RATE).astype(np.float32)
            tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
            frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = SAMPLE_RATE, start, Fraction(1, SAMPLE_RATE)
            container.mux(audio.encode(frame))
        container.mux(video.encode(None))
        container.mux(audio.encode(None))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "samples/astronaut.mp4")
