"""The MoviePy render engine, the reference for per-frame Python compositing: the whole video is one
MoviePy composition (scenes cross-fading over each other, caption and watermark pictures on top)
whose every frame is drawn with Pillow and NumPy and piped to FFmpeg for H.264.

It renders the same timeline as the FFmpeg engine (frame counts, Ken Burns motions continuous across
the fades, crops to the focus point, captions, watermark, ducked music, loudness target) but draws
every frame each time: nothing is cached, so `pieces_rendered` is always 1.
"""

import contextlib
import functools
import math
import tempfile
from pathlib import Path

import numpy as np
import proglog
from moviepy import (
    AudioArrayClip,
    AudioFileClip,
    CompositeAudioClip,
    CompositeVideoClip,
    ImageClip,
    VideoClip,
    VideoFileClip,
    afx,
    vfx,
)
from PIL import Image

from ..core.encoding import (
    AUDIO_BITRATE,
    COLOUR,
    CRF,
    OVERSCAN,
    SAMPLE_RATE,
    TRUE_PEAK_DB,
    video_bitrate_kbps,
)
from ..core.errors import RenderFailed
from ..core.ffmpeg import atomic_output
from ..core.types import FrameSize
from .base import ProgressCallback, RenderResult, Timeline
from .caption_pictures import CaptionPicture, caption_pictures, watermark_picture
from .ffmpeg_engine import PAN_ZOOM, ZOOM, check_media

# MoviePy pipes RGB frames; they are converted as the FFmpeg engine converts its pictures (COLOUR:
# BT.709, limited range) and tagged, so both engines' files decode to the same colours. MoviePy
# appends its own "-pix_fmt yuva420p", which libx264 cannot take: FFmpeg falls back to yuv420p.
COLOUR_TAGS = [
    "-colorspace",
    "bt709",
    "-color_primaries",
    "bt709",
    "-color_trc",
    "bt709",
    "-color_range",
    "tv",
]
# Ducking as the FFmpeg mix does it: about 10 dB down while someone speaks, 15 ms to duck,
# 350 ms to recover.
DUCK_DB = 10.0
DUCK_ATTACK_S = 0.015
DUCK_RELEASE_S = 0.35
MUSIC_FADE_S = 2.0
# Back from 10 dB of limiting in 50 ms, about as fast as FFmpeg's alimiter lets go: a click
# should not hold the words after it down.
LIMITER_RELEASE_DB_PER_S = 200.0
# MoviePy's own audio writer reads in chunks this small; larger ones hit a bug in its file reader
# (2.2.1) with files shorter than twice the chunk.
AUDIO_CHUNK = 2000


class MoviePyEngine:
    name = "moviepy"

    def render(
        self, timeline: Timeline, out_path: Path, *, on_progress: ProgressCallback | None = None
    ) -> RenderResult:
        report = on_progress or (lambda fraction, message: None)
        check_media(timeline)
        sources: list = []  # clips reading files through FFmpeg processes, closed at the end
        try:
            report(0.0, "Mixing the soundtrack")
            with _failure_as("Mixing the soundtrack failed."):
                soundtrack = _soundtrack(timeline, sources)
            with _failure_as("Rendering the video failed."):
                video = _composition(timeline, sources).with_audio(soundtrack)
                _write(video, timeline, out_path, _ProgressLogger(report))
        finally:
            for clip in sources:
                clip.close()
        report(1.0, "Done")
        return RenderResult(
            path=out_path,
            duration_s=timeline.duration_s,
            frames=timeline.total_frames,
            pieces_rendered=1,
            pieces_reused=0,
            cues=tuple(timeline.caption_cues()),
        )


@contextlib.contextmanager
def _failure_as(message: str):
    # MoviePy reports unreadable inputs and FFmpeg failures as OSError, with FFmpeg's own words.
    try:
        yield
    except OSError as error:
        raise RenderFailed(message, detail=str(error)) from error


