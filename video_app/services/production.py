"""Making a whole video from a topic or a script, without the web.

The `make_video` command calls `produce_video`; the Celery pipeline runs the same steps one task
at a time. Steps: script -> scenes -> voice -> media -> render -> export. One master is rendered
per aspect ratio among the target platforms (captions, composition and generated pictures depend
on it); each platform's file is then conformed from the master of its aspect.
"""

import hashlib
import itertools
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.text import slugify

from video_app.ai_services import conversation, tts
from video_app.ai_services.errors import InvalidInput
from video_app.ai_services.media import MediaRequest, find_media, render_card
from video_app.ai_services.platform_export import (
    ExportResult,
    PlatformSpec,
    check_length,
    export_for_platforms,
    get_platform,
)
from video_app.ai_services.script_processing import ProcessedScene, process_script
from video_app.ai_services.styles import Style, get_style
from video_app.ai_services.text_generation import ScriptRequest, write_script
from video_app.ai_services.types import FrameSize, MediaItem, Speech
from video_app.ai_services.video_editing import (
    RenderResult,
    Timeline,
    TimelineScene,
    render_timeline,
)

STEPS = ("script", "scenes", "voice", "media", "render", "export")
FPS = 30
LEAD_S = 0.3  # silence before a scene's voice
TAIL_S = 0.5  # and after it, before the next scene
MIN_SCENE_S = 2.0
TITLE_CARD_S = 2.5
OUTRO_CARD_S = 3.0
OVERSCAN = 1.2  # generated pictures leave room for the Ken Burns motion
DIRECTION = re.compile(r"\[[^\]]*\]")  # a [visual direction] in a script
ESTIMATE_MARGIN = 1.3  # how far a spoken-length estimate may be off the real voice

# What a template changes in the render until templates become editable data.
TEMPLATE_LOOKS = {
    "explainer": {"transition": "fade", "outro": "Thanks for watching"},
    "listicle": {"transition": "slideleft", "outro": "Which one surprised you?"},
    "promo": {"transition": "circleopen", "outro": "Try it today"},
    "tutorial": {"transition": "fade", "outro": "Now it's your turn"},
    "story": {"transition": "dissolve", "outro": "The end"},
    "news": {"transition": "slideup", "outro": "Stay informed"},
    "quote": {"transition": "fadeblack", "outro": "Share if this spoke to you"},
    "product": {"transition": "slideleft", "outro": "Get yours today"},
}

Progress = Callable[[str, float, str], None]


@dataclass(frozen=True)
class ProductionRequest:
    topic: str = ""
    script_text: str | None = None  # the creator's own script; None: write one from the topic
    description: str = ""
    platforms: tuple[str, ...] = ("youtube",)
    voice_id: str | None = None
    speed: float = 1.0
    style: str = "modern"
    language: str = "en"
    tone: str = "friendly"
    template: str = "explainer"
    music: Path | None = None
    watermark: str | None = None
    title_card: bool = True
    trim: bool = False
    engine: str | None = None


@dataclass
class ProductionResult:
    title: str
    script_text: str
    scenes: list[ProcessedScene]
    speeches: list[Speech | None]
    masters: dict[str, RenderResult] = field(default_factory=dict)
    exports: dict[str, ExportResult] = field(default_factory=dict)


