"""Per-platform files from one rendered master (the seeds' VideoExporter): the size, aspect,
length and encoding each platform wants, with SRT and WebVTT captions and a JPEG thumbnail.

The last step of the pipeline, after the render stage makes the master. The master already follows
YouTube's upload recommendations (core.encoding.h264_args), so an export with the same picture is
only remuxed; another size is scaled; another aspect is reframed around the faces in the video
(reframe.py). FFmpeg does the work, a few platforms at a time.
"""

import math
import statistics
import threading
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings
from PIL import Image, ImageOps

from ..core.cues import Cue, write_sidecars
from ..core.encoding import COLOUR, MP4_LAYOUT, SAMPLE_RATE, TRUE_PEAK_DB, h264_args
from ..core.errors import InvalidInput
from ..core.ffmpeg import MediaInfo, atomic_output, in_parallel, probe, run_ffmpeg
from ..core.loudness import measure_loudness
from ..core.platforms import PLATFORM_SPECS, PlatformSpec
from ..core.types import FrameSize, WordTiming
from .reframe import crop_filter, crop_window, sample_frames, video_focus_track

ProgressCallback = Callable[[float, str], None]


# Containers run a few hundredths of a second past the timeline (AAC priming, frame rounding).
LENGTH_TOLERANCE_S = 0.1
FADE_OUT_S = 0.5
# Within this many LU of the target the master's audio is left alone (and can be copied).
LOUDNESS_TOLERANCE_LU = 1.0
# Aspect ratios this close are the same shape: scaling distorts by less than a pixel in 200.
ASPECT_TOLERANCE = 0.005
# Platforms re-encode every upload, and CRF keeps the quality: a faster preset only costs bytes.
# YouTube asks for the moov atom first (+faststart) and no edit lists. Without an edit list the
# B-frame delay is carried by negative composition offsets, so the picture still starts at 0 s;
# the AAC priming (1024 samples, 21 ms) then plays as a short silence, far below lip-sync notice.
# Thumbnail candidates, as shares of the length: a third of the way in is usually past the
# title card and inside the story; the sharpest candidate wins, so no cross-fade is picked.
THUMBNAIL_MOMENTS = (1 / 3, 0.25, 0.42, 0.5)
THUMBNAIL_QUALITY = 90


@dataclass(frozen=True)
class ExportResult:
    platform: str
    path: Path
    srt_path: Path
    vtt_path: Path
    thumbnail_path: Path
    width: int
    height: int
    duration_s: float
    trimmed: bool


def get_platform(name: str) -> PlatformSpec:
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    if key not in PLATFORM_SPECS:
        raise InvalidInput(
            f"There is no platform called {name!r}. Choose one of: {', '.join(PLATFORM_SPECS)}."
        )
    return PLATFORM_SPECS[key]


def export_for_platforms(
    master: Path,
    platforms: Sequence[str],
    out_dir: Path,
    *,
    cues: Sequence[Cue] = (),
    trim: bool = False,
    on_progress: ProgressCallback | None = None,
    max_workers: int = 2,
    thumbnail: Path | None = None,
) -> dict[str, ExportResult]:
    """Export `master` for each platform, `max_workers` at a time; results by platform name.
    `thumbnail`: a designed cover (media.illustrated.design_thumbnail), fitted to each export;
    without one, the sharpest of a few frames."""
    specs = list({spec.name: spec for spec in map(get_platform, platforms)}.values())
    if not specs:
        raise InvalidInput("Choose at least one platform to export for.")
    source = _Source.analyse(Path(master), specs, trim=trim)
    progress = _Progress(on_progress, specs)
    results = in_parallel(
        lambda spec: _export(source, spec, Path(out_dir), cues, progress, thumbnail),
        specs,
        workers=min(max_workers, len(specs)),
    )
    return {result.platform: result for result in results}


