"""The ``blur`` command: options in, one library call, errors to exit codes."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Callable

import click

from blur import __version__
from blur.errors import BlurError
from blur.settings import (
    AUDIO_POLICIES,
    LIGHT_SIZE_MIN_PX,
    MASK_SHAPES,
    PRECISIONS,
    REDACT_MODES,
    X264_PRESETS,
    DetectSettings,
    EncodeSettings,
    RedactSettings,
    Settings,
    TrackSettings,
    parse_color,
    parse_time_ranges,
)

log = logging.getLogger("blur")

EXIT_FAILED = 1
EXIT_USAGE = 2


class _Bar:
    """A progress bar on stderr: frames done, frames per second, time left.
    Appears only on a terminal, and only for passes longer than a second."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._bar = None

    def start(self, label: str, total: int | None) -> None:
        if not self._enabled:
            return
        from tqdm import tqdm

        self._bar = tqdm(total=total, desc=label, unit="frame", delay=1.0, leave=False, dynamic_ncols=True)

    def advance(self, count: int) -> None:
        if self._bar is not None:
            self._bar.update(count)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _silence_native_stderr() -> None:
    """MediaPipe's C++ code logs to file descriptor 2 with no way to turn it
    off. Point descriptor 2 at /dev/null and keep Python's stderr (messages,
    progress bar) on a copy of the real one."""
    try:
        sys.stderr.flush()
        real = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        sys.stderr = os.fdopen(real, "w", buffering=1, encoding=sys.stderr.encoding, errors="backslashreplace")
    except (OSError, ValueError, AttributeError):
        log.debug("could not separate native logging from stderr")


def _settings(options: dict) -> Settings:
    """Settings from a command's options; sections it has no options for keep
    their defaults."""
    detect, track, redact, encode = DetectSettings(), TrackSettings(), RedactSettings(), EncodeSettings()
    if "detector" in options:
        detect = DetectSettings(detector=options["detector"], threshold=options["threshold"],
                                weak_threshold=options["weak_threshold"], every_frames=options["every_frames"],
                                light_size_px=options["light_size_px"],
                                full_every_seconds=options["full_every_seconds"],
                                precision=options["precision"], enlarge_photos=options["enlarge_photos"])
        track = TrackSettings(enabled=not options["no_track"], pad_seconds=options["pad_seconds"],
                              max_gap_seconds=options["max_gap_seconds"])
    if "mode" in options:
        redact = RedactSettings(
            mode=options["mode"], shape=options["shape"], mask_scale=options["mask_scale"],
            color=parse_color(options["color"]),
        )
        encode = EncodeSettings(
            crf=options["crf"], preset=options["preset"], audio=options["audio"],
            keep_metadata=options["keep_metadata"], mute=parse_time_ranges(options["mute"] or ""),
        )
    return Settings(detect, track, redact, encode)


def _disclosure(options: dict):
    from blur.record import Disclosure

    return Disclosure(requester=options["requester"], reason=options["reason"], reviewer=options["reviewer"])


