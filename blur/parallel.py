"""Where parallel work runs: worker processes on this machine, or an existing
Dask distributed cluster. Both are handed out as a ``concurrent.futures``
executor, so the work itself does not care which."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Iterator

from blur.errors import SettingsError
from blur.stopping import obey_parent


def _start_worker(threads: int, parent_pid: int) -> None:
    """Runs in each worker process: the workers split the cores between them
    rather than each starting a thread per core (the detection network takes
    its thread count from OpenCV's, so this one setting covers both); and a
    worker stops when its parent is stopped or dies (``blur.stopping``)."""
    import cv2

    cv2.setNumThreads(threads)
    obey_parent(parent_pid)


@contextmanager
def open_executor(workers: int, scheduler: str | None = None) -> Iterator[Executor]:
    """An executor of ``workers`` local processes, or of the Dask cluster whose
    scheduler listens at ``scheduler`` (e.g. tcp://10.0.0.5:8786)."""
    if scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise SettingsError("--scheduler needs Dask: pip install 'dask[distributed]'") from None
        try:
            client = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError, ValueError) as error:
            raise SettingsError(f"--scheduler {scheduler}: cannot reach a Dask scheduler there ({error})") from None
        try:
            yield client.get_executor(pure=False)
        finally:
            client.close()
        return
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_start_worker, initargs=(threads, os.getpid())) as pool:
        try:
            yield pool
        except KeyboardInterrupt:
            # Stopped: the workers stop their files too (removing their partial
            # outputs) rather than finish them while the pool shuts down.
            for worker in multiprocessing.active_children():
                worker.terminate()
            raise
