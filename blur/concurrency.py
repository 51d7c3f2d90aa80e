"""Running a stage on its own thread, joined to the next by a bounded queue.

FFmpeg's decoders and encoders release Python's lock, so decoding, detection
and encoding on three threads really do run at once. Both helpers hand any
exception to the caller, and both stop the other side when one side stops
early, so nothing hangs: a reader -> queue -> worker -> queue -> writer
helper that waits forever when either side raises is a known trap.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Generic, Iterable, Iterator, TypeVar

T = TypeVar("T")

_POLL_S = 0.1


class _End:
    """Marks the end of a stream of items."""


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def _put(items: queue.Queue, item: object, stop: threading.Event) -> bool:
    """Put unless told to stop; False if stopped."""
    while not stop.is_set():
        try:
            items.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


def read_ahead(source: Iterable[T], depth: int = 8, name: str = "reader") -> Iterator[T]:
    """Iterate ``source`` on a background thread, ``depth`` items ahead.

    The producer's exception is raised here, in the consumer. If the consumer
    stops early (break, exception, garbage collection), the producer is told
    to stop and is joined before this returns.
    """
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        iterator = iter(source)
        try:
            for item in iterator:
                if not _put(items, item, stop):
                    return
            _put(items, _End(), stop)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer
            _put(items, _Failure(error), stop)
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name=f"blur-{name}", daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if isinstance(item, _End):
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()


class BackgroundWorker(Generic[T]):
    """Calls ``handle(item)`` for each submitted item, in order, on its own
    thread. ``submit`` blocks while ``depth`` items wait. An exception in
    ``handle`` is raised from the next ``submit`` or from ``finish``."""

    def __init__(self, handle: Callable[[T], None], depth: int = 8, name: str = "writer") -> None:
        self._handle = handle
        self._items: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"blur-{name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                item = self._items.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if isinstance(item, _End):
                return
            try:
                self._handle(item)
            except BaseException as error:  # noqa: BLE001 - handed to the submitter
                self._error = error
                self._stop.set()
                return

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def submit(self, item: T) -> None:
        self._raise_if_failed()
        if not _put(self._items, item, self._stop):
            self._raise_if_failed()
            raise RuntimeError("worker stopped")

    def finish(self) -> None:
        """Wait until every submitted item is handled; raise its error if any."""
        _put(self._items, _End(), self._stop)
        self._thread.join()
        self._raise_if_failed()

    def cancel(self) -> None:
        """Stop without handling what is still queued."""
        self._stop.set()
        self._thread.join()