def _detect_options(command: Callable) -> Callable:
    from blur.detect import DETECTORS

    defaults, track = DetectSettings(), TrackSettings()
    for option in reversed([
        click.option("--detector", type=click.Choice(sorted(DETECTORS)), default=defaults.detector,
                     show_default=True, help="Face detection engine."),
        click.option("--threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True),
                     default=defaults.threshold, show_default=True,
                     help="Lowest detector confidence that is redacted. Lower misses fewer faces "
                          "and redacts more things that are not faces."),
        click.option("--weak-threshold", type=click.FloatRange(0, 1, min_open=True, max_open=True),
                     default=defaults.weak_threshold, show_default=True,
                     help="In videos, weaker hits down to this are also redacted when they recur "
                          f"in {defaults.confirm_frames} or more frames of one track."),
        click.option("--detect-every", "every_frames", type=click.IntRange(1, 30), default=defaults.every_frames,
                     show_default=True, metavar="N",
                     help="In videos, search every N-th frame for faces; tracking covers the frames "
                          "between. Faster; a face seen for under N frames can be missed."),
        click.option("--light-size", "light_size_px", type=click.IntRange(0, 4320), default=defaults.light_size_px,
                     show_default=f"a third of the shorter side, at least {LIGHT_SIZE_MIN_PX}", metavar="PX",
                     help="Most video searches are light: on the frame scaled down so its shorter side is "
                          "PX (videos under 1.7 times PX are searched in full, as cheaply). 0 searches at full "
                          "resolution every time (slow)."),
        click.option("--full-every", "full_every_seconds", type=click.FloatRange(0, 10, min_open=True),
                     default=defaults.full_every_seconds, show_default=True, metavar="SECONDS",
                     help="Search at full resolution at least this often (and on both sides of every scene cut, "
                          "and on the last frame), for small faces; the small faces found are followed at full "
                          "resolution between."),
        click.option("--precision", type=click.Choice(PRECISIONS), default=defaults.precision,
                     show_default=True,
                     help="fast: CenterFace computes in 8-bit integers (about 2.5x faster; built once from "
                          "the published model, see 'blur models'). exact: the published float32 model."),
        click.option("--enlarge-photos/--no-enlarge-photos", default=defaults.enlarge_photos, show_default=True,
                     help="Also search each photo at twice its size, for faces under 20 px (about 3x the time; "
                          "photos over 4 megapixels are not enlarged)."),
        click.option("--pad", "pad_seconds", type=click.FloatRange(0, 10), default=track.pad_seconds,
                     show_default=True, metavar="SECONDS",
                     help="Also redact each face this long before it is first and after it is last detected. "
                          "At least the longest a face may go unsearched: the full-search interval (--full-every) "
                          "where there are light searches, half of it in videos searched in full."),
        click.option("--max-gap", "max_gap_seconds", type=click.FloatRange(0, 10), default=track.max_gap_seconds,
                     show_default=True, metavar="SECONDS",
                     help="Fill gaps in a face's track up to this long by interpolation. At least twice the "
                          "longest a face may go unsearched (see --pad)."),
        click.option("--no-track", is_flag=True,
                     help="Per-frame detections only: no gap filling, no padding. For comparison; "
                          "faces the detector blinks on are then left visible for that frame."),
    ]):
        command = option(command)
    return command


_segment_option = click.option(
    "--workers", "segment_workers", type=click.IntRange(1, 64), default=1, show_default=True,
    help="Split each video at keyframes into this many segments and search them in parallel processes "
         "(for long videos on many cores). Tracking still runs over the whole video.")


def _render_options(command: Callable) -> Callable:
    redact, encode = RedactSettings(), EncodeSettings()
    for option in reversed([
        click.option("--mode", type=click.Choice(REDACT_MODES), default=redact.mode, show_default=True,
                      help="How faces are hidden. All modes scale with the face and cannot be undone."),
        click.option("--color", default="000000", show_default=True, metavar="RRGGBB",
                     help="Fill colour for --mode solid."),
        click.option("--shape", type=click.Choice(MASK_SHAPES), default=redact.shape, show_default=True,
                     help="Shape of each redacted region."),
        click.option("--mask-scale", type=click.FloatRange(1.0, 4.0), default=redact.mask_scale,
                     show_default=True,
                     help="Redacted region size as a multiple of the detected face box; "
                          "larger also hides hair and ears."),
        click.option("--audio", type=click.Choice(AUDIO_POLICIES), default=encode.audio, show_default=True,
                     help="Keep the sound (copied untouched) or drop it."),
        click.option("--keep-metadata", is_flag=True,
                     help="Keep title, GPS location, device and time tags (dropped by default)."),
        click.option("--mute", metavar="RANGES",
                     help="Silence the sound in these time ranges (a voice can identify someone), "
                          "e.g. 00:01:05-00:01:12,1:30-1:41. The sound is then re-encoded."),
        click.option("--requester", default="", help="Disclosure record: who receives the output."),
        click.option("--reason", default="", help="Disclosure record: why it is released."),
        click.option("--reviewer", default="", help="Disclosure record: who checked the redaction."),
        click.option("--crf", type=click.IntRange(0, 51), default=encode.crf, show_default=True,
                     help="Video quality: lower is better and larger."),
        click.option("--preset", type=click.Choice(X264_PRESETS), default=encode.preset, show_default=True,
                     help="Encoder speed: slower presets make smaller files."),
        click.option("--force", is_flag=True, help="Overwrite outputs that exist already (never an input)."),
    ]):
        command = option(command)
    return command


class _BlurGroup(click.Group):
    """Stops on Ctrl-C, SIGTERM or SIGHUP with one line and the shell's
    status for the signal (click's own says 'Aborted!' and 1)."""

    def invoke(self, context: click.Context):
        from blur.stopping import exit_status, stop_on_signals

        stop_on_signals()
        try:
            return super().invoke(context)
        except KeyboardInterrupt as stop:
            click.echo("blur: interrupted; no partial output was left behind", err=True)
            context.exit(exit_status(stop))


