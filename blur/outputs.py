"""Writing outputs so that an interrupted run never leaves a file that looks
finished: everything goes to a hidden partial name in the destination folder
and is renamed into place only when complete."""

from __future__ import annotations

import errno
import os
import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from blur.errors import OutputError

PARTIAL_MARK = ".blur-partial-"


def partial_name(final: Path) -> Path:
    """A hidden name beside the final one that keeps its ending, so the writer
    still knows the format: ``.clip.redacted.blur-partial-1a2b3c.mp4``."""
    return final.with_name(f".{final.stem}{PARTIAL_MARK}{secrets.token_hex(3)}{final.suffix}")


def check_writable(final: Path, force: bool) -> None:
    """Fail early, before any work, if the output cannot be written."""
    if final.exists() and not force:
        raise OutputError(f"{final}: exists already; choose another output or pass --force")
    if final.is_dir():
        raise OutputError(f"{final}: is a folder; name an output file")
    folder = final.parent
    if not folder.is_dir():
        raise OutputError(f"{folder}: output folder does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{folder}: output folder is not writable")


@contextmanager
def atomic_output(final: Path, force: bool) -> Iterator[Path]:
    """Yield a partial path to write; rename it to ``final`` if the block
    completes, delete it if the block raises or is interrupted."""
    check_writable(final, force)
    partial = partial_name(final)
    try:
        partial.touch(exist_ok=False)
    except OSError as error:
        raise OutputError(f"{final.parent}: cannot create files here ({error.strerror})") from None
    try:
        yield partial
        if final.exists() and not force:
            raise OutputError(f"{final}: appeared while blur was working; not overwritten")
        os.replace(partial, final)
    except OSError as error:
        if isinstance(error, OutputError):
            raise
        reason = "disk full" if error.errno == errno.ENOSPC else (error.strerror or str(error))
        raise OutputError(f"{final}: cannot be written ({reason})") from None
    finally:
        partial.unlink(missing_ok=True)