def _write(video: VideoClip, timeline: Timeline, out_path: Path, logger) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="render-moviepy-") as work,
        atomic_output(out_path) as partial,
    ):
        video.write_videofile(
            str(partial),
            fps=timeline.fps,
            codec="libx264",
            preset=timeline.x264_preset,
            audio_codec="aac",
            audio_fps=SAMPLE_RATE,
            audio_bitrate=AUDIO_BITRATE,
            temp_audiofile=str(Path(work) / "soundtrack.m4a"),
            ffmpeg_params=_encoder_params(timeline),
            logger=logger,
        )


def _encoder_params(timeline: Timeline) -> list[str]:
    """The FFmpeg engine's quality settings (H.264 High, capped CRF, BT.709) for MoviePy's
    encoder, which already sets the codec and preset, and a file that starts playing at once."""
    kbps = video_bitrate_kbps(timeline.frame, timeline.fps)
    return [
        "-vf",
        COLOUR,
        "-pix_fmt",
        "yuv420p",
        "-profile:v",
        "high",
        "-crf",
        str(CRF),
        "-maxrate",
        f"{kbps}k",
        "-bufsize",
        f"{kbps * 2}k",
        *COLOUR_TAGS,
        "-movflags",
        "+faststart",
    ]


class _ProgressLogger(proglog.ProgressBarLogger):
    """MoviePy's progress bars as on_progress fractions: "chunk" while it encodes the soundtrack,
    "frame_index" while it draws the frames (most of the time)."""

    STAGES = {
        "chunk": (0.05, 0.1, "Encoding the soundtrack"),
        "frame_index": (0.1, 0.99, "Rendering frames"),
    }

    def __init__(self, report: ProgressCallback):
        super().__init__(min_time_interval=0.5)
        self.report = report

    def bars_callback(self, bar, attr, value, old_value=None):
        total = self.bars[bar].get("total")
        if attr != "index" or bar not in self.STAGES or not total:
            return
        start, end, message = self.STAGES[bar]
        self.report(start + (end - start) * min(1.0, value / total), message)


# --- Pictures -------------------------------------------------------------------------------------


def _composition(timeline: Timeline, sources: list) -> VideoClip:
    frame = timeline.frame
    pictures = caption_pictures(
        timeline.caption_words(),
        caption_style=timeline.caption_style,
        style=timeline.style,
        frame=frame,
    )
    if timeline.watermark and timeline.watermark.strip():
        pictures.append(
            watermark_picture(timeline.watermark, frame=frame, duration_s=timeline.duration_s)
        )
    layers = [*_scene_clips(timeline, sources), *map(_overlay, pictures)]
    video = CompositeVideoClip(layers, size=(frame.width, frame.height), bg_color=(0, 0, 0))
    # MoviePy draws int(duration * fps) frames, and a product like 29 / 25 * 25 falls just short
    # of 29: half a frame more keeps the count exact.
    return video.with_duration((timeline.total_frames + 0.5) / timeline.fps)


def _overlay(picture: CaptionPicture) -> ImageClip:
    clip = ImageClip(np.asarray(picture.image), duration=picture.end_s - picture.start_s)
    return clip.with_start(picture.start_s).with_position((picture.x, picture.y))


def _scene_clips(timeline: Timeline, sources: list) -> list[VideoClip]:
    """One clip per scene on the video's clock. Each runs half a fade into its neighbours (as in
    base.frame_plan), and each but the first cross-fades in over the one before."""
    half = timeline.transition_frames // 2
    fps = timeline.fps
    frame_counts = timeline.scene_frames()
    clips, start = [], 0
    for index, frames in enumerate(frame_counts):
        lead = half if index > 0 else 0
        tail = half if index < len(frame_counts) - 1 else 0
        if timeline.scenes[index].media.kind == "video":
            clip = _clip_scene(timeline, index, lead, lead + frames + tail, sources)
        else:
            clip = _still_scene(timeline, index, lead, lead + frames + tail)
        if lead:
            clip = clip.with_effects([vfx.CrossFadeIn(2 * half / fps)])
        clips.append(clip.with_start((start - lead) / fps))
        start += frames
    return clips


