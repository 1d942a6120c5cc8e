"""The FFmpeg render engine: each piece of the frame plan is one FFmpeg run (stills move with a
gentle Ken Burns zoom or pan, clips are trimmed or looped and cropped to fill, captions are burned
by libass), cached under a hash of everything that shapes its frames. Pieces are MPEG-TS files
with identical encoder settings, so the final join copies them without re-encoding and muxes the
soundtrack beside them. Editing one scene re-renders its segment and the two transitions touching
it; everything else is reused.
"""

import functools
import hashlib
import json
import math
import tempfile
import threading
from dataclasses import asdict
from pathlib import Path

from django.conf import settings

from ..core.encoding import (
    COLOUR,
    MAX_PICTURE_PIXELS,
    MP4_LAYOUT,
    OVERSCAN,
    h264_args,
)
from ..core.errors import InvalidInput, RenderFailed
from ..core.ffmpeg import atomic_output, filter_path, in_parallel, probe, run_ffmpeg
from ..core.types import FrameSize
from .audio_mix import Soundtrack, render_soundtrack
from .base import (
    Layer,
    Piece,
    ProgressCallback,
    RenderResult,
    Timeline,
    frame_plan,
)
from .captions import ass_script

# Bump when the same inputs would now render different frames: old cached pieces stop matching.
ENGINE_VERSION = 2
ZOOM = 0.15
PAN_ZOOM = 1.12
# Layers (illustrations over a background) enter over this long, then float.
ENTRANCE_S = 0.6
SLIDE = 0.08  # how far a sliding layer travels, x the frame's width (or height, dropping)
POP_FROM = 0.6  # a popping layer grows from this share of its size


def _timeline_h264_args(timeline: Timeline) -> list[str]:
    return h264_args(timeline.frame, timeline.fps, timeline.x264_preset)


class FFmpegEngine:
    name = "ffmpeg"

    def __init__(self, *, cache_dir: Path | None = None, workers: int | None = None):
        self.cache_dir = Path(cache_dir or settings.RENDER_CACHE_DIR)
        self.workers = workers or settings.RENDER_WORKERS

    def render(
        self, timeline: Timeline, out_path: Path, *, on_progress: ProgressCallback | None = None
    ) -> RenderResult:
        progress = _Progress(on_progress)
        check_media(timeline)
        plan = frame_plan(timeline)
        with tempfile.TemporaryDirectory(prefix="render-") as work_dir:
            work = Path(work_dir)
            jobs = [(piece, self._prepare(timeline, piece, work)) for piece in plan]
            missing = [(piece, job) for piece, job in jobs if not job.cached_path.exists()]
            soundtrack = self._soundtrack_path(timeline)
            progress.expect(
                frames=sum(piece.frames for piece, _ in missing),
                frame_pixels=timeline.frame.width * timeline.frame.height,
                mix_s=0.0 if soundtrack.exists() else timeline.duration_s,
                join_s=timeline.duration_s,
            )
            in_parallel(
                lambda item: self._render_piece(timeline, *item, progress),
                missing,
                workers=self.workers,
            )
            # After the pieces, not beside them: one FFmpeg at a time bounds the memory a render
            # takes, and an unchanged soundtrack comes from the cache at no cost.
            progress.part_started("mix", "Mixing the soundtrack")
            if not soundtrack.exists():
                render_soundtrack(
                    _soundtrack(timeline), soundtrack, timeout_s=120 + timeline.duration_s
                )
            progress.part_started("join", "Joining the scenes")
            _join(timeline, [job.cached_path for _, job in jobs], soundtrack, out_path, work)
        progress.report(1.0, "Done")
        return RenderResult(
            path=out_path,
            duration_s=timeline.duration_s,
            frames=timeline.total_frames,
            pieces_rendered=len(missing),
            pieces_reused=len(jobs) - len(missing),
            cues=tuple(timeline.caption_cues()),
        )

    def _soundtrack_path(self, timeline: Timeline) -> Path:
        """Where the mixed soundtrack is cached: by its voices, music and levels."""
        soundtrack = _soundtrack(timeline)
        key = _digest(
            {
                "engine": ENGINE_VERSION,
                "soundtrack": asdict(soundtrack),
                "files": [_input_signature(str(voice.path)) for voice in soundtrack.voices]
                + [_input_signature(str(soundtrack.music)) if soundtrack.music else ""],
            }
        )
        return self.cache_dir / key[:2] / f"{key}.m4a"

    def _prepare(self, timeline: Timeline, piece: Piece, work: Path) -> "_Job":
        """The piece's filter graph, its captions file and its cache path (from their hash)."""
        inputs, graph = _piece_graph(timeline, piece)
        ass = ass_script(
            timeline.caption_words(),
            caption_style=timeline.caption_style,
            style=timeline.style,
            frame=timeline.frame,
            window=_window_s(timeline, piece),
            watermark=timeline.watermark,
        )
        has_events = "\nDialogue:" in ass
        key = _digest(
            {
                "engine": ENGINE_VERSION,
                "graph": graph,
                "inputs": [_input_signature(arg) for arg in inputs],
                "ass": ass if has_events else "",
                "encoder": _timeline_h264_args(timeline),
                "frames": piece.frames,
            }
        )
        ass_path = work / f"{key}.ass"
        if has_events:
            ass_path.write_text(ass, encoding="utf-8")
            graph += f",ass=filename={filter_path(ass_path)}"
        return _Job(inputs, graph + "[out]", self.cache_dir / key[:2] / f"{key}.ts")

    def _render_piece(self, timeline: Timeline, piece: Piece, job: "_Job", progress) -> None:
        duration_s = piece.frames / timeline.fps
        with atomic_output(job.cached_path) as partial:
            run_ffmpeg(
                [
                    *job.inputs,
                    "-filter_complex",
                    job.graph,
                    "-map",
                    "[out]",
                    *_timeline_h264_args(timeline),
                    "-an",
                    "-frames:v",
                    str(piece.frames),
                    "-f",
                    "mpegts",
                    str(partial),
                ],
                description=_describe(piece),
                timeout_s=60 + duration_s * 20,
                duration_s=duration_s,
                on_progress=lambda fraction: progress.piece(piece, fraction),
            )
        progress.piece(piece, 1.0)