@click.group(cls=_BlurGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="blur")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no notes; errors only.")
@click.option("-v", "--verbose", is_flag=True, help="Say more about what is happening.")
@click.option("--debug", is_flag=True, help="Show native library logs and full tracebacks.")
@click.pass_context
def main(context: click.Context, quiet: bool, verbose: bool, debug: bool) -> None:
    """Find every face in videos and photos and redact it, irreversibly.

    \b
    blur redact clip.mp4                 writes clip.redacted.mp4
    blur redact footage/ -o redacted/    every video and photo in a folder
    blur scan clip.mp4 -o plan.json      find faces only; review or edit the plan
    blur review plan.json -o review.html check the plan in a browser
    blur render clip.mp4 --plan plan.json -o out.mp4
    blur batch export/ released/         a whole archive, resumable
    """
    level = logging.ERROR if quiet else logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    if not debug:
        _silence_native_stderr()
    logging.basicConfig(level=level, format="blur: %(message)s", stream=sys.stderr)
    context.obj = {"quiet": quiet, "debug": debug}


def _progress(context: click.Context) -> _Bar:
    return _Bar(enabled=not context.obj["quiet"] and sys.stderr.isatty())


def _fail(path: object, error: BaseException, debug: bool) -> None:
    if isinstance(error, BlurError):
        message = str(error)
    else:
        message = f"{path}: unexpected error: {type(error).__name__}: {error}"
        if debug:
            traceback.print_exception(error, file=sys.stderr)
        else:
            message += " (run with --debug for details)"
    click.echo(f"blur: error: {message}", err=True)


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _done(source: object, result) -> str:
    """The line printed for each file redacted."""
    from blur.photo import PHOTO_FORMATS

    what = "photo" if Path(str(result.output)).suffix.lower() in PHOTO_FORMATS else _counted(result.frames, "frame")
    return f"{source} -> {result.output} ({what}, {_counted(result.regions, 'face region')})"


def _run_each(context: click.Context, items: list, work: Callable) -> None:
    """Run ``work`` on each item; one failure does not stop the others, but
    makes the exit code non-zero."""
    failures = 0
    for item in items:
        try:
            work(item)
        except Exception as error:  # noqa: BLE001 - every failure is reported per file
            failures += 1
            _fail(getattr(item, "source", item), error, context.obj["debug"])
    if failures:
        if len(items) > 1:
            click.echo(f"blur: {failures} of {len(items)} files failed", err=True)
        sys.exit(EXIT_FAILED)


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Output file (one input) or folder (several inputs or a folder). "
                   "Default: NAME.redacted.EXT beside each input.")
@_detect_options
@_segment_option
@_render_options
@click.pass_context
def redact(context: click.Context, inputs: tuple[Path, ...], output: Path | None, **options) -> None:
    """Redact every face in INPUTS: video files, photos or folders of them."""
    from blur.jobs import plan_jobs
    from blur.pipeline import Redactor

    try:
        settings = _settings(options)
        jobs, skipped = plan_jobs(list(inputs), output)
    except BlurError as error:
        _fail(None, error, context.obj["debug"])
        sys.exit(EXIT_FAILED)
    for item in skipped:
        log.warning("skipped %s: %s", item.path, item.reason)
    if not jobs:
        click.echo("blur: error: no video or photo found in the inputs", err=True)
        sys.exit(EXIT_FAILED)

    with Redactor(settings, _progress(context)) as redactor:
        def work(job) -> None:
            job.output.parent.mkdir(parents=True, exist_ok=True)
            result = redactor.redact(job.source, job.output, force=options["force"], disclosure=_disclosure(options),
                                     workers=options["segment_workers"])
            if not context.obj["quiet"]:
                click.echo(_done(job.source, result))

        _run_each(context, jobs, work)


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Plan file to write (JSON).")
@_detect_options
@_segment_option
@click.option("--force", is_flag=True, help="Overwrite the plan file if it exists.")
@click.pass_context
def scan(context: click.Context, source: Path, output: Path, **options) -> None:
    """Find the faces in SOURCE and write a redaction plan, without redacting."""
    from blur.outputs import check_writable
    from blur.pipeline import Redactor

    def work(path: Path) -> None:
        check_writable(output, options["force"])
        with Redactor(_settings(options), _progress(context)) as redactor:
            plan = redactor.scan(path, options["segment_workers"])
        plan.save(output)
        if not context.obj["quiet"]:
            click.echo(f"{path} -> {output} ({_counted(plan.region_count(), 'face region')} in "
                       f"{'a photo' if plan.source.kind == 'photo' else _counted(plan.source.frame_count, 'frame')})")

    _run_each(context, [source], work)


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), required=True,
              help="Plan written by 'blur scan'.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Output file. Default: NAME.redacted.EXT.")
