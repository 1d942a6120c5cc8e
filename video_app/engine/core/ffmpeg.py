"""Running FFmpeg safely and reading media files.

The binary is the one imageio-ffmpeg ships, so no system FFmpeg is needed. Arguments are always a
list (never a shell string); every run has a time limit after which the process is killed; output
files are written under a temporary name and renamed only when FFmpeg succeeded, so a
half-written file never sits where a finished one is expected. `stop_runs` kills every FFmpeg of
this process at once (a cancelled run), and none starts until `allow_runs`. Probing uses PyAV.
"""

import contextlib
import functools
import os
import re
import subprocess
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import imageio_ffmpeg

from .errors import EngineError, InvalidInput, RenderFailed

# libass and drawtext find system fonts through fontconfig; the static binary looks for its
# configuration under its own build prefix, so point it at the system's.
SYSTEM_FONTCONFIG = Path("/etc/fonts/fonts.conf")


# How often a running FFmpeg looks for its time limit or a stop; a person never notices 0.2 s.
SUPERVISE_INTERVAL_S = 0.2
# Set by `stop_runs`: a prefork worker process runs one task at a time, so "every FFmpeg of this
# process" is "every FFmpeg of the task", the whole of a render's thread pool included.
_stop_requested = threading.Event()
# Temporary outputs are named `.<stem>.partial-<8 hex><suffix>` (see `atomic_output`).
PARTIAL_MARK = ".partial-"


class Stopped(EngineError):
    """FFmpeg was stopped on purpose (the run was cancelled): not a failure, never retried."""


def stop_runs() -> None:
    """Kill every FFmpeg this process is running and refuse new ones until `allow_runs`."""
    _stop_requested.set()


def allow_runs() -> None:
    _stop_requested.clear()


def stop_requested() -> bool:
    return _stop_requested.is_set()


def in_parallel(function: Callable, items, *, workers: int) -> list:
    """`function` over `items` on `workers` threads, the results in order. When one fails, or the
    calling thread is interrupted while it waits (a task's time limit arrives there as an
    exception), the other threads' FFmpeg runs are killed and that first error is raised at once:
    the threads would otherwise run on, an hour for a hung FFmpeg, before the caller could leave.
    """
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(function, item) for item in items]
        try:
            wait(futures, return_when=FIRST_EXCEPTION)
            if failed := [future for future in futures if future.done() and future.exception()]:
                raise failed[0].exception()
            return [future.result() for future in futures]
        except BaseException:
            stopping_already = _stop_requested.is_set()  # a cancel: it stays in force
            _stop_requested.set()
            wait(futures)
            if not stopping_already:
                _stop_requested.clear()
            raise


@functools.cache
def ffmpeg_path() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg_env() -> dict[str, str]:
    env = dict(os.environ)
    if SYSTEM_FONTCONFIG.exists():
        env.setdefault("FONTCONFIG_FILE", str(SYSTEM_FONTCONFIG))
    return env


def run_ffmpeg(
    args: list[str],
    *,
    description: str,
    timeout_s: float,
    duration_s: float | None = None,
    on_progress: Callable[[float], None] | None = None,
    loglevel: str = "error",
) -> str:
    """Run FFmpeg with `args`; report progress as a fraction of `duration_s` of output.

    Returns the last lines FFmpeg logged (at `loglevel`), for filters that report measurements.
    Raises RenderFailed with `description` in the message and FFmpeg's last lines as detail.
    """
    command = [ffmpeg_path(), "-hide_banner", "-nostdin", "-y", "-loglevel", loglevel]
    command += ["-nostats", "-progress", "pipe:1", *args]
    if _stop_requested.is_set():
        raise Stopped(f"{description} was not started: the work was cancelled.")
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=ffmpeg_env(),
        text=True,
        errors="replace",
    )
    stderr_tail: deque[str] = deque(maxlen=80)
    reader = threading.Thread(target=_drain, args=(process.stderr, stderr_tail), daemon=True)
    reader.start()
    watch = _Watch(process, timeout_s)
    try:
        for line in process.stdout:
            if on_progress and duration_s and line.startswith("out_time_us="):
                value = line.partition("=")[2].strip()
                if value.isdigit():
                    on_progress(min(1.0, int(value) / 1_000_000 / duration_s))
        process.wait()
    finally:
        watch.finished.set()
        if process.poll() is None:  # interrupted (e.g. a task's soft time limit): no orphans
            process.kill()
            process.wait()
        watch.thread.join(timeout=5)
        reader.join(timeout=5)
    if watch.stopped.is_set():
        raise Stopped(f"{description} was stopped: the work was cancelled.")
    detail = " ".join(command) + "\n" + "".join(stderr_tail)
    if watch.timed_out.is_set():
        raise RenderFailed(
            f"{description} took longer than {timeout_s:.0f} s and was stopped.", detail=detail
        )
    if process.returncode != 0:
        raise RenderFailed(f"{description} failed.", detail=f"exit {process.returncode}: {detail}")
    return "".join(stderr_tail)