def _window_s(timeline: Timeline, piece: Piece) -> tuple[float, float]:
    return piece.start_frame / timeline.fps, (piece.start_frame + piece.frames) / timeline.fps


def check_media(timeline: Timeline) -> None:
    """Fail fast, naming the scene, on a picture, clip or voice that cannot be used."""
    for index, scene in enumerate(timeline.scenes, start=1):
        what = "clip" if scene.media.kind == "video" else "picture"
        info = _probe_for_scene(scene.media.path, index, what, decode=True)
        if not info.has_video:
            raise InvalidInput(f"Scene {index}: its {what} has no picture in it.")
        if info.width * info.height > MAX_PICTURE_PIXELS:
            raise InvalidInput(
                f"Scene {index}: its {what} is {info.width}×{info.height} pixels; up to "
                f"{MAX_PICTURE_PIXELS // 1_000_000} megapixels are accepted. Use a smaller one."
            )
        if scene.speech is not None:
            voice = _probe_for_scene(scene.speech.path, index, "voiceover")
            if not voice.has_audio or voice.duration_s <= 0:
                raise InvalidInput(
                    f"Scene {index}: its voiceover is empty. Generate the voice again."
                )


def _probe_for_scene(path: Path, index: int, what: str, *, decode: bool = False):
    try:
        return probe(path, decode=decode)
    except InvalidInput as error:
        raise InvalidInput(
            f"Scene {index}: its {what} cannot be read. Replace it and render again.",
            detail=error.detail,
        ) from error


def _describe(piece: Piece) -> str:
    if piece.kind == "segment":
        return f"Rendering scene {piece.scene + 1}"
    return f"Rendering the transition between scenes {piece.scene + 1} and {piece.scene + 2}"


class _Job:
    def __init__(self, inputs: list[str], graph: str, cached_path: Path):
        self.inputs, self.graph, self.cached_path = inputs, graph, cached_path