@_render_options
@click.pass_context
def render(context: click.Context, source: Path, plan_path: Path, output: Path | None, **options) -> None:
    """Apply a redaction plan to SOURCE and write the redacted file."""
    from blur.jobs import default_output_name
    from blur.pipeline import Redactor
    from blur.plan import Plan

    def work(path: Path) -> None:
        plan = Plan.load(plan_path)
        target = output or path.with_name(default_output_name(path))
        with Redactor(_settings(options), _progress(context)) as redactor:
            result = redactor.render(path, plan, target, force=options["force"], disclosure=_disclosure(options))
        if not context.obj["quiet"]:
            click.echo(_done(path, result))

    _run_each(context, [source], work)


@main.command()
@click.argument("source_root", metavar="SRC", type=click.Path(path_type=Path))
@click.argument("target_root", metavar="DST", type=click.Path(path_type=Path))
@click.option("--workers", type=click.IntRange(1, 256), default=max(1, (os.cpu_count() or 1) // 2),
              show_default="one per two cores",
              help="Files redacted at once, each in its own process. Each file's pass keeps about two cores busy.")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run on this Dask cluster instead of local processes. The workers must see SRC and DST "
                   "at the same paths (shared storage).")
@_detect_options
@_render_options
@click.pass_context
def batch(context: click.Context, source_root: Path, target_root: Path, workers: int, scheduler: str | None,
          **options) -> None:
    """Redact every video and photo under SRC into the same relative place
    under DST, each with its plan (NAME.plan.json) and disclosure record
    (NAME.record.json). A re-run skips files already done with the same input
    and settings, and redoes unfinished ones. A summary table is printed and
    DST/blur-batch-summary.json written; the exit code is 1 if any file failed."""
    from blur.batch import SUMMARY_NAME, count_outcomes, run_batch

    def report(outcome) -> None:
        for warning in outcome.warnings:
            log.warning(warning)
        if outcome.status == "failed":
            click.echo(f"blur: error: {outcome.error}", err=True)
        elif not context.obj["quiet"]:
            click.echo(f"{outcome.status}: {outcome.source} -> {outcome.output} ({outcome.seconds:.1f} s)")

    try:
        outcomes = run_batch(source_root, target_root, _settings(options), _disclosure(options), workers,
                             scheduler, on_done=report)
    except BlurError as error:
        _fail(source_root, error, context.obj["debug"])
        sys.exit(EXIT_FAILED)
    counts = count_outcomes(outcomes)
    if not context.obj["quiet"]:
        click.echo(f"\n{'status':<10} {'seconds':>8} {'frames':>7}  file")
        for o in outcomes:
            click.echo(f"{o.status:<10} {o.seconds:>8.1f} {o.frames:>7}  {o.source}")
        click.echo(f"{counts['redacted']} redacted, {counts['skipped']} already done, {counts['failed']} failed; "
                   f"summary: {target_root / SUMMARY_NAME}")
    if counts["failed"]:
        sys.exit(EXIT_FAILED)


@main.group(name="plan")
def plan_group() -> None:
    """Edit a plan by hand before rendering it. Boxes are x1,y1,x2,y2 in pixels
    of the frame as stored; every edit is kept in the plan with --by and --why
    and reaches the disclosure record."""


def _edit_options(command: Callable) -> Callable:
    command = click.option("--why", "reason", default="", help="Why the edit was made (kept in the plan).")(command)
    command = click.option("--by", default="", help="Who made the edit (kept in the plan).")(command)
    return click.argument("plan_path", metavar="PLAN", type=click.Path(path_type=Path))(command)


def _edit(context: click.Context, plan_path: Path, change: Callable) -> None:
    """Load a plan, change it, save it in place; errors name the field."""
    from blur.plan import Plan

    def work(path: Path) -> None:
        plan = Plan.load(path)
        message = change(plan)
        plan.save(path)
        if not context.obj["quiet"]:
            click.echo(f"{path}: {message}")

    _run_each(context, [plan_path], work)


@plan_group.command("add-region")
@_edit_options
@click.option("--frames", metavar="FIRST-LAST", help="Frame range for a fixed --box, e.g. 120-240.")
@click.option("--box", metavar="X1,Y1,X2,Y2", help="The box over the whole --frames range.")
@click.option("--key", "keys", multiple=True, metavar="FRAME:X1,Y1,X2,Y2",
              help="A keyed box; boxes are interpolated between keys. Repeat for each key.")