def capped(spec: PlatformSpec, max_height_px: int | None) -> PlatformSpec:
    """The spec at most `max_height_px` on its shorter side ("720p"), same shape: a plan's
    resolution limit. Sides stay even, as 4:2:0 H.264 needs."""
    shorter = min(spec.width, spec.height)
    if not max_height_px or shorter <= max_height_px:
        return spec
    scale = max_height_px / shorter
    return replace(
        spec, width=round(spec.width * scale / 2) * 2, height=round(spec.height * scale / 2) * 2
    )


def export_for_platform(
    master: Path,
    platform: str,
    out_dir: Path,
    *,
    cues: Sequence[Cue] = (),
    trim: bool = False,
    on_progress: ProgressCallback | None = None,
    max_height_px: int | None = None,
    thumbnail: Path | None = None,
) -> ExportResult:
    spec = capped(get_platform(platform), max_height_px)
    source = _Source.analyse(Path(master), [spec], trim=trim)
    progress = _Progress(on_progress, [spec])
    return _export(source, spec, Path(out_dir), cues, progress, thumbnail)


@dataclass(frozen=True)
class _Source:
    """What every export of one master needs to know, worked out once."""

    path: Path
    info: MediaInfo
    integrated_lufs: float | None
    track: tuple[tuple[float, float, float], ...]  # where the faces are, if any export reframes

    @classmethod
    def analyse(cls, path: Path, specs: Sequence[PlatformSpec], *, trim: bool) -> "_Source":
        info = probe(path)
        if not info.has_video or info.duration_s <= 0:
            raise InvalidInput(f"{path.name} is not a video, so it cannot be exported.")
        if not trim:
            check_length(info.duration_s, specs)
        integrated = measure_loudness(path)["integrated_lufs"] if info.has_audio else None
        master_frame = FrameSize(info.width, info.height)
        reframes = any(not _same_shape(master_frame, spec.frame) for spec in specs)
        track = tuple(video_focus_track(path)) if reframes else ()
        return cls(path, info, integrated, track)


def check_length(
    duration_s: float, specs: Sequence[PlatformSpec], *, approximate: bool = False
) -> None:
    """InvalidInput, in words a creator understands, if a platform does not accept the length."""
    for spec in specs:
        if _is_too_long(duration_s, spec):
            length = _clock(duration_s - LENGTH_TOLERANCE_S)
            raise InvalidInput(
                (
                    f"This video would be about {length} long; "
                    if approximate
                    else f"This video is {length} long; "
                )
                + f"{spec.label} accepts at most {_clock(spec.max_duration_s)}. "
                "Shorten the script or export with trimming."
            )


def _export(
    source: _Source,
    spec: PlatformSpec,
    out_dir: Path,
    cues: Sequence[Cue],
    progress: "_Progress",
    thumbnail: Path | None = None,
) -> ExportResult:
    info = source.info
    trimmed = _is_too_long(info.duration_s, spec)
    duration_s = float(spec.max_duration_s) if trimmed else info.duration_s
    fps = spec.fps if not info.fps or info.fps > spec.fps + 0.01 else info.fps
    video = _video_args(source, spec, fps, fade_out_at=duration_s - FADE_OUT_S if trimmed else None)
    audio = _audio_args(source, spec, fade_out_at=duration_s - FADE_OUT_S if trimmed else None)
    copies = "copy" in video
    stem = f"{source.path.stem}.{spec.name}"
    finals = {kind: out_dir / f"{stem}.{kind}" for kind in ("mp4", "srt", "vtt", "jpg")}
    # Everything is written beside its final name and moved into place together at the end: a
    # failure anywhere leaves no export, rather than a video without its captions.
    with ExitStack() as stack:
        partial = {kind: stack.enter_context(atomic_output(path)) for kind, path in finals.items()}
        run_ffmpeg(
            [
                "-i",
                str(source.path),
                *video,
                *audio,
                *(["-t", f"{duration_s:.3f}"] if trimmed else []),
                *MP4_LAYOUT,
                str(partial["mp4"]),
            ],
            description=f"Exporting for {spec.label}",
            timeout_s=60 + duration_s * (1 if copies else 10),
            duration_s=duration_s,
            on_progress=lambda fraction: progress.update(spec, 0.95 * fraction),
        )
        write_sidecars(_clip_cues(cues, duration_s), partial["srt"], partial["vtt"])
        exported = probe(partial["mp4"])
        if thumbnail is not None:
            _fit_thumbnail(thumbnail, FrameSize(exported.width, exported.height), partial["jpg"])
        else:
            _write_thumbnail(partial["mp4"], exported.duration_s, partial["jpg"])
    progress.update(spec, 1.0, f"{spec.label} ready")
    return ExportResult(
        platform=spec.name,
        path=finals["mp4"],
        srt_path=finals["srt"],
        vtt_path=finals["vtt"],
        thumbnail_path=finals["jpg"],
        width=exported.width,
        height=exported.height,
        duration_s=exported.duration_s,
        trimmed=trimmed,
    )


