"""Tell an MP4 or MOV that was cut off before its index from other files
FFmpeg cannot open.

A camera or phone writes the index of an MP4/MOV (the ``moov`` box: where
every frame is) last, when the recording stops. A recording whose battery
died, or a copy that stopped part way, has its frames but no index, and FFmpeg
can only say the data is invalid. The user needs to hear that the file is
unfinished, not that it is not a video.
"""

from __future__ import annotations

from pathlib import Path

# Boxes an MP4/MOV can open with (old QuickTime files have no ftyp).
_FIRST_BOXES = {b"ftyp", b"wide", b"free", b"skip", b"mdat"}
# A movie's index, or a HEIF/AVIF photo's (which has no moov).
_INDEXES = {b"moov", b"meta"}


def lacks_index(path: Path) -> bool:
    """Whether the file opens like an MP4/MOV and its top-level boxes end (or
    break off) before any index box. False where it cannot be read."""
    try:
        return _boxes_end_before_index(path)
    except OSError:
        return False


def _boxes_end_before_index(path: Path) -> bool:
    file_size = path.stat().st_size
    offset = 0
    with path.open("rb") as stream:
        while offset + 8 <= file_size:
            stream.seek(offset)
            header = stream.read(16)
            box_size, box_type = int.from_bytes(header[:4], "big"), header[4:8]
            if box_type in _INDEXES or (offset == 0 and box_type not in _FIRST_BOXES):
                return False
            if box_size == 1:  # the size is in the 64 bits after the type
                box_size = int.from_bytes(header[8:16], "big")
            elif box_size == 0:  # the last box runs to the end of the file
                return True
            if box_size < 8:  # not a box: damaged past the first, but still no index
                return True
            offset += box_size
    return offset > 0