def _piece_graph(timeline: Timeline, piece: Piece) -> tuple[list[str], str]:
    """FFmpeg inputs and a filter graph (without output label) drawing the piece's frames."""
    if piece.kind == "segment":
        return _scene_frames(timeline, piece.scene, piece.start_frame, piece.frames, 0)
    first_inputs, first = _scene_frames(timeline, piece.scene, piece.start_frame, piece.frames, 0)
    second_inputs, second = _scene_frames(
        timeline, piece.scene + 1, piece.start_frame, piece.frames, first_inputs.count("-i")
    )
    duration = piece.frames / timeline.fps
    transition = "fade" if timeline.transition == "none" else timeline.transition
    graph = (
        f"{first}[a];{second}[b];"
        f"[a][b]xfade=transition={transition}:duration={duration:.6f}:offset=0"
    )
    return first_inputs + second_inputs, graph


def _scene_frames(timeline: Timeline, index: int, start_frame: int, frames: int, input_index: int):
    """Frames [start_frame, start_frame + frames) of scene `index`'s picture, on the video's
    clock, as BT.709 4:2:0; outside its own time the scene continues (stills keep moving, clips
    keep playing). A picture with layers is its plate, moving, with each layer overlaid."""
    scene = timeline.scenes[index]
    scene_start = sum(timeline.scene_frames()[:index])
    offset = start_frame - scene_start  # frames into the scene; negative during a fade-in
    width, height, fps = timeline.frame.width, timeline.frame.height, timeline.fps
    media = scene.media
    if media.kind == "video":
        return _clip_frames(timeline, index, offset, frames, input_index)
    prepared = FrameSize(_even(width * OVERSCAN), _even(height * OVERSCAN))
    cover = _cover(media.width, media.height, prepared, scene.focus)
    zoom, x, y = _motion_expressions(
        timeline.motion_of(index), offset, timeline.scene_frames()[index], scene.focus
    )
    chain = (
        f"[{input_index}:v]{cover},{COLOUR},"
        f"zoompan=z='{zoom}':x='{x}':y='{y}':d={frames}:s={width}x{height}:fps={fps},"
        f"setsar=1,setpts=PTS-STARTPTS"
    )
    if scene.plate is None:
        return ["-i", str(media.path)], chain
    inputs = ["-i", str(scene.plate)]
    for number, layer in enumerate(scene.layers, start=1):
        label = f"s{input_index}l{number}"
        chain += f"[{label}b];" + _layer_chain(layer, input_index + number, offset, timeline)
        chain += f"[{label}];[{label}b][{label}]" + _layer_overlay(layer, offset, timeline)
        inputs += ["-i", str(layer.path)]
    return inputs, chain


def _layer_chain(layer: Layer, input_index: int, offset: int, timeline: Timeline) -> str:
    """A layer as a stream of frames on the scene's clock: scaled once to its size in the frame,
    repeated, faded in by its alpha (and grown, for "pop") as it enters."""
    width, height, fps = timeline.frame.width, timeline.frame.height, timeline.fps
    layer_w, layer_h = _even(layer.box[2] * width), _even(layer.box[3] * height)
    chain = (
        f"[{input_index}:v]scale={layer_w}:{layer_h}:flags=lanczos,format=rgba,"
        "scale=out_color_matrix=bt709:out_range=tv,format=yuva420p,"
        # Timestamps in scene time while the entrance is computed, from 0 for the overlay.
        f"loop=loop=-1:size=1,setpts=(N+{offset})/{fps}/TB,"
        f"fade=t=in:st={layer.delay_s:.3f}:d={ENTRANCE_S * 0.8:.3f}:alpha=1"
    )
    if layer.entrance == "pop":
        grow = f"({POP_FROM}+{1 - POP_FROM}*{_eased('t', layer.delay_s)})"
        chain += f",scale=w='max(2,trunc({layer_w}*{grow}/2)*2)':h=-2:eval=frame"
    return chain + ",setpts=PTS-STARTPTS"