class _Watch:
    """Kills FFmpeg at its time limit, or as soon as the work is stopped, from a thread of its
    own: the loop reading FFmpeg's progress may wait long for a line (a slow filter), so it
    cannot be the one to look."""

    def __init__(self, process: subprocess.Popen, timeout_s: float):
        self.process = process
        self.deadline = time.monotonic() + timeout_s
        self.timed_out, self.stopped, self.finished = (threading.Event() for _ in range(3))
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.finished.wait(SUPERVISE_INTERVAL_S):
            if _stop_requested.is_set() or time.monotonic() >= self.deadline:
                (self.stopped if _stop_requested.is_set() else self.timed_out).set()
                self.process.kill()
                return


def _drain(stream, tail: deque) -> None:
    for line in stream:
        tail.append(line)


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of `path` to write; move it into place only on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Same suffix, so FFmpeg picks the same container from the name.
    partial = path.with_name(f".{path.stem}{PARTIAL_MARK}{uuid.uuid4().hex[:8]}{path.suffix}")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def filter_path(path: Path) -> str:
    """A file path escaped for use as an option value inside an FFmpeg filter graph."""
    # Two levels, as FFmpeg parses them: first the option value, then the graph description.
    option_value = re.sub(r"([\\':])", r"\\\1", str(path))
    return re.sub(r"([\\'\[\],;])", r"\\\1", option_value)


@dataclass(frozen=True)
class MediaInfo:
    duration_s: float
    width: int = 0
    height: int = 0
    fps: float = 0.0
    video_codec: str = ""
    video_profile: str = ""
    pix_fmt: str = ""
    audio_codec: str = ""
    sample_rate: int = 0
    channels: int = 0

    @property
    def has_video(self) -> bool:
        return bool(self.video_codec)

    @property
    def has_audio(self) -> bool:
        return bool(self.audio_codec)


def probe(path: Path, *, decode: bool = False) -> MediaInfo:
    """Streams and duration of a media file, or InvalidInput if it cannot be read as media.

    With `decode`, the first picture is decoded too: a header alone can look valid.
    """
    try:
        with av.open(str(path)) as container:
            video = next(iter(container.streams.video), None)
            audio = next(iter(container.streams.audio), None)
            if decode and video is not None:
                next(container.decode(video))
            duration_s = _duration_s(container, video, audio)
            info = {"duration_s": duration_s}
            if video is not None:
                rate = video.average_rate or video.guessed_rate or Fraction(0)
                info.update(
                    width=video.codec_context.width,
                    height=video.codec_context.height,
                    fps=float(rate),
                    video_codec=video.codec_context.name,
                    video_profile=video.codec_context.profile or "",
                    pix_fmt=video.codec_context.pix_fmt or "",
                )
            if audio is not None:
                info.update(
                    audio_codec=audio.codec_context.name,
                    sample_rate=audio.codec_context.sample_rate,
                    channels=audio.codec_context.channels,
                )
            return MediaInfo(**info)
    except (av.FFmpegError, OSError, ValueError, StopIteration) as error:
        raise InvalidInput(
            f"{path.name} is not a video, picture or sound file that can be read.",
            detail=repr(error),
        ) from error


def _duration_s(container, video, audio) -> float:
    if container.duration is not None:
        return container.duration / av.time_base
    for stream in (video, audio):
        if stream is not None and stream.duration is not None and stream.time_base:
            return float(stream.duration * stream.time_base)
    return 0.0
