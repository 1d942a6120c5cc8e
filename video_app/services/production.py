"""Making a whole video from a topic or a script, without the web.

The `make_video` command calls `produce_video`; the Celery pipeline runs the same steps one task
at a time. Steps: script -> scenes -> voice -> media -> render -> export. One master is rendered
per aspect ratio among the target platforms (captions, composition and generated pictures depend
on it); each platform's file is then conformed from the master of its aspect. The template's
recipe (template_structure.py) shapes every step: the kind of script written, how many scenes,
the pauses around each voice, captions, transitions, title and outro cards, and music.
"""

import hashlib
import itertools
import json
import random
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.utils.text import slugify
from PIL import Image, ImageOps

from video_app.builtin_templates import DEFAULT_RECIPE
from video_app.engine import voice
from video_app.engine.core.encoding import OVERSCAN
from video_app.engine.core.errors import InvalidInput, ProviderFailed
from video_app.engine.core.ffmpeg import atomic_output
from video_app.engine.core.keywords import keywords_for_scenes
from video_app.engine.core.styles import Style, get_style
from video_app.engine.core.types import FrameSize, MediaItem, Speech
from video_app.engine.export import (
    ExportResult,
    PlatformSpec,
    check_length,
    export_for_platforms,
    get_platform,
)
from video_app.engine.media import (
    MediaRequest,
    ProceduralMediaProvider,
    designed,
    find_media,
    illustrated,
    render_card,
)
from video_app.engine.media.illustrated import design_thumbnail, hero_illustration
from video_app.engine.render import (
    LONG_FORM,
    Pacing,
    RenderResult,
    Timeline,
    TimelineScene,
    headline_opening,
    pacing_for,
    render_timeline,
    shortest_scene_s,
)
from video_app.engine.render.music import Music, music_for
from video_app.engine.scenes import (
    MIN_SCENE_S,
    ProcessedScene,
    conversation,
    estimate_duration_s,
    process_script,
    split_sentences,
)
from video_app.engine.script import ScriptRequest, script_writers, write_script
from video_app.template_structure import Recipe