def _video_args(
    source: _Source, spec: PlatformSpec, fps: float, *, fade_out_at: float | None
) -> list[str]:
    info = source.info
    master_frame = FrameSize(info.width, info.height)
    if (
        master_frame == spec.frame
        and info.video_codec == "h264"
        and info.pix_fmt == "yuv420p"
        and fps == info.fps
        and fade_out_at is None
    ):
        return ["-map", "0:v:0", "-c:v", "copy"]
    filters = []
    if not _same_shape(master_frame, spec.frame):
        filters.append(crop_filter(master_frame, spec.width / spec.height, source.track))
        _, _, crop_w, crop_h = crop_window(master_frame, spec.width / spec.height, (0.5, 0.5))
        master_frame = FrameSize(crop_w, crop_h)
    if master_frame != spec.frame:
        filters.append(f"scale={spec.width}:{spec.height}:flags=lanczos")
    filters.append("setsar=1")
    if fps != info.fps:
        filters.append(f"fps={fps:g}")
    filters.append(COLOUR)
    if fade_out_at is not None:
        filters.append(f"fade=t=out:st={fade_out_at:.3f}:d={FADE_OUT_S}")
    peak_kbps = spec.video_bitrate_kbps * 3 // 2 if fps > 30 else spec.video_bitrate_kbps
    encoder = h264_args(spec.frame, round(fps), settings.RENDER_X264_PRESET, peak_kbps=peak_kbps)
    return ["-map", "0:v:0", "-vf", ",".join(filters), *encoder]


def _audio_args(source: _Source, spec: PlatformSpec, *, fade_out_at: float | None) -> list[str]:
    info = source.info
    if not info.has_audio:
        return []
    filters = []
    integrated = source.integrated_lufs
    # Silence (below -70 LUFS) stays silence rather than being amplified noise.
    if integrated is not None and integrated > -70:
        gain_db = spec.loudness_lufs - integrated
        if abs(gain_db) > LOUDNESS_TOLERANCE_LU:
            limit = 10 ** (TRUE_PEAK_DB / 20)
            # level=0: alimiter's default auto-level would lift the result past the target again.
            filters.append(f"volume={gain_db:.2f}dB,alimiter=limit={limit:.3f}:level=0")
    if fade_out_at is not None:
        filters.append(f"afade=t=out:st={fade_out_at:.3f}:d={FADE_OUT_S}")
    if (
        not filters
        and info.audio_codec == "aac"
        and info.sample_rate == SAMPLE_RATE
        and info.channels == 2
    ):
        return ["-map", "0:a:0", "-c:a", "copy"]
    return [
        "-map",
        "0:a:0",
        *(["-af", ",".join(filters)] if filters else []),
        "-c:a",
        "aac",
        "-b:a",
        f"{spec.audio_bitrate_kbps}k",
        "-ar",
        str(SAMPLE_RATE),
        "-ac",
        "2",
    ]