def produce_video(
    request: ProductionRequest,
    out_dir: Path,
    *,
    work_dir: Path,
    on_progress: Progress | None = None,
) -> ProductionResult:
    report = on_progress or (lambda step, fraction, message: None)
    if request.script_text is None and not request.topic.strip():
        raise InvalidInput("Give a topic or a script to make a video from.")
    specs = [get_platform(name) for name in request.platforms]
    style = get_style(request.style)

    report("script", 0.0, "Writing the script")
    title, script_text = _script(request)
    report("script", 1.0, "Script ready")

    report("scenes", 0.0, "Splitting the script into scenes")
    scenes = process_script(script_text, language=request.language, platform=specs[0].name)
    scenes = fit_scenes_to_platforms(
        scenes, specs, trim=request.trim, title_card=request.title_card
    )
    report("scenes", 1.0, f"{len(scenes)} scenes")

    speeches = voice_scenes(scenes, request, work_dir / "voice", report)
    result = ProductionResult(title, script_text, scenes, speeches)
    slug = slugify(title)[:60] or "video"

    for aspect, aspect_specs in _by_aspect(specs).items():
        master_spec = max(aspect_specs, key=lambda spec: spec.width * spec.height)
        media = media_for_scenes(scenes, request, style, master_spec.frame, work_dir, report)
        timeline = build_timeline(
            scenes, speeches, media, request, style, master_spec, title, work_dir
        )
        if not request.trim:
            # Exact now that every voice is known: refuse before spending time on the render.
            check_length(timeline.duration_s, aspect_specs)
        # Exports are named after the master: "<title>.<platform>.mp4".
        master_path = work_dir / "masters" / aspect.replace(":", "x") / f"{slug}.mp4"
        result.masters[aspect] = render_timeline(
            timeline,
            master_path,
            engine=request.engine,
            on_progress=lambda fraction, message: report("render", fraction, message),
        )
        # The platforms sharing this master are exported in parallel.
        result.exports.update(
            export_for_platforms(
                master_path,
                [spec.name for spec in aspect_specs],
                out_dir,
                cues=result.masters[aspect].cues,
                trim=request.trim,
                on_progress=lambda fraction, message: report("export", fraction, message),
            )
        )
    return result


def fit_scenes_to_platforms(
    scenes: list[ProcessedScene], specs: list[PlatformSpec], *, trim: bool, title_card: bool
) -> list[ProcessedScene]:
    """Before any voice is made: refuse a script clearly too long for a platform, or, when
    trimming, drop the scenes that would fall past the cut anyway."""
    limit_s = min(spec.max_duration_s for spec in specs)
    elapsed_s = (TITLE_CARD_S if title_card else 0.0) + OUTRO_CARD_S
    kept = []
    for scene in scenes:
        if trim and elapsed_s > limit_s * ESTIMATE_MARGIN:
            break
        kept.append(scene)
        elapsed_s += max(MIN_SCENE_S, LEAD_S + scene.estimated_duration_s + TAIL_S)
    if not trim:
        # Spoken-length estimates can be generous; only refuse what is over even when shortened.
        check_length(elapsed_s / ESTIMATE_MARGIN, specs, approximate=True)
    return kept


def _script(request: ProductionRequest) -> tuple[str, str]:
    if request.script_text is not None:
        # Blank scripts are refused, with the reason, when they are split into scenes.
        lines = DIRECTION.sub("", request.script_text).strip().splitlines()
        return (request.topic.strip() or (lines[0][:80] if lines else "")), request.script_text
    draft = write_script(
        ScriptRequest(
            topic=request.topic,
            description=request.description,
            platform=request.platforms[0],
            tone=request.tone,
            language=request.language,
            template=request.template,
        )
    )
    return draft.title, draft.as_text()


