"""The thread helpers never hang and never swallow an error."""

from __future__ import annotations

import threading
import time

import pytest

from blur.concurrency import BackgroundWorker, read_ahead


def finishes_within(seconds: float, work) -> None:
    """Run work on a thread; fail (instead of hanging the suite) if it does not end."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as error:  # noqa: BLE001
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "hung"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def test_items_arrive_in_order():
    assert finishes_within(5, lambda: list(read_ahead(range(1000), depth=3))) == list(range(1000))


def test_empty_source():
    assert finishes_within(5, lambda: list(read_ahead([]))) == []


def test_producer_error_reaches_consumer():
    def broken():
        yield 1
        raise ValueError("decoder broke")

    with pytest.raises(ValueError, match="decoder broke"):
        finishes_within(5, lambda: list(read_ahead(broken())))


def test_consumer_stopping_early_stops_producer():
    produced, closed = [], threading.Event()

    def endless():
        try:
            i = 0
            while True:
                produced.append(i)
                yield i
                i += 1
        finally:
            closed.set()

    def consume():
        for item in read_ahead(endless(), depth=2):
            if item == 5:
                raise RuntimeError("detector broke")

    with pytest.raises(RuntimeError, match="detector broke"):
        finishes_within(5, consume)
    assert closed.wait(5)
    count = len(produced)
    time.sleep(0.3)
    assert len(produced) == count  # nothing runs on after the stop


def test_worker_handles_in_order_and_finishes():
    handled = []
    worker = BackgroundWorker(handled.append, depth=2)
    for i in range(100):
        worker.submit(i)
    finishes_within(5, worker.finish)
    assert handled == list(range(100))


def test_worker_error_reaches_submitter_without_hanging():
    def handle(item):
        if item == 3:
            raise OSError("disk full")

    worker = BackgroundWorker(handle, depth=1)

    def feed():
        for i in range(1000):
            worker.submit(i)
        worker.finish()

    with pytest.raises(OSError, match="disk full"):
        finishes_within(5, feed)


def test_worker_cancel_does_not_wait_for_the_queue():
    gate = threading.Event()
    worker = BackgroundWorker(lambda item: gate.wait(0.05), depth=50)
    for i in range(50):
        worker.submit(i)
    finishes_within(2, worker.cancel)
