"""The timeline the render engines read (the seeds' VideoEditor's model), its frame plan, the
engine protocol and the lazy table of engines (settings AI_PROVIDERS["render"]).

A timeline is a list of scenes, each a picture or clip shown for a whole number of frames with an
optional voiceover. Consecutive scenes cross-fade without shortening the video: the fade straddles
the boundary. The frame plan cuts the video into per-scene *segments* and short *transitions*
between them, so that each piece can be rendered (and cached) on its own and the pieces joined
without re-encoding. Engines: "ffmpeg" (ffmpeg_engine, the default) and "moviepy" (the reference).
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from ..core.cues import CaptionStyle, Cue, build_cues
from ..core.errors import InvalidInput
from ..core.registry import ProviderRegistry
from ..core.styles import Style
from ..core.types import FrameSize, MediaItem, Speech, WordTiming
from .audio_mix import VoicePlacement

Motion = Literal["zoom_in", "zoom_out", "pan_left", "pan_right", "none"]
Entrance = Literal["pop", "slide_left", "slide_right", "drop", "fade"]
MOTION_CYCLE: tuple[Motion, ...] = ("zoom_in", "pan_right", "zoom_out", "pan_left")
TRANSITIONS = ("fade", "fadeblack", "slideleft", "slideup", "circleopen", "dissolve", "none")

ProgressCallback = Callable[[float, str], None]


@dataclass(frozen=True)
class Layer:
    """A transparent picture moving over a scene's background (an illustration, a headline): it
    enters after `delay_s`, then floats up and down. Made by media.illustrated, read from the
    picture's `extra["layers"]`."""

    path: Path
    box: tuple[float, float, float, float]  # left, top, width, height at rest: x the frame
    entrance: Entrance = "fade"
    delay_s: float = 0.0
    float_amplitude: float = 0.0  # x the frame's height
    float_period_s: float = 4.0
    phase: float = 0.0  # radians

    @classmethod
    def from_spec(cls, spec: dict) -> "Layer":
        return cls(
            path=Path(spec["path"]),
            box=tuple(spec["box"]),
            entrance=spec.get("entrance", "fade"),
            delay_s=spec.get("delay_s", 0.0),
            float_amplitude=spec.get("float_amplitude", 0.0),
            float_period_s=spec.get("float_period_s", 4.0),
            phase=spec.get("phase", 0.0),
        )


@dataclass(frozen=True)
class TimelineScene:
    media: MediaItem
    duration_s: float
    speech: Speech | None = None
    speech_offset_s: float = 0.3  # the voice starts a breath after the picture
    motion: Motion | None = None  # None: chosen by position, so neighbours move differently
    focus: tuple[float, float] = (0.5, 0.5)  # where to keep the frame when cropping (0..1)

    @property
    def plate(self) -> Path | None:
        """The background the layers move over; None when the picture is shown as a whole
        (no layers, or a file of them is missing: the finished still is then shown instead)."""
        plate = self.media.extra.get("plate")
        if self.media.kind != "image" or not plate or not self.media.extra.get("layers"):
            return None
        files = [Path(plate), *(layer.path for layer in self._layers())]
        return Path(plate) if all(path.is_file() for path in files) else None

    @property
    def layers(self) -> tuple[Layer, ...]:
        return self._layers() if self.plate else ()

    def _layers(self) -> tuple[Layer, ...]:
        return tuple(Layer.from_spec(spec) for spec in self.media.extra.get("layers", ()))