def _still_scene(timeline: Timeline, index: int, lead: int, span: int) -> VideoClip:
    """A picture moving as the FFmpeg engine's zoompan moves it: the same crop of the same
    over-scanned picture at every frame, with the motion held at its ends outside the scene."""
    scene = timeline.scenes[index]
    frame, fps = timeline.frame, timeline.fps
    size = (frame.width, frame.height)
    with Image.open(scene.media.path) as picture:
        overscan = FrameSize(_even(frame.width * OVERSCAN), _even(frame.height * OVERSCAN))
        prepared = _cover(picture.convert("RGB"), overscan, scene.focus)
    motion = timeline.motion_of(index)
    if motion == "none":
        return ImageClip(
            np.asarray(prepared.resize(size, Image.Resampling.BILINEAR)), duration=span / fps
        )
    last_frame = max(1, timeline.scene_frames()[index] - 1)

    def draw(t):
        progress = min(1.0, max(0.0, (round(t * fps) - lead) / last_frame))
        box = _motion_box(motion, progress, prepared.size, scene.focus)
        return np.asarray(prepared.resize(size, Image.Resampling.BILINEAR, box=box))

    return VideoClip(draw, duration=span / fps)


def _motion_box(motion: str, progress: float, size: tuple[int, int], focus) -> tuple[float, ...]:
    """The part of the prepared picture in view: ffmpeg_engine._motion_expressions as a box."""
    width, height = size
    if motion == "zoom_in":
        zoom = 1 + ZOOM * progress
    elif motion == "zoom_out":
        zoom = 1 + ZOOM - ZOOM * progress
    elif motion in ("pan_left", "pan_right"):
        zoom = PAN_ZOOM
    else:
        zoom = 1.0
    # Clamped, as Pillow refuses a box even a rounding error outside the picture.
    view_w, view_h = width / max(1.0, zoom), height / max(1.0, zoom)
    x = max(0.0, min(width * focus[0] - view_w / 2, width - view_w))
    y = max(0.0, min(height * focus[1] - view_h / 2, height - view_h))
    if motion == "pan_right":
        x = (width - view_w) * progress
    elif motion == "pan_left":
        x = (width - view_w) * (1 - progress)
    return x, y, min(width, x + view_w), min(height, y + view_h)


def _clip_scene(timeline: Timeline, index: int, lead: int, span: int, sources: list) -> VideoClip:
    """A clip cropped to fill, holding its first frame while it fades in, then playing on (and
    looping when short) until its fade out ends."""
    scene = timeline.scenes[index]
    frame, fps = timeline.frame, timeline.fps
    scaled_w, scaled_h, x, y = _cover_geometry(
        scene.media.width, scene.media.height, frame, scene.focus
    )
    # FFmpeg scales while decoding, the cheapest place for it.
    source = VideoFileClip(
        str(scene.media.path), audio=False, target_resolution=(scaled_w, scaled_h)
    )
    sources.append(source)
    playing_s = (span - lead) / fps
    if source.duration < playing_s:
        clip = source.with_effects([vfx.Loop(duration=playing_s)])
    else:
        clip = source.subclipped(0, playing_s)
    if lead:
        clip = clip.with_effects([vfx.Freeze(t=0, freeze_duration=lead / fps)])
    cropped = clip.cropped(x1=x, y1=y, width=frame.width, height=frame.height)
    return cropped.with_duration(span / fps)


def _cover_geometry(width: int, height: int, frame: FrameSize, focus) -> tuple[int, int, int, int]:
    """Size to scale to so the picture fills `frame`, and the crop's corner keeping the focus
    point in view (ffmpeg_engine._cover's numbers)."""
    scale = max(frame.width / width, frame.height / height)
    scaled_w = max(frame.width, math.ceil(width * scale))
    scaled_h = max(frame.height, math.ceil(height * scale))
    x = round((scaled_w - frame.width) * focus[0])
    y = round((scaled_h - frame.height) * focus[1])
    return scaled_w, scaled_h, x, y