def _layer_overlay(layer: Layer, offset: int, timeline: Timeline) -> str:
    """Overlay x and y over the piece's time `t`: the resting place, the way in, the float."""
    width, height = timeline.frame.width, timeline.frame.height
    scene_t = f"(t+{offset / timeline.fps:.6f})"
    still = f"(1-{_eased(scene_t, layer.delay_s)})"  # 1 before the entrance, 0 after it
    left, top, layer_w, layer_h = layer.box
    # Centred on its resting box, so a popping layer grows from its middle.
    x = f"{(left + layer_w / 2) * width:.2f}-w/2"
    y = f"{(top + layer_h / 2) * height:.2f}-h/2"
    if layer.entrance in ("slide_left", "slide_right"):
        x += f"{'-' if layer.entrance == 'slide_left' else '+'}{SLIDE * width:.1f}*{still}"
    elif layer.entrance == "drop":
        y += f"-{SLIDE * height:.1f}*{still}"
    if layer.float_amplitude:
        y += (
            f"+{layer.float_amplitude * height:.2f}"
            f"*sin(2*PI*{scene_t}/{layer.float_period_s:.3f}+{layer.phase:.3f})"
        )
    return f"overlay=x='{x}':y='{y}':format=yuv420:shortest=1"


def _eased(t: str, delay_s: float) -> str:
    """Entrance progress at time `t`: 0 until `delay_s`, easing out to 1 after ENTRANCE_S."""
    return f"(1-pow(1-clip(({t}-{delay_s:.3f})/{ENTRANCE_S},0,1),3))"


def _clip_frames(timeline: Timeline, index: int, offset: int, frames: int, input_index: int):
    scene = timeline.scenes[index]
    media = scene.media
    fps = timeline.fps
    start_s = max(0, offset) / fps
    needed_s = start_s + frames / fps
    loop = ["-stream_loop", "-1"] if media.duration_s and media.duration_s < needed_s else []
    if media.duration_s and start_s >= media.duration_s:
        start_s %= media.duration_s  # looping clips carry on from the right place
    hold = f",tpad=start={-offset}:start_mode=clone" if offset < 0 else ""
    cover = _cover(media.width, media.height, timeline.frame, scene.focus)
    chain = (
        f"[{input_index}:v]fps={fps},{cover},{COLOUR},setsar=1{hold},"
        f"trim=end_frame={frames},setpts=PTS-STARTPTS"
    )
    return [*loop, "-ss", f"{start_s:.3f}", "-i", str(media.path)], chain


def _cover(width: int, height: int, frame: FrameSize, focus: tuple[float, float]) -> str:
    """Scale to fill `frame`, then crop it, keeping the focus point in view; nothing to do for a
    picture already made at that size (generated pictures are)."""
    if (width, height) == (frame.width, frame.height):
        return "null"
    scale = max(frame.width / width, frame.height / height)
    scaled_w, scaled_h = (
        max(frame.width, math.ceil(width * scale)),
        max(frame.height, math.ceil(height * scale)),
    )
    x = round((scaled_w - frame.width) * focus[0])
    y = round((scaled_h - frame.height) * focus[1])
    return f"scale={scaled_w}:{scaled_h}:flags=lanczos,crop={frame.width}:{frame.height}:{x}:{y}"


def _motion_expressions(motion: str, offset: int, scene_frames: int, focus) -> tuple[str, ...]:
    """zoompan z, x, y as functions of the output frame number `on` (continuous across pieces)."""
    progress = f"clip((on+{offset})/{max(1, scene_frames - 1)},0,1)"
    fx, fy = focus
    centred_x = f"clip(iw*{fx:.4f}-iw/zoom/2,0,iw-iw/zoom)"
    centred_y = f"clip(ih*{fy:.4f}-ih/zoom/2,0,ih-ih/zoom)"
    if motion == "zoom_in":
        return f"1+{ZOOM}*{progress}", centred_x, centred_y
    if motion == "zoom_out":
        return f"{1 + ZOOM}-{ZOOM}*{progress}", centred_x, centred_y
    if motion == "pan_right":
        return str(PAN_ZOOM), f"(iw-iw/zoom)*{progress}", centred_y
    if motion == "pan_left":
        return str(PAN_ZOOM), f"(iw-iw/zoom)*(1-{progress})", centred_y
    return "1", "0", "0"