@click.pass_context
def plan_add_region(context: click.Context, plan_path: Path, by: str, reason: str, frames: str | None,
                    box: str | None, keys: tuple[str, ...]) -> None:
    """Redact a region the detector missed, over a range of frames."""
    from blur import edit

    def change(plan) -> str:
        keyed = [edit.parse_key(key, plan) for key in keys]
        if box is not None:
            if frames is None:
                raise BlurError("--box needs --frames FIRST-LAST (or give --key FRAME:BOX instead)")
            first, last = edit.parse_frames(frames, plan.source.frame_count)
            fixed = edit.parse_box(box, plan)
            keyed += [(first, fixed), (last, fixed)]
        if not keyed:
            raise BlurError("give --frames with --box, or one or more --key FRAME:X1,Y1,X2,Y2")
        track_id = edit.add_region(plan, keyed, by, reason)
        return f"added manual track {track_id}, frames {min(k[0] for k in keyed)}-{max(k[0] for k in keyed)}"

    _edit(context, plan_path, change)


@plan_group.command("drop-track")
@_edit_options
@click.option("--track", "track_id", type=int, required=True, help="Track id, as the plan and review page show it.")
@click.pass_context
def plan_drop_track(context: click.Context, plan_path: Path, by: str, reason: str, track_id: int) -> None:
    """Leave one track unredacted (a consenting subject, an officer on duty)."""
    from blur import edit

    _edit(context, plan_path,
          lambda plan: f"dropped track {track_id} ({edit.drop_track(plan, track_id, by, reason)} regions)")


@plan_group.command("add-zone")
@_edit_options
@click.option("--box", required=True, metavar="X1,Y1,X2,Y2", help="The zone's rectangle.")
@click.option("--frames", metavar="FIRST-LAST", help="Only these frames (default: all).")
@click.option("--label", default="", help="What the zone is, e.g. 'window'.")
@click.pass_context
def plan_add_zone(context: click.Context, plan_path: Path, by: str, reason: str, box: str,
                  frames: str | None, label: str) -> None:
    """Always redact a rectangle (a window, a screen), on every frame."""
    from blur import edit

    def change(plan) -> str:
        span = edit.parse_frames(frames, plan.source.frame_count) if frames else None
        edit.add_zone(plan, edit.parse_box(box, plan), span, label, by, reason)
        return f"added zone {box}" + (f" on frames {frames}" if frames else " on every frame")

    _edit(context, plan_path, change)


@main.command()
@click.argument("plan_path", metavar="PLAN", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Review page to write (HTML).")
@click.option("--input", "source", type=click.Path(path_type=Path),
              help="The video or photo the plan was made from. Default: the path in the plan.")
@click.option("--force", is_flag=True, help="Overwrite the page if it exists.")
@click.pass_context
def review(context: click.Context, plan_path: Path, output: Path, source: Path | None, force: bool) -> None:
    """Write a self-contained review page for a plan: a timeline of faces and
    of frames at risk, a contact sheet of REDACTED frames at those points and a
    strip per track. It opens offline in any browser and never shows an
    unredacted face."""
    from blur.outputs import check_writable
    from blur.plan import Plan
    from blur.report import write_review

    def work(path: Path) -> None:
        check_writable(output, force)
        plan = Plan.load(path)
        write_review(plan, source or Path(plan.source.path), output, force=force)
        if not context.obj["quiet"]:
            click.echo(f"{path} -> {output}")

    _run_each(context, [plan_path], work)


@main.command()
@click.option("--fetch", is_flag=True, help="Download and verify any model that is missing, and build the "
              "8-bit CenterFace.")
@click.pass_context
def models(context: click.Context, fetch: bool) -> None:
    """List the models blur uses, where each comes from, and whether it is here."""
    from blur import models as registry
    from blur.detect import quantize

    def work(name: str) -> None:
        if name == "centerface-int8":
            path = quantize.int8_model() if fetch else quantize.find()
            state = f"present at {path}" if path else "missing (built on first use, or run 'blur models --fetch')"
            click.echo(f"{name}\n  source:  {quantize.describe()}\n  {state}")
            return
        spec = registry.MODELS[name]
        path = registry.ensure(name) if fetch else registry.find(name)
        state = f"present at {path}" if path else "missing (fetched on first use, or run 'blur models --fetch')"
        click.echo(f"{name}\n  source:  {spec.source}\n  sha256:  {spec.sha256}\n  licence: {spec.licence}\n  {state}")

    _run_each(context, [*registry.MODELS, "centerface-int8"], work)