STEPS = ("script", "scenes", "voice", "media", "render", "export")
FPS = 30
DIRECTION = re.compile(r"\[[^\]]*\]")  # a [visual direction] in a script
ESTIMATE_MARGIN = 1.3  # how far a spoken-length estimate may be off the real voice
CJK_SENTENCE_ENDS = ("。", "！", "？")  # scenes written without spaces join without one

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
    recipe: Recipe = DEFAULT_RECIPE  # the template's
    music: Path | None = None  # a file of the creator's own, instead of the recipe's music
    # Picks the recipe's track: the project's id, so a re-render plays the same one and other
    # projects another. None: taken from the title.
    music_seed: int | None = None
    watermark: str | None = None
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
    music: Music | None = None  # what played under the voice, with its credit
    # Every fallback taken, in a sentence for the creator: the template writer, a card instead
    # of an illustration, the basic voice, the procedural music bed.
    notes: list[str] = field(default_factory=list)


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
    title, script_text, note = _script(request)
    report("script", 1.0, note or "Script ready")

    report("scenes", 0.0, "Splitting the script into scenes")
    scenes = process_script(script_text, language=request.language, platform=specs[0].name)
    scenes = fit_scene_count(scenes, request.recipe, language=request.language)
    scenes = fit_scenes_to_platforms(scenes, specs, trim=request.trim, recipe=request.recipe)
    report("scenes", 1.0, f"{len(scenes)} scenes")

    speeches = voice_scenes(scenes, request, work_dir / "voice", report)
    result = ProductionResult(
        title, script_text, scenes, speeches, music=timeline_music(request, title)
    )
    result.notes += [note] if note else []
    result.notes += _voice_notes(speeches, request.language)
    result.notes += [result.music.note] if result.music and result.music.note else []
    slug = slugify(title)[:60] or "video"

    for aspect, aspect_specs in _by_aspect(specs).items():
        master_spec = max(aspect_specs, key=lambda spec: spec.width * spec.height)
        media = media_for_scenes(scenes, request, style, master_spec.frame, work_dir, report)
        result.notes += [
            f"Scene {index + 1} ({aspect}): {item.extra['fallback_reason']}"
            for index, item in enumerate(media)
            if item.extra.get("fallback_reason")
        ]
        timeline = build_timeline(
            scenes,
            speeches,
            media,
            request,
            style,
            master_spec,
            title,
            work_dir,
            music=result.music,
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
        cover = design_thumbnail(
            title=title,
            hero=hero_illustration(item.extra for item in media),
            style=style,
            frame=master_spec.frame,
            language=request.language,
            out_path=work_dir / "thumbnails" / f"{aspect.replace(':', 'x')}.png",
        )
        # The platforms sharing this master are exported in parallel.
        result.exports.update(
            export_for_platforms(
                master_path,
                [spec.name for spec in aspect_specs],
                out_dir,
                cues=result.masters[aspect].cues,
                trim=request.trim,
                thumbnail=cover,
                on_progress=lambda fraction, message: report("export", fraction, message),
            )
        )
    return result


def _voice_notes(speeches: list[Speech | None], language: str) -> list[str]:
    basic = sorted({s.voice_id for s in speeches if s is not None and s.provider == "espeak"})
    if not basic:
        return []
    return [
        f"No natural voice speaks '{language}' here: the basic voice "
        f"({', '.join(basic)}) reads this video."
    ]


def fit_scene_count(
    scenes: list[ProcessedScene], recipe: Recipe, *, language: str
) -> list[ProcessedScene]:
    """The scenes within the template's scene count, the script's words unchanged: too many, and
    the two shortest neighbours are merged, again and again; too few, and the longest scene is
    cut at the sentence nearest its middle. Turns of different speakers are never merged (each
    keeps its voice), so a long dialogue may stay over the count."""
    fitted = list(scenes)
    while recipe.max_scenes and len(fitted) > recipe.max_scenes:
        pairs = [i for i in range(len(fitted) - 1) if fitted[i].speaker == fitted[i + 1].speaker]
        if not pairs:
            break
        i = min(pairs, key=lambda i: sum(s.estimated_duration_s for s in fitted[i : i + 2]))
        fitted[i : i + 2] = [_merged(fitted[i], fitted[i + 1], language)]
    while len(fitted) < recipe.min_scenes:
        halves = max((_halves(scene, language) for scene in fitted), key=_longer_half, default=None)
        if halves is None or not halves[1]:
            break
        i = fitted.index(halves[0])
        fitted[i : i + 1] = halves[1]
    if len(fitted) == len(scenes) and all(a is b for a, b in zip(fitted, scenes, strict=True)):
        return fitted
    found = keywords_for_scenes(
        [(scene.visual_direction, scene.narration) for scene in fitted], language
    )
    return [
        replace(scene, index=index, keywords=keywords)
        for index, (scene, keywords) in enumerate(zip(fitted, found, strict=True))
    ]


def _merged(first: ProcessedScene, second: ProcessedScene, language: str) -> ProcessedScene:
    joint = "" if first.narration.endswith(CJK_SENTENCE_ENDS) else " "
    narration = f"{first.narration}{joint}{second.narration}".strip()
    directions = [d for d in (first.visual_direction, second.visual_direction) if d]
    return replace(
        first,
        narration=narration,
        visual_direction="; ".join(directions),
        estimated_duration_s=_estimate(narration, language),
    )


def _halves(scene: ProcessedScene, language: str):
    """(scene, [first half, second half]) cut at the sentence boundary nearest the middle of its
    spoken length, or (scene, []) for a single sentence."""
    sentences = split_sentences(scene.narration)
    if len(sentences) < 2:
        return scene, []
    # Where each sentence starts in the narration, so both halves keep its exact text.
    starts, cursor = [], 0
    for sentence in sentences:
        cursor = scene.narration.find(sentence, cursor)
        starts.append(cursor)
    half_s = scene.estimated_duration_s / 2
    cut = min(
        starts[1:],
        key=lambda start: abs(estimate_duration_s(scene.narration[:start], language) - half_s),
    )
    first, second = scene.narration[:cut].strip(), scene.narration[cut:].strip()
    return scene, [
        replace(scene, narration=first, estimated_duration_s=_estimate(first, language)),
        replace(scene, narration=second, estimated_duration_s=_estimate(second, language)),
    ]


def _longer_half(halves) -> float:
    scene, parts = halves
    return scene.estimated_duration_s if parts else -1.0


def _estimate(narration: str, language: str) -> float:
    return max(MIN_SCENE_S, estimate_duration_s(narration, language))


def fit_scenes_to_platforms(
    scenes: list[ProcessedScene], specs: list[PlatformSpec], *, trim: bool, recipe: Recipe
) -> list[ProcessedScene]:
    """Before any voice is made: refuse a script clearly too long for a platform, or, when
    trimming, drop the scenes that would fall past the cut anyway."""
    limit_s = min(spec.max_duration_s for spec in specs)
    elapsed_s = recipe.cards_s()
    kept = []
    for index, scene in enumerate(scenes):
        if trim and elapsed_s > limit_s * ESTIMATE_MARGIN:
            break
        kept.append(scene)
        # The template's own pacing: the slowest a platform gets, so the estimate errs long.
        elapsed_s += _scene_s(recipe, LONG_FORM, index, scene.estimated_duration_s)
    if not trim:
        # Spoken-length estimates can be generous; only refuse what is over even when shortened.
        check_length(elapsed_s / ESTIMATE_MARGIN, specs, approximate=True)
    return kept


def _script(request: ProductionRequest) -> tuple[str, str, str]:
    """The title, the script and a note for the creator ("" or why the template wrote it)."""
    if request.script_text is not None:
        # Blank scripts are refused, with the reason, when they are split into scenes.
        lines = DIRECTION.sub("", request.script_text).strip().splitlines()
        return (request.topic.strip() or (lines[0][:80] if lines else "")), request.script_text, ""
    script_request = ScriptRequest(
        topic=request.topic,
        description=request.description,
        platform=request.platforms[0],
        tone=request.tone,
        language=request.language,
        template=request.recipe.writer,
    )
    note = ""
    try:
        draft = write_script(script_request)
    except ProviderFailed as error:
        # As on the script page: a failing model writer gives way to the template writer, said.
        if script_writers.configured_name() == script_writers.default:
            raise
        draft = write_script(script_request, provider=script_writers.default)
        note = f"{error.message} A template-based script was written instead."
    return draft.title, draft.as_text(), note


def speaker_voices(speakers: list[str], *, narrator: str, language: str) -> dict[str, str]:
    """The voice of each speaker of a dialogue, given every scene's speaker in order ("" for
    narration): the narrator keeps `narrator`, each character gets another voice of the
    language (conversation.assign_voices). The web pipeline and `make_video` both ask this."""
    named = list(dict.fromkeys(speaker for speaker in speakers if speaker))
    same_language = [
        choice.id
        for choice in voice.available_voices()
        if choice.language.split("-")[0].lower() == language.split("-")[0].lower()
    ]
    return conversation.assign_voices(named, same_language or [narrator], narrator)


def voice_scenes(
    scenes: list[ProcessedScene], request: ProductionRequest, folder: Path, report: Progress
) -> list[Speech | None]:
    """A voiceover per scene that has words; speakers of a dialogue get voices of their own."""
    narrator = request.voice_id or voice.default_voice_for(request.language).id
    voices = speaker_voices(
        [scene.speaker for scene in scenes], narrator=narrator, language=request.language
    )
    voiced = itertools.count(1)  # next() on a count is atomic: safe from both threads

    def speak(scene: ProcessedScene) -> Speech | None:
        if not scene.narration.strip():
            return None
        voice_id = voices.get(scene.speaker, narrator) if scene.speaker else narrator
        speech = voice.synthesize(
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
    used_art: list[str] = []  # each illustration once per video
    for index, scene in enumerate(scenes):
        report("media", index / len(scenes), f"Finding a picture for scene {index + 1}")
        item = find_media(
            MediaRequest(
                scene_index=index,
                keywords=scene.keywords,
                visual_description=scene.visual_direction,
                narration=scene.narration,
                style=style,
                frame=prepared,
                language=request.language,
                exclude_art=tuple(used_art),
                topic=request.topic,
            ),
            folder,
        )
        used_art += [art["id"] for art in item.extra.get("art", ())]
        items.append(item)
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
    *,
    music: Music | None,
) -> Timeline:
    """The video as scenes on a clock: the template's recipe, paced for the platform's family
    (render.pacing_for): a title card or a headline over the first scene, the pauses
    around each voice, the outro card, and the music (`timeline_music`)."""
    recipe = request.recipe
    pacing = pacing_for(spec.frame)
    shortest_s = shortest_scene_s(recipe.transition_s)
    card_frame = FrameSize(round(spec.width * OVERSCAN), round(spec.height * OVERSCAN))
    cards = work_dir / "cards" / f"{spec.width}x{spec.height}"
    timeline_scenes = []
    for index, (scene, speech, item) in enumerate(zip(scenes, speeches, media, strict=True)):
        spoken_s = speech.duration_s if speech else scene.estimated_duration_s
        timeline_scenes.append(
            TimelineScene(
                media=item,
                duration_s=_scene_s(recipe, pacing, index, spoken_s),
                speech=speech,
                speech_offset_s=pacing.lead_s(recipe.lead_s),
                motion=recipe.motion_of(index),
            )
        )
    if recipe.title_card.show and timeline_scenes:
        text = recipe.title_card.text_for(title)
        if pacing.title == "headline":
            picture = timeline_scenes[0].media.path
            # A stored picture is never overwritten (a new one is a new name): its name is enough.
            name = f"headline-{_key(text, style.name, str(picture))}.png"
            headline = headline_picture(
                timeline_scenes[0].media,
                text,
                style,
                card_frame,
                cards / name,
                language=request.language,
            )
            if headline.extra.get("layers"):
                # Illustrations keep moving under the title for the whole first scene: cutting
                # to the same illustrations after it would replay their entrance.
                timeline_scenes[0] = replace(timeline_scenes[0], media=headline)
            else:
                timeline_scenes[:1] = headline_opening(
                    timeline_scenes[0], headline, pacing=pacing, min_scene_s=shortest_s
                )
        else:
            name = f"title-{_key(text, style.name)}.png"
            card = render_card(
                title=text,
                subtitle="",
                style=style,
                frame=card_frame,
                out_path=cards / name,
                language=request.language,
            )
            seconds = max(shortest_s, min(recipe.title_card.seconds, pacing.title_s))
            timeline_scenes.insert(
                0, TimelineScene(media=card, duration_s=seconds, motion="zoom_in")
            )
    if recipe.outro_card.show:
        outro = recipe.outro_card.text_for(title, request.language)
        subtitle = "" if outro == title else title
        name = f"outro-{_key(outro, subtitle, style.name)}.png"
        card = render_card(
            title=outro, subtitle=subtitle, style=style, frame=card_frame, out_path=cards / name
        )
        timeline_scenes.append(
            TimelineScene(media=card, duration_s=recipe.outro_card.seconds, motion="zoom_out")
        )
    return Timeline(
        frame=spec.frame,
        fps=spec.fps,
        scenes=tuple(timeline_scenes),
        style=style,
        caption_style=recipe.caption_style(spec.caption_style),
        transition=recipe.transition,
        transition_s=recipe.transition_s,
        music=music.path if music else None,
        music_gain_db=recipe.music_level_db,
        watermark=request.watermark,
        loudness_lufs=spec.loudness_lufs,
        x264_preset=settings.RENDER_X264_PRESET,
    )


def timeline_music(request: ProductionRequest, title: str) -> Music | None:
    """What plays under the voice: the creator's own file, else the template's mood as a track
    picked by the project (a procedural bed when no track can play), else nothing."""
    if request.music is not None:
        return Music(request.music, "own", request.music.name)
    if not request.recipe.music_mood:
        return None
    seed = request.music_seed if request.music_seed is not None else int(_key(title)[:8], 16)
    return music_for(request.recipe.music_mood, seed=seed + request.recipe.music_seed)


def headline_picture(
    item: MediaItem,
    text: str,
    style: Style,
    frame: FrameSize,
    out_path: Path,
    *,
    language: str = "en",
) -> MediaItem:
    """The scene's picture with the title set over it (shaded where the picture is too busy or
    too light for the type). A drawn picture carries its own headline and a clip has no single
    picture, so those get the title card's design instead."""
    if item.extra.get("layers"):
        titled = illustrated.retitle(item, text, style, out_path, language=language)
        if titled is not None:
            return titled
    if item.kind != "image" or item.source == ProceduralMediaProvider.name:
        return render_card(
            title=text, subtitle="", style=style, frame=frame, out_path=out_path, language=language
        )
    if not out_path.exists():
        block = designed.layout_block(
            frame, headline=designed.prepare_text(text, language), card=True
        )
        palette = designed.Palette.of(style)
        unused = random.Random(0)  # noqa: S311 - the painter draws no shapes here, only type
        painter = designed.Painter(frame, palette, unused, block)
        with Image.open(item.path) as picture:
            fitted = ImageOps.fit(
                picture.convert("RGB"), (frame.width, frame.height), centering=(0.5, 0.5)
            )
        painter.image = fitted.convert("RGBA")
        painter.ensure_contrast()
        painter.set_type()
        with atomic_output(out_path) as partial:
            painter.image.save(partial, format="PNG")
    return replace(item, path=out_path, width=frame.width, height=frame.height)


def _scene_s(recipe: Recipe, pacing: Pacing, index: int, spoken_s: float) -> float:
    """A narrated scene's length: its voice with the template's pauses, as the platform's
    family paces them."""
    return pacing.scene_s(
        spoken_s=spoken_s,
        lead_s=recipe.lead_s,
        tail_s=recipe.tail_s,
        floor_s=recipe.scene_floor_s(index),
        shortest_s=shortest_scene_s(recipe.transition_s),
    )


def _by_aspect(specs: list[PlatformSpec]) -> dict[str, list[PlatformSpec]]:
    groups: dict[str, list[PlatformSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.aspect, []).append(spec)
    return groups


def _key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]
