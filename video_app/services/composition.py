"""What the template makes of a video's pieces: how many scenes, what fits a platform's length,
each speaker's voice, and the timeline the render plays (cards, pauses, captions, music).

The pipeline's steps (`pipeline.py`) ask these for every entry point: the wizard, the API,
admin, variations and `make_video` all run those same steps. The template's recipe
(template_structure.py) shapes each answer: how many scenes, the pauses around each voice,
captions, transitions, title and outro cards, and music.
"""

import hashlib
import json
import random
from dataclasses import dataclass, replace
from pathlib import Path

from django.conf import settings
from PIL import Image, ImageOps

from video_app.engine import voice
from video_app.engine.core.encoding import OVERSCAN
from video_app.engine.core.ffmpeg import atomic_output
from video_app.engine.core.keywords import keywords_for_scenes
from video_app.engine.core.styles import Style
from video_app.engine.core.types import FrameSize, MediaItem, Speech
from video_app.engine.export import (
    PlatformSpec,
    check_length,
)
from video_app.engine.media import (
    ProceduralMediaProvider,
    designed,
    illustrated,
    render_card,
)
from video_app.engine.render import (
    LONG_FORM,
    Pacing,
    Timeline,
    TimelineScene,
    headline_opening,
    pacing_for,
    shortest_scene_s,
)
from video_app.engine.render.music import Music, music_for
from video_app.engine.scenes import (
    MIN_SCENE_S,
    ProcessedScene,
    conversation,
    estimate_duration_s,
    split_sentences,
)
from video_app.template_structure import Recipe

ESTIMATE_MARGIN = 1.3  # how far a spoken-length estimate may be off the real voice
CJK_SENTENCE_ENDS = ("。", "！", "？")  # scenes written without spaces join without one


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


def speaker_voices(speakers: list[str], *, narrator: str, language: str) -> dict[str, str]:
    """The voice of each speaker of a dialogue, given every scene's speaker in order ("" for
    narration): the narrator keeps `narrator`, each character gets another voice of the
    language (conversation.assign_voices). The voice step asks this for every entry point."""
    named = list(dict.fromkeys(speaker for speaker in speakers if speaker))
    same_language = [
        choice.id
        for choice in voice.available_voices()
        if choice.language.split("-")[0].lower() == language.split("-")[0].lower()
    ]
    return conversation.assign_voices(named, same_language or [narrator], narrator)


@dataclass(frozen=True)
class Composition:
    """What a project asks of its video's look, whatever the platform."""

    title: str
    recipe: Recipe
    style: Style
    language: str = "en"
    watermark: str | None = None  # the plan's, or None


def build_timeline(
    scenes: list[ProcessedScene],
    speeches: list[Speech | None],
    media: list[MediaItem],
    composition: Composition,
    spec: PlatformSpec,
    cards_dir: Path,
    *,
    music: Music | None,
) -> Timeline:
    """The video as scenes on a clock: the template's recipe, paced for the platform's family
    (render.pacing_for): a title card or a headline over the first scene, the pauses
    around each voice, the outro card, and the music (`timeline_music`)."""
    recipe = composition.recipe
    pacing = pacing_for(spec.frame)
    cards = _Cards(composition, spec, cards_dir / f"{spec.width}x{spec.height}")
    timeline_scenes = [
        TimelineScene(
            media=item,
            duration_s=_scene_s(
                recipe, pacing, index, speech.duration_s if speech else scene.estimated_duration_s
            ),
            speech=speech,
            speech_offset_s=pacing.lead_s(recipe.lead_s),
            motion=recipe.motion_of(index),
        )
        for index, (scene, speech, item) in enumerate(zip(scenes, speeches, media, strict=True))
    ]
    if recipe.title_card.show and timeline_scenes:
        timeline_scenes = cards.opening(timeline_scenes, pacing)
    if recipe.outro_card.show:
        timeline_scenes.append(cards.outro())
    return Timeline(
        frame=spec.frame,
        fps=spec.fps,
        scenes=tuple(timeline_scenes),
        style=composition.style,
        caption_style=recipe.caption_style(spec.caption_style),
        transition=recipe.transition,
        transition_s=recipe.transition_s,
        music=music.path if music else None,
        music_gain_db=recipe.music_level_db,
        watermark=composition.watermark,
        loudness_lufs=spec.loudness_lufs,
        x264_preset=settings.RENDER_X264_PRESET,
    )


class _Cards:
    """The title and outro of one platform's timeline, drawn into `folder` (a picture's name is
    the hash of what it shows, so a re-render finds it drawn)."""

    def __init__(self, composition: Composition, spec: PlatformSpec, folder: Path):
        self.composition, self.folder = composition, folder
        self.frame = FrameSize(round(spec.width * OVERSCAN), round(spec.height * OVERSCAN))
        self.shortest_s = shortest_scene_s(composition.recipe.transition_s)

    def opening(self, scenes: list[TimelineScene], pacing: Pacing) -> list[TimelineScene]:
        """Short form: the title over the first scene; long form: a title card before it."""
        c = self.composition
        text = c.recipe.title_card.text_for(c.title)
        if pacing.title != "headline":
            name = f"title-{_key(text, c.style.name)}.png"
            card = render_card(
                title=text,
                subtitle="",
                style=c.style,
                frame=self.frame,
                out_path=self.folder / name,
                language=c.language,
            )
            seconds = max(self.shortest_s, min(c.recipe.title_card.seconds, pacing.title_s))
            return [TimelineScene(media=card, duration_s=seconds, motion="zoom_in"), *scenes]
        first = scenes[0]
        # A stored picture is never overwritten (a new one is a new name): its name is enough.
        name = f"headline-{_key(text, c.style.name, str(first.media.path))}.png"
        headline = headline_picture(
            first.media, text, c.style, self.frame, self.folder / name, language=c.language
        )
        if headline.extra.get("layers"):
            # Illustrations keep moving under the title for the whole first scene: cutting to the
            # same illustrations after it would replay their entrance.
            return [replace(first, media=headline), *scenes[1:]]
        opening = headline_opening(first, headline, pacing=pacing, min_scene_s=self.shortest_s)
        return [*opening, *scenes[1:]]

    def outro(self) -> TimelineScene:
        c = self.composition
        outro = c.recipe.outro_card.text_for(c.title, c.language)
        subtitle = "" if outro == c.title else c.title
        name = f"outro-{_key(outro, subtitle, c.style.name)}.png"
        card = render_card(
            title=outro,
            subtitle=subtitle,
            style=c.style,
            frame=self.frame,
            out_path=self.folder / name,
        )
        return TimelineScene(media=card, duration_s=c.recipe.outro_card.seconds, motion="zoom_out")


def timeline_music(recipe: Recipe, *, seed: int) -> Music | None:
    """What plays under the voice: the template's mood as a track picked by `seed` (the
    project's id, so a re-render plays the same one and other projects another; a procedural
    bed when no track can play), else nothing."""
    if not recipe.music_mood:
        return None
    return music_for(recipe.music_mood, seed=seed + recipe.music_seed)


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


def _key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]