def voice_scenes(
    scenes: list[ProcessedScene], request: ProductionRequest, folder: Path, report: Progress
) -> list[Speech | None]:
    """A voiceover per scene that has words; speakers of a dialogue get voices of their own."""
    narrator = request.voice_id or tts.default_voice_for(request.language).id
    speakers = list(dict.fromkeys(scene.speaker for scene in scenes if scene.speaker))
    same_language = [
        voice.id
        for voice in tts.available_voices()
        if voice.language.split("-")[0].lower() == request.language.split("-")[0].lower()
    ]
    voices = conversation.assign_voices(speakers, same_language or [narrator], narrator)
    voiced = itertools.count(1)  # next() on a count is atomic: safe from both threads

    def speak(scene: ProcessedScene) -> Speech | None:
        if not scene.narration.strip():
            return None
        voice_id = voices.get(scene.speaker, narrator) if scene.speaker else narrator
        speech = tts.synthesize(
            scene.narration,
            voice_id=voice_id,
            speed=request.speed,
            out_path=folder / f"{_key(scene.narration, voice_id, request.speed)}.wav",
            language=request.language,
        )
        done = next(voiced)
        report("voice", done / len(scenes), f"Voiced {done} of {len(scenes)} scenes")
        return speech

    report("voice", 0.0, "Voicing the scenes")
    # Two scenes at a time: a short scene's single sentence would leave a core idle.
    with ThreadPoolExecutor(max_workers=2) as pool:
        speeches = list(pool.map(speak, scenes))
    report("voice", 1.0, "Voices ready")
    return speeches


def media_for_scenes(
    scenes: list[ProcessedScene],
    request: ProductionRequest,
    style: Style,
    frame: FrameSize,
    work_dir: Path,
    report: Progress,
) -> list[MediaItem]:
    prepared = FrameSize(round(frame.width * OVERSCAN), round(frame.height * OVERSCAN))
    folder = work_dir / "media" / f"{frame.width}x{frame.height}"
    items = []
    for index, scene in enumerate(scenes):
        report("media", index / len(scenes), f"Finding a picture for scene {index + 1}")
        items.append(
            find_media(
                MediaRequest(
                    scene_index=index,
                    keywords=scene.keywords,
                    visual_description=scene.visual_direction,
                    narration=scene.narration,
                    style=style,
                    frame=prepared,
                    language=request.language,
                ),
                folder,
            )
        )
    report("media", 1.0, "Pictures ready")
    return items


def build_timeline(
    scenes: list[ProcessedScene],
    speeches: list[Speech | None],
    media: list[MediaItem],
    request: ProductionRequest,
    style: Style,
    spec: PlatformSpec,
    title: str,
    work_dir: Path,
) -> Timeline:
    look = TEMPLATE_LOOKS.get(request.template, TEMPLATE_LOOKS["explainer"])
    card_frame = FrameSize(round(spec.width * OVERSCAN), round(spec.height * OVERSCAN))
    cards = work_dir / "cards" / f"{spec.width}x{spec.height}"
    timeline_scenes = []
    if request.title_card:
        card = render_card(title=title, subtitle="", style=style, frame=card_frame,
                           out_path=cards / f"title-{_key(title, style.name)}.png")  # fmt: skip
        timeline_scenes.append(TimelineScene(media=card, duration_s=TITLE_CARD_S, motion="zoom_in"))
    for scene, speech, item in zip(scenes, speeches, media, strict=True):
        spoken_s = speech.duration_s if speech else scene.estimated_duration_s
        timeline_scenes.append(
            TimelineScene(
                media=item,
                duration_s=max(MIN_SCENE_S, LEAD_S + spoken_s + TAIL_S),
                speech=speech,
                speech_offset_s=LEAD_S,
            )
        )
    outro = look["outro"]
    card = render_card(title=outro, subtitle=title, style=style, frame=card_frame,
                       out_path=cards / f"outro-{_key(outro, title, style.name)}.png")  # fmt: skip
    timeline_scenes.append(TimelineScene(media=card, duration_s=OUTRO_CARD_S, motion="zoom_out"))
    return Timeline(
        frame=spec.frame,
        fps=spec.fps,
        scenes=tuple(timeline_scenes),
        style=style,
        caption_style=spec.caption_style,
        transition=look["transition"],
        music=request.music,
        watermark=request.watermark,
        loudness_lufs=spec.loudness_lufs,
        x264_preset=settings.RENDER_X264_PRESET,
    )


def _by_aspect(specs: list[PlatformSpec]) -> dict[str, list[PlatformSpec]]:
    groups: dict[str, list[PlatformSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.aspect, []).append(spec)
    return groups


def _key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]