@dataclass(frozen=True)
class Timeline:
    frame: FrameSize
    fps: int
    scenes: tuple[TimelineScene, ...]
    style: Style
    caption_style: CaptionStyle = "lower_third"
    transition: str = "fade"
    transition_s: float = 0.5
    music: Path | None = None
    music_gain_db: float = -18.0  # the template's music level (audio_mix.music_under_voice_lu)
    watermark: str | None = None
    loudness_lufs: (
        float | None
    ) = -14.0  # integrated loudness target; None leaves levels as they are
    x264_preset: str = "superfast"  # callers pass settings.RENDER_X264_PRESET

    def __post_init__(self):
        if not self.scenes:
            raise InvalidInput("There is nothing to render: the video has no scenes.")
        if self.transition not in TRANSITIONS:
            raise InvalidInput(f"Unknown transition {self.transition!r}.")
        for index, scene in enumerate(self.scenes, start=1):
            if scene.duration_s < self.min_scene_s:
                raise InvalidInput(
                    f"Scene {index} lasts {scene.duration_s:.2f} s; scenes need at least "
                    f"{self.min_scene_s:.1f} s."
                )

    @property
    def min_scene_s(self) -> float:
        return shortest_scene_s(self.transition_s)

    @property
    def transition_frames(self) -> int:
        """Even, so the fade splits evenly around the boundary; 0 when there is no transition."""
        if self.transition == "none" or len(self.scenes) < 2:
            return 0
        return max(2, round(self.transition_s * self.fps / 2) * 2)

    def scene_frames(self) -> list[int]:
        return [round(scene.duration_s * self.fps) for scene in self.scenes]

    def scene_starts_s(self) -> list[float]:
        starts, frame = [], 0
        for frames in self.scene_frames():
            starts.append(frame / self.fps)
            frame += frames
        return starts

    @property
    def total_frames(self) -> int:
        return sum(self.scene_frames())

    @property
    def duration_s(self) -> float:
        return self.total_frames / self.fps

    def motion_of(self, index: int) -> Motion:
        scene = self.scenes[index]
        if scene.motion:
            return scene.motion
        return "none" if scene.media.kind == "video" else MOTION_CYCLE[index % len(MOTION_CYCLE)]

    def caption_words(self) -> list[WordTiming]:
        """Every spoken word on the video's own clock."""
        words = []
        for start_s, scene in zip(self.scene_starts_s(), self.scenes, strict=True):
            if scene.speech is None:
                continue
            offset = start_s + scene.speech_offset_s
            words.extend(
                WordTiming(word.text, offset + word.start_s, offset + word.end_s)
                for word in scene.speech.words
            )
        return words

    def voice_placements(self) -> list[VoicePlacement]:
        """Each voiceover and when, on the video's clock, it starts."""
        return [
            VoicePlacement(
                scene.speech.path, start_s + scene.speech_offset_s, scene.speech.duration_s
            )
            for start_s, scene in zip(self.scene_starts_s(), self.scenes, strict=True)
            if scene.speech is not None and scene.speech.duration_s > 0
        ]

    def caption_cues(self) -> list[Cue]:
        return build_cues(self.caption_words())


def shortest_scene_s(transition_s: float) -> float:
    """A scene must hold its two half cross-fades, and a second at the least."""
    return max(1.0, transition_s * 2)


@dataclass(frozen=True)
class Piece:
    """A run of frames rendered as one file: part of one scene, or a transition between two."""

    kind: Literal["segment", "transition"]
    scene: int  # the scene, or the first of the two scenes of a transition
    start_frame: int  # on the video's clock
    frames: int


def frame_plan(timeline: Timeline) -> list[Piece]:
    """Segments and transitions covering every frame exactly once, in order."""
    half = timeline.transition_frames // 2
    pieces: list[Piece] = []
    boundary = 0
    frame_counts = timeline.scene_frames()
    last = len(frame_counts) - 1
    for index, frames in enumerate(frame_counts):
        start = boundary + (half if index > 0 else 0)
        end = boundary + frames - (half if index < last else 0)
        if end > start:
            pieces.append(Piece("segment", index, start, end - start))
        boundary += frames
        if index < last and half:
            pieces.append(Piece("transition", index, boundary - half, 2 * half))
    return pieces


@dataclass(frozen=True)
class RenderResult:
    path: Path
    duration_s: float
    frames: int
    pieces_rendered: int
    pieces_reused: int
    cues: tuple[Cue, ...]


class RenderEngine(Protocol):
    name: str

    def render(
        self, timeline: Timeline, out_path: Path, *, on_progress: ProgressCallback | None = None
    ) -> RenderResult: ...


render_engines = ProviderRegistry[RenderEngine](
    "render",
    default="ffmpeg",
    providers={
        "ffmpeg": "video_app.engine.render.ffmpeg_engine.FFmpegEngine",
        "moviepy": "video_app.engine.render.moviepy_engine.MoviePyEngine",
    },
)
