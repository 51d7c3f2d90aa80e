"""Redacting a whole folder tree: every media file into the same relative
place under the destination, with its plan and disclosure record, in parallel.

A re-run skips files whose output and record are complete and match (the
input's SHA-256, the settings, the output's SHA-256) and redoes the rest, so
an interrupted batch resumes where it stopped. One bad file never stops the
others: each file's outcome is reported, and the summary lists them all.
"""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from blur.digest import sha256_of
from blur.errors import BlurError
from blur.jobs import Job, plan_jobs
from blur.outputs import atomic_output
from blur.parallel import open_executor
from blur.record import Disclosure, record_path
from blur.settings import Settings

SUMMARY_NAME = "blur-batch-summary.json"


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file."""

    source: str
    output: str
    status: str  # redacted, skipped (already done) or failed
    seconds: float
    frames: int = 0
    regions: int = 0
    error: str = ""
    # What the user should know about a file that was done (a stream left
    # out, a video cut short): logged in the worker, so carried back here.
    warnings: list[str] = field(default_factory=list)


def plan_path(output: Path) -> Path:
    return output.with_name(output.name + ".plan.json")


def _normal(settings: Settings) -> Any:
    return json.loads(json.dumps(settings.to_dict()))


def is_complete(source: Path, output: Path, settings: Settings) -> bool:
    """True when the output and its record are there, and the record says they
    were made from this very input with these very settings."""
    record = record_path(output)
    if not (output.is_file() and record.is_file()):
        return False
    try:
        data = json.loads(record.read_text())
        return (data["input"]["sha256"] == sha256_of(source) and data["settings"] == _normal(settings)
                and data["output"]["sha256"] == sha256_of(output))
    except (OSError, ValueError, KeyError, TypeError):
        return False


_REDACTORS: dict[str, Any] = {}  # one per settings, per worker process: models load once


def _redactor(settings: Settings):
    from blur.pipeline import Redactor

    key = json.dumps(_normal(settings), sort_keys=True)
    if key not in _REDACTORS:
        _REDACTORS[key] = Redactor(settings)
    return _REDACTORS[key]


@contextmanager
def _warnings_logged() -> Iterator[list[str]]:
    """The warnings blur logs inside the block, as messages."""
    messages: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: messages.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("blur")
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


def redact_one(source: str, output: str, settings_data: dict, disclosure_data: dict) -> FileOutcome:
    """Scan and render one file, writing output, plan and record; never raises
    for a bad file. Runs in a worker process or on a Dask worker."""
    with _warnings_logged() as warnings:
        outcome = _redact_one(source, output, settings_data, disclosure_data)
    return FileOutcome(**{**asdict(outcome), "warnings": warnings})


def _redact_one(source: str, output: str, settings_data: dict, disclosure_data: dict) -> FileOutcome:
    started = time.perf_counter()
    source_path, output_path = Path(source), Path(output)
    try:
        settings = Settings.from_dict(settings_data)
        if is_complete(source_path, output_path, settings):
            return FileOutcome(source, output, "skipped", time.perf_counter() - started)
        output_path.parent.mkdir(parents=True, exist_ok=True)
        # In one pass (one decode; the search runs ahead of the render). The
        # record is written last, so a file without one is redone.
        result = _redactor(settings).redact(source_path, output_path, force=True,
                                            disclosure=Disclosure(**disclosure_data),
                                            plan_output=plan_path(output_path))
        return FileOutcome(source, output, "redacted", time.perf_counter() - started, result.frames, result.regions)
    except Exception as error:  # noqa: BLE001 - one bad file must not stop the batch
        message = str(error) if isinstance(error, BlurError) else f"{source}: {type(error).__name__}: {error}"
        return FileOutcome(source, output, "failed", time.perf_counter() - started, error=message)


def run_batch(source_root: Path, target_root: Path, settings: Settings, disclosure: Disclosure,
              workers: int = 1, scheduler: str | None = None,
              on_done: Callable[[FileOutcome], None] | None = None,
              work: Callable[..., FileOutcome] = redact_one) -> list[FileOutcome]:
    """Redact every media file under ``source_root`` into ``target_root`` and
    write the summary JSON there. on_done: told of each file as it finishes.
    work: what is done to each file (``redact_one``; tests replace it)."""
    if not source_root.is_dir():
        raise BlurError(f"{source_root}: is not a folder")
    jobs, _skipped = plan_jobs([source_root], target_root)
    outcomes: list[FileOutcome] = []

    def done(outcome: FileOutcome) -> None:
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)

    def submit(executor: Executor, job: Job) -> Future:
        return executor.submit(work, str(job.source), str(job.output), settings.to_dict(), asdict(disclosure))

    if scheduler:
        with open_executor(workers, scheduler) as executor:
            _feed(executor, jobs, submit, done)
    else:
        _run_locally(jobs, workers, submit, done)
    outcomes.sort(key=lambda o: o.source)
    write_summary(target_root / SUMMARY_NAME, outcomes, workers, scheduler)
    return outcomes


def _run_locally(jobs: list[Job], workers: int, submit: Callable[[Executor, Job], Future],
                 done: Callable[[FileOutcome], None]) -> None:
    """The jobs on local worker processes. A worker process that dies (a crash
    in native code, or killed for memory) takes its pool and every job in it
    down: the jobs not yet started go on in a new pool, and each job that was
    in the pool is run again on its own, so that only a file that kills its
    worker again is failed, and the others are not failed with it."""
    untried, lost = jobs, []
    while untried:
        with open_executor(workers) as pool:
            untried, lost_now = _feed(pool, untried, submit, done, limit=workers)
        lost += lost_now
    for job in lost:
        with open_executor(1) as pool:
            _, lost_again = _feed(pool, [job], submit, done, limit=1)
        if lost_again:
            done(FileOutcome(str(job.source), str(job.output), "failed", 0.0,
                             error=f"{job.source}: the worker process died on this file (twice)"))


def _feed(executor: Executor, jobs: list[Job], submit: Callable[[Executor, Job], Future],
          done: Callable[[FileOutcome], None], limit: int | None = None) -> tuple[list[Job], list[Job]]:
    """Run the jobs on the executor, at most ``limit`` at a time (None: all at
    once), telling ``done`` each outcome. If the executor's pool breaks (a
    worker process died), stops: returns the jobs not started and the jobs
    lost with the pool (both empty when all went through)."""
    waiting, running, lost = list(reversed(jobs)), {}, []
    broken = False
    while running or (waiting and not broken):
        while waiting and not broken and (limit is None or len(running) < limit):
            job = waiting.pop()
            try:
                running[submit(executor, job)] = job
            except BrokenProcessPool:  # it broke since the last wait
                lost.append(job)
                broken = True
        if not running:
            break
        finished, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in finished:
            job = running.pop(future)
            if not future.cancelled() and isinstance(future.exception(), BrokenProcessPool):
                lost.append(job)
                broken = True
            else:
                done(_outcome(future, job))
    return list(reversed(waiting)), lost


def _outcome(future, job: Job) -> FileOutcome:
    try:
        return future.result()
    # A worker that died, or was stopped (SystemExit), still gets its file reported.
    except (Exception, SystemExit) as error:  # noqa: BLE001
        return FileOutcome(str(job.source), str(job.output), "failed", 0.0,
                           error=f"{job.source}: worker failed ({type(error).__name__}: {error})")


def count_outcomes(outcomes: list[FileOutcome]) -> dict[str, int]:
    return {status: sum(o.status == status for o in outcomes) for status in ("redacted", "skipped", "failed")}


def write_summary(path: Path, outcomes: list[FileOutcome], workers: int, scheduler: str | None) -> None:
    data = {"format": "blur-batch-summary", "version": 1, "workers": workers, "scheduler": scheduler,
            "counts": count_outcomes(outcomes), "files": [asdict(o) for o in outcomes]}
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path, force=True) as partial:
        partial.write_text(json.dumps(data, indent=1) + "\n")