def _cover(picture: Image.Image, frame: FrameSize, focus) -> Image.Image:
    scaled_w, scaled_h, x, y = _cover_geometry(picture.width, picture.height, frame, focus)
    scaled = picture.resize((scaled_w, scaled_h), Image.Resampling.LANCZOS)
    return scaled.crop((x, y, x + frame.width, y + frame.height))


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


# --- Sound ----------------------------------------------------------------------------------------


def _soundtrack(timeline: Timeline, sources: list) -> AudioArrayClip:
    """Voices on the timeline over looped, ducked music, mixed into memory so the whole mix can be
    measured and brought to the loudness target before MoviePy encodes it."""
    samples = round(timeline.duration_s * SAMPLE_RATE)
    layers, speaking = [], []
    for placement in timeline.voice_placements():
        voice = AudioFileClip(str(placement.path), fps=SAMPLE_RATE)
        sources.append(voice)
        layers.append(voice.with_start(placement.start_s))
        speaking.append((placement.start_s, placement.start_s + voice.duration))
    if timeline.music is not None:
        music = AudioFileClip(str(timeline.music), fps=SAMPLE_RATE)
        sources.append(music)
        layers.append(_ducked_music(music, timeline, speaking))
    mix = np.zeros((samples, 2), dtype=np.float32)  # about 23 MB a minute
    if layers:
        composite = CompositeAudioClip(layers).with_duration(timeline.duration_s)
        chunks = composite.iter_chunks(chunksize=AUDIO_CHUNK, fps=SAMPLE_RATE)
        mixed = np.vstack(list(chunks))[:samples]
        mix[: len(mixed)] = mixed
    if timeline.loudness_lufs is not None:
        loudness = integrated_loudness(mix)
        # Silence (no voice, no music) stays silence rather than being amplified noise.
        if loudness is not None:
            mix = _limited(mix * 10 ** ((timeline.loudness_lufs - loudness) / 20))
    return AudioArrayClip(mix, fps=SAMPLE_RATE)


def _ducked_music(music: AudioFileClip, timeline: Timeline, speaking: list[tuple[float, float]]):
    looped = music.with_effects(
        [
            afx.AudioLoop(duration=timeline.duration_s),
            afx.MultiplyVolume(10 ** (timeline.music_gain_db / 20)),
            afx.AudioFadeOut(min(MUSIC_FADE_S, timeline.duration_s)),
        ]
    )
    times, depths = _ducking_envelope(speaking)

    def duck(get_frame, t):
        gain = 10 ** (-DUCK_DB * np.interp(t, times, depths, left=0, right=0) / 20)
        return (get_frame(t).T * gain).T  # transposed: t is one time or an array of them

    return looped.transform(duck)