def _clip_cues(cues: Sequence[Cue], end_s: float) -> list[Cue]:
    """The cues as a video cut at `end_s` shows them: later ones dropped, the last one cut short.
    Trimming keeps the start of the video, so nothing moves."""
    clipped = []
    for cue in cues:
        words = tuple(
            WordTiming(word.text, word.start_s, min(word.end_s, end_s))
            for word in cue.words
            if word.start_s < end_s
        )
        if cue.start_s < end_s and words:
            clipped.append(Cue(cue.start_s, min(cue.end_s, end_s), words))
    return clipped


def _fit_thumbnail(picture: Path, frame: FrameSize, out_path: Path) -> None:
    """A designed cover as a JPEG the size of the export, cropped from the middle if its shape
    differs a little."""
    with Image.open(picture) as image:
        cover = ImageOps.fit(
            image.convert("RGB"), (frame.width, frame.height), Image.Resampling.LANCZOS
        )
    cover.save(out_path, format="JPEG", quality=THUMBNAIL_QUALITY)


def _write_thumbnail(video: Path, duration_s: float, out_path: Path) -> None:
    frames = sample_frames(
        video, [duration_s * moment for moment in THUMBNAIL_MOMENTS], pixel_format="rgb24"
    )
    _, picture = max(frames, key=lambda item: _sharpness(item[1]))
    Image.fromarray(picture).save(out_path, format="JPEG", quality=THUMBNAIL_QUALITY)


def _sharpness(rgb: np.ndarray) -> float:
    """Variance of the Laplacian: high for crisp detail, low for blur, fades and flat frames."""
    return float(cv2.Laplacian(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var())


def _is_too_long(duration_s: float, spec: PlatformSpec) -> bool:
    return duration_s > spec.max_duration_s + LENGTH_TOLERANCE_S


def _same_shape(first: FrameSize, second: FrameSize) -> bool:
    return abs(first.aspect - second.aspect) <= ASPECT_TOLERANCE * second.aspect


def _clock(seconds: float) -> str:
    """m:ss (h:mm:ss past an hour), rounded up so a video over a limit never reads as equal."""
    total = max(0, math.ceil(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class _Progress:
    """Thread-safe overall progress: the mean of each platform's share done."""

    def __init__(self, callback: ProgressCallback | None, specs: Sequence[PlatformSpec]):
        self.callback = callback
        self.done = dict.fromkeys((spec.name for spec in specs), 0.0)
        self.lock = threading.Lock()

    def update(self, spec: PlatformSpec, fraction: float, message: str = "") -> None:
        if not self.callback:
            return
        with self.lock:
            self.done[spec.name] = max(self.done[spec.name], fraction)
            overall = statistics.fmean(self.done.values())
            self.callback(overall, message or f"Exporting for {spec.label}")


# Hover previews in lists of videos: a few muted seconds from a third of the way in (past the
# title card), small enough to start playing at once.
PREVIEW_S = 4.0
PREVIEW_FPS = 15


def preview_clip(video: Path, out_path: Path, *, width_px: int, duration_s: float) -> None:
    """A short, silent, `width_px`-wide H.264 MP4 of `video` that loops well."""
    length_s = min(PREVIEW_S, duration_s)
    start_s = max(0.0, min(duration_s / 3, duration_s - length_s))
    with atomic_output(out_path) as partial:
        run_ffmpeg(
            [
                "-ss",
                f"{start_s:.3f}",
                "-t",
                f"{length_s:.3f}",
                "-i",
                str(video),
                "-an",
                "-vf",
                f"fps={PREVIEW_FPS},scale={width_px}:-2,{COLOUR}",
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-crf",
                "30",
                "-movflags",
                "+faststart",
                str(partial),
            ],
            description="Making the preview",
            timeout_s=60,
            duration_s=length_s,
        )
