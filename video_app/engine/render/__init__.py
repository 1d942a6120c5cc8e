"""The render stage (the seeds' VideoEditor): a timeline in, one video file out, by the engine the
settings name (AI_PROVIDERS["render"]: "ffmpeg", the default, or "moviepy"); plus the pacing rules
each platform family's timeline is built with. The timeline model and the engines' table live in
`base`; each engine in its own module, imported on first use.
"""

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from ..core.types import FrameSize, MediaItem
from .base import (
    MOTION_CYCLE,
    TRANSITIONS,
    Layer,
    Motion,
    Piece,
    ProgressCallback,
    RenderEngine,
    RenderResult,
    Timeline,
    TimelineScene,
    frame_plan,
    render_engines,
    shortest_scene_s,
)

__all__ = [
    "LONG_FORM",
    "MOTION_CYCLE",
    "SHORT_FORM",
    "TRANSITIONS",
    "Layer",
    "Motion",
    "Pacing",
    "Piece",
    "ProgressCallback",
    "RenderEngine",
    "RenderResult",
    "Timeline",
    "TimelineScene",
    "frame_plan",
    "headline_opening",
    "pacing_for",
    "render_engines",
    "render_timeline",
    "shortest_scene_s",
]


def render_timeline(
    timeline: Timeline,
    out_path: Path,
    *,
    engine: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> RenderResult:
    # The table imports only the engine used: MoviePy is slow to load.
    return render_engines.get(engine).render(timeline, out_path, on_progress=on_progress)


# --- Pacing: how soon the words start, how long the pauses last, per platform family ------------


@dataclass(frozen=True)
class Pacing:
    """The one rule for a platform family's pace; templates set the pace within it.

    Short-form feeds (Shorts, Reels, TikTok, Instagram's feed) are swiped past in a second or
    two: the hook must be spoken at once, so the title goes over the first scene instead of a
    silent card before it, and the pauses the template adds between scenes are capped (with a
    synthetic voice's own lead-in and tail, about a quarter of a second between sentences).
    """

    title: Literal["card", "headline"]  # a card before the first scene, or over its start
    title_s: float  # the card's length at most, or how long the headline stays
    max_lead_s: float | None  # silence before a scene's voice, at most (None: the template's)
    max_tail_s: float | None  # and after it
    scene_floors: bool  # whether the template's least scene lengths hold (they add silence)

    def lead_s(self, template_lead_s: float) -> float:
        return _capped(template_lead_s, self.max_lead_s)

    def tail_s(self, template_tail_s: float) -> float:
        return _capped(template_tail_s, self.max_tail_s)

    def scene_s(
        self, *, spoken_s: float, lead_s: float, tail_s: float, floor_s: float, shortest_s: float
    ) -> float:
        """A narrated scene's length: its voice with the pauses, never below its floor (the
        template's when it holds, else the shortest a scene can be)."""
        paced = self.lead_s(lead_s) + spoken_s + self.tail_s(tail_s)
        return max(floor_s if self.scene_floors else shortest_s, paced)


def _capped(value: float, cap: float | None) -> float:
    return value if cap is None else min(value, cap)


# Short form: the first word 0.05 s in. The headline stays 1.8 s, long enough to read a short
# title, and goes before the hook's first sentence usually ends.
SHORT_FORM = Pacing(
    title="headline", title_s=1.8, max_lead_s=0.05, max_tail_s=0.05, scene_floors=False
)
# Long form (16:9, YouTube): viewers arrive from a title they chose to click, often on a larger
# screen, so a card may name the video, but for a second at most: every second before the first
# word loses viewers there too. The template's own pauses hold.
LONG_FORM = Pacing(title="card", title_s=1.0, max_lead_s=None, max_tail_s=None, scene_floors=True)


def pacing_for(frame: FrameSize) -> Pacing:
    """Landscape is long form; vertical, 4:5 and square videos play in short-form feeds."""
    return LONG_FORM if frame.width > frame.height else SHORT_FORM


def headline_opening(
    first: TimelineScene, headline: MediaItem, *, pacing: Pacing, min_scene_s: float
) -> list[TimelineScene]:
    """The first scene with the title over its start: the headline picture for `title_s`,
    already speaking, then the scene's own picture for the rest of its voice. A scene too short
    to cut keeps the headline throughout."""
    rest_s = first.duration_s - pacing.title_s
    if rest_s < min_scene_s:
        return [replace(first, media=headline)]
    # The voice belongs to the headline's piece and runs on into the picture: audio and
    # captions are placed on the video's clock, not cut at scene boundaries.
    return [
        replace(first, media=headline, duration_s=pacing.title_s, motion="none"),
        replace(first, duration_s=rest_s, speech=None),
    ]
