"""Stopping a run cleanly on a signal, as Ctrl-C does: ``kill``, a closed
terminal or a cluster's time limit (SIGTERM, SIGHUP) must not leave partial
outputs, nor worker processes running on without their parent.

Only the CLI and the worker processes blur starts install these handlers:
importing blur changes no signal handling.
"""

from __future__ import annotations

import os
import signal
import threading
import time

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
_PARENT_CHECK_SECONDS = 1.0
_EXIT_GRACE_SECONDS = 10.0  # for a stopped worker to remove its partial output


class Stopped(KeyboardInterrupt):
    """The run was stopped by a signal: it unwinds as on Ctrl-C, removing its
    partial outputs on the way."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_status(stop: KeyboardInterrupt) -> int:
    """The shell's exit status for a run stopped by this: 128 + the signal."""
    return 128 + getattr(stop, "signum", signal.SIGINT)


def _raise_stopped(signum: int, frame: object) -> None:
    raise Stopped(signum)


def stop_on_signals() -> None:
    """From now on (call on the main thread), SIGTERM and SIGHUP stop this
    process as Ctrl-C does."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _raise_stopped)


def _exit_worker(signum: int, frame: object) -> None:
    # Once: a second signal must not cut short the removal of the partial output.
    for other in (*STOP_SIGNALS, signal.SIGINT):
        signal.signal(other, signal.SIG_IGN)
    # A pool catches what its work raises and waits for more; the worker is
    # ended once its file has had time to unwind.
    ending = threading.Timer(_EXIT_GRACE_SECONDS, os._exit, args=(128 + signum,))
    ending.daemon = True
    ending.start()
    # SystemExit, not KeyboardInterrupt: an idle worker then ends quietly,
    # and a busy one unwinds its file (removing its partial output).
    raise SystemExit(128 + signum)


def _watch_parent(parent_pid: int) -> None:
    """A worker whose parent died (killed outright) would wait for work for
    ever: stop it as the parent would."""
    while os.getppid() == parent_pid:
        time.sleep(_PARENT_CHECK_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)


def obey_parent(parent_pid: int) -> None:
    """In a worker process: stop, as the parent's own stop does, on SIGTERM
    or SIGHUP (the parent sends SIGTERM when it is stopped), and when the
    parent dies; ignore Ctrl-C, which the parent handles for the whole run."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in STOP_SIGNALS:
        signal.signal(signum, _exit_worker)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="parent-watch", daemon=True).start()