def _ducking_envelope(speaking: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """Breakpoints of the ducking depth (0 = music at its level, 1 = fully ducked): down within
    DUCK_ATTACK_S of a voice starting, back up over DUCK_RELEASE_S after it stops. Voices closer
    than a recovery apart count as one, so the music does not bob between sentences."""
    merged: list[list[float]] = []
    for start, end in sorted(speaking):
        end = max(end, start + DUCK_ATTACK_S)
        if merged and start <= merged[-1][1] + DUCK_RELEASE_S + DUCK_ATTACK_S:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    times, depths = [0.0], [0.0]
    for start, end in merged:
        times += [start, start + DUCK_ATTACK_S, end, end + DUCK_RELEASE_S]
        depths += [0.0, 1.0, 1.0, 0.0]
    return times, depths


# ITU-R BS.1770-4 K-weighting at 48 kHz: a high shelf (the head's effect), then a high-pass.
K_WEIGHTING = (
    (
        (1.53512485958697, -2.69169618940638, 1.19839281085285),
        (1.0, -1.69065929318241, 0.73248077421585),
    ),
    ((1.0, -2.0, 1.0), (1.0, -1.99004745483398, 0.99007225036621)),
)
K_WEIGHTING_TAPS = 8192  # the filters' response has died away (below 1e-8) well before this


def integrated_loudness(samples: np.ndarray) -> float | None:
    """Integrated loudness (LUFS) of 48 kHz stereo samples by ITU-R BS.1770-4, as FFmpeg's
    ebur128 measures it: K-weighted 400 ms blocks overlapping by 75 %, gated at -70 LUFS and
    10 LU below the ungated mean. None for silence."""
    # Channels weigh 1 each (stereo), so their squares add up before blocking.
    squares = (_convolved(samples, _k_weighting_response()) ** 2).sum(axis=1)
    hop = SAMPLE_RATE // 10
    hops = len(squares) // hop
    if hops < 4:  # shorter than one block: measure what there is
        power = np.array([squares.mean()])
    else:
        per_hop = squares[: hops * hop].reshape(hops, hop).sum(axis=1)
        power = np.convolve(per_hop, np.ones(4), mode="valid") / (4 * hop)
    loudness = -0.691 + 10 * np.log10(np.maximum(power, 1e-20))
    above_silence = power[loudness > -70]
    if not above_silence.size:
        return None
    relative_gate = -0.691 + 10 * np.log10(above_silence.mean()) - 10
    gated = power[(loudness > -70) & (loudness > relative_gate)]
    return float(-0.691 + 10 * np.log10(gated.mean()))


@functools.cache
def _k_weighting_response() -> np.ndarray:
    """The K-weighting filters' impulse response, so they can run as one FFT convolution."""
    signal = np.zeros(K_WEIGHTING_TAPS)
    signal[0] = 1.0
    for (b0, b1, b2), (_, a1, a2) in K_WEIGHTING:
        out = np.zeros_like(signal)
        x1 = x2 = y1 = y2 = 0.0
        for n, x in enumerate(signal):
            out[n] = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
            x1, x2, y1, y2 = x, x1, out[n], y1
        signal = out
    return signal


def _convolved(samples: np.ndarray, response: np.ndarray, block: int = 1 << 16) -> np.ndarray:
    """Each channel convolved with `response`, block by block (overlap-add) to bound memory."""
    size = 1 << math.ceil(math.log2(block + len(response) - 1))
    spectrum = np.fft.rfft(response, size)[:, None]
    out = np.zeros((len(samples) + len(response) - 1, samples.shape[1]), dtype=np.float32)
    for start in range(0, len(samples), block):
        piece = samples[start : start + block]
        filtered = np.fft.irfft(np.fft.rfft(piece, size, axis=0) * spectrum, size, axis=0)
        filtered = filtered[: len(piece) + len(response) - 1]
        out[start : start + len(filtered)] += filtered
    return out[: len(samples)]


def _limited(samples: np.ndarray, block: int = 240) -> np.ndarray:
    """A peak limiter at TRUE_PEAK_DB (on samples, not oversampled): in 5 ms blocks, the gain
    each peak needs, reached one block early and released at LIMITER_RELEASE_DB_PER_S."""
    ceiling = 10 ** (TRUE_PEAK_DB / 20)
    count = len(samples)
    peaks = np.abs(samples).max(axis=1)
    padded = np.pad(peaks, (0, -count % block)).reshape(-1, block).max(axis=1)
    needed_db = np.minimum(0.0, 20 * np.log10(ceiling / np.maximum(padded, 1e-9)))
    held = needed_db.copy()
    held[:-1] = np.minimum(held[:-1], needed_db[1:])
    held[1:] = np.minimum(held[1:], needed_db[:-1])
    # Gain may rise by at most `step` dB a block: g[k] = min over j <= k of held[j] + (k - j) step.
    step = LIMITER_RELEASE_DB_PER_S * block / SAMPLE_RATE
    ramp = np.arange(len(held)) * step
    gain_db = np.minimum.accumulate(held - ramp) + ramp
    centres = np.arange(len(held)) * block + block / 2
    gain = 10 ** (np.interp(np.arange(count), centres, gain_db) / 20)
    return np.clip(samples * gain[:, None], -ceiling, ceiling)