def _soundtrack(timeline: Timeline) -> Soundtrack:
    return Soundtrack(
        voices=tuple(timeline.voice_placements()),
        duration_s=timeline.duration_s,
        music=timeline.music,
        music_gain_db=timeline.music_gain_db,
        loudness_lufs=timeline.loudness_lufs,
    )


def _join(timeline: Timeline, pieces: list[Path], audio: Path, out_path: Path, work: Path):
    listing = work / "pieces.txt"
    listing.write_text(
        "".join("file '" + str(path).replace("'", "'\\''") + "'\n" for path in pieces)
    )
    with atomic_output(out_path) as partial:
        run_ffmpeg(
            [
                "-f",
                "concat",
                "-safe",
                "0",
                "-i",
                str(listing),
                "-i",
                str(audio),
                "-map",
                "0:v:0",
                "-map",
                "1:a:0",
                "-c",
                "copy",
                *MP4_LAYOUT,
                "-t",
                f"{timeline.duration_s:.6f}",
                str(partial),
            ],
            description="Joining the scenes",
            timeout_s=60 + timeline.duration_s,
        )
    if not out_path.exists() or out_path.stat().st_size == 0:
        raise RenderFailed("Joining the scenes produced no video.")


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _digest(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _input_signature(arg: str) -> str:
    """Input file paths stand for their content, so a replaced picture changes the key."""
    path = Path(arg)
    if path.is_absolute() and path.is_file():
        stat = path.stat()
        return _file_digest(str(path), stat.st_size, stat.st_mtime_ns)
    return arg


@functools.lru_cache(maxsize=1024)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# What each part of a render costs, in seconds of this machine's time, so the render's progress
# moves evenly in time and the time left read from its pace holds (services/progress.py): the
# pieces' encoding per million pixels of frames, the soundtrack's mixing (two to five passes
# over the audio) and the join (a copy) per second of video. Measured on a 56 s, 720x1280 video
# on the two-core machine: 29.5 s of encoding, 4.4 s of mixing, 0.3 s of joining.
ENCODE_S_PER_MEGAPIXEL = 0.019
MIX_S_PER_S = 0.08
JOIN_S_PER_S = 0.006


class _Progress:
    """Thread-safe progress of a render: the pieces still to encode, then the soundtrack when it
    must be mixed, then the join, each its share of the expected time."""

    def __init__(self, callback: ProgressCallback | None):
        self.callback = callback
        self.total_frames = 0
        self.shares = {"encode": 1.0, "mix": 0.0, "join": 0.0}
        self.done: dict[Piece, float] = {}
        self.lock = threading.Lock()

    def expect(self, *, frames: int, frame_pixels: int, mix_s: float, join_s: float) -> None:
        self.total_frames = frames
        costs = {
            "encode": frames * frame_pixels / 1e6 * ENCODE_S_PER_MEGAPIXEL,
            "mix": mix_s * MIX_S_PER_S,
            "join": join_s * JOIN_S_PER_S,
        }
        total = sum(costs.values()) or 1.0
        self.shares = {part: cost / total for part, cost in costs.items()}
        self.report(0.0, "Rendering scenes")

    def piece(self, piece: Piece, fraction: float) -> None:
        if not self.total_frames:
            return
        with self.lock:
            self.done[piece] = piece.frames * fraction
            rendered = sum(self.done.values())
        self.report(self.shares["encode"] * rendered / self.total_frames, "Rendering scenes")

    def part_started(self, part: str, message: str) -> None:
        """The parts after the encoding: where `part` starts, all before it done."""
        before = list(self.shares)[: list(self.shares).index(part)]
        self.report(sum(self.shares[name] for name in before), message)

    def report(self, fraction: float, message: str) -> None:
        if self.callback:
            self.callback(min(1.0, fraction), message)
