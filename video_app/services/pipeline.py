"""The pipeline's steps over the database: what each Celery task in `tasks.py` calls.

Each step is idempotent: it first checks whether its result already exists for the same inputs
(content hashes) and does nothing if so; running it twice leaves one result. A step of a run that
has been superseded (the user started another) returns without touching anything. The engine
(`video_app.engine`) does the work; this module turns rows into engine inputs and results into rows.
"""

import errno
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from payments_app import services as quotas

from .. import signals
from ..analytics.tracking import VideoAnalytics
from ..builtin_templates import DEFAULT_RECIPE
from ..engine import voice
from ..engine.core import usage
from ..engine.core.cues import Cue
from ..engine.core.encoding import OVERSCAN
from ..engine.core.errors import EngineError, InvalidInput
from ..engine.core.styles import get_style
from ..engine.core.types import FrameSize, MediaItem, Speech, WordTiming
from ..engine.export import (
    ExportResult,
    capped,
    check_length,
    export_for_platform,
    get_platform,
)
from ..engine.media import MediaRequest, find_media
from ..engine.media.illustrated import design_thumbnail, hero_illustration
from ..engine.render import Timeline, render_timeline
from ..engine.render.music import Music
from ..engine.scenes import ProcessedScene, process_script
from ..engine.script import ScriptRequest, write_script
from ..models import (
    AudioAsset,
    MediaAsset,
    PipelineStep,
    RenderedVideo,
    Scene,
    VideoProject,
    content_hash,
)
from ..template_structure import Recipe
from . import emails, files, media_library, progress
from .cache_service import VideoCacheService
from .composition import (
    Composition,
    build_timeline,
    fit_scene_count,
    fit_scenes_to_platforms,
    speaker_voices,
    timeline_music,
)
from .notifications import notify_user

logger = logging.getLogger(__name__)

STEP_ERRORS = {
    "script": "writing the script",
    "scenes": "splitting the script into scenes",
    "media": "finding the pictures",
    "voice": "recording the voices",
    "render": "rendering the video",
    "export": "exporting the video",
}


def current_project(
    project_id: int, run: int, *, lock: bool = False, ended: bool = False
) -> VideoProject | None:
    """The project if `run` is its current run and still busy, else None (superseded, deleted,
    finished, failed or cancelled: the run's other tasks, and late copies of its tasks, do
    nothing; a retry or a new render starts a new run). `lock`: the row locked until the
    transaction ends, for a step's last write, which then cannot cross a cancel or a copy of
    itself. `ended`: a run that succeeded too (its end, handed out again)."""
    projects = VideoProject.objects.select_for_update() if lock else VideoProject.objects
    states = [*VideoProject.BUSY_STATES, *([VideoProject.RunState.SUCCEEDED] if ended else [])]
    return projects.filter(pk=project_id, run_number=run, run_state__in=states).first()


def work_dir(project: VideoProject) -> Path:
    return Path(settings.RENDER_CACHE_DIR) / "projects" / str(project.pk)


def project_recipe(project: VideoProject) -> Recipe:
    """What the project's template makes of its video; the explainer's recipe without one."""
    return project.template.recipe if project.template else DEFAULT_RECIPE


# --- script and scenes --------------------------------------------------------------------------


def write_project_script(project_id: int, run: int, *, force: bool = False) -> None:
    project = current_project(project_id, run)
    if project is None:
        return
    script = project.script
    if script.text.strip() and not force:
        VideoAnalytics.note_step(provider=script.provider, reused=True)
        return progress.step_done(project_id, run, "script", "Using your script")
    progress.step_started(project_id, run, "script", "Writing the script")
    request = ScriptRequest(
        topic=project.title[:200],
        description=project.description[:5000],
        platform=project.platforms[0],
        target_duration_s=project.target_duration_s,  # None: the platform's usual length
        language=project.language,
        template=project_recipe(project).writer,
    )
    with usage.attributed(project_id=project_id):
        draft = write_script(
            request,
            provider=project.script_provider or None,
            fallback=project.allow_provider_fallback,
        )
    VideoAnalytics.note_step(provider=draft.provider)
    script.text = draft.as_text()
    script.provider = draft.provider
    script.template_based = draft.template_based
    script.note = draft.fallback_reason[:300]
    script.save(update_fields=["text", "provider", "template_based", "note", "updated_at"])
    if project.status != VideoProject.Status.RENDERING:
        project.move_to(VideoProject.Status.SCRIPTING)
        project.save(update_fields=["status", "updated_at"])
    progress.step_done(project_id, run, "script", "Script ready")


def split_project_script(project_id: int, run: int) -> None:
    """Scenes from the script, unless they already come from this very text (then the creator's
    storyboard edits are kept)."""
    project = current_project(project_id, run)
    if project is None:
        return
    script = project.script
    if script.scenes_are_current and script.scenes.exists():
        VideoAnalytics.note_step(reused=True)
        return progress.step_done(project_id, run, "scenes", "Scenes ready")
    progress.step_started(project_id, run, "scenes", "Splitting the script into scenes")
    processed = process_script(
        script.text, language=project.language, platform=project.platforms[0]
    )
    recipe = project_recipe(project)
    processed = fit_scene_count(processed, recipe, language=project.language)
    processed = fit_scenes_to_platforms(
        processed, project.platform_specs(), trim=False, recipe=recipe
    )
    with transaction.atomic():
        script.scenes.all().delete()
        Scene.objects.bulk_create(
            Scene(
                script=script,
                position=index,
                text=scene.narration,
                visual_direction=scene.visual_direction,
                keywords=list(scene.keywords),
                speaker=scene.speaker or "",
                estimated_duration_s=scene.estimated_duration_s,
            )
            for index, scene in enumerate(processed)
        )
        script.scenes_hash = script.text_hash
        script.save(update_fields=["scenes_hash", "updated_at"])
        if project.status != VideoProject.Status.RENDERING:
            project.move_to(VideoProject.Status.STORYBOARD)
            project.save(update_fields=["status", "updated_at"])
    progress.step_done(project_id, run, "scenes", f"{len(processed)} scenes")


# --- pictures -----------------------------------------------------------------------------------


def scene_media_request(
    scene: Scene,
    project: VideoProject,
    frame: FrameSize,
    variant: int = 0,
    exclude_art: tuple[str, ...] = (),
) -> MediaRequest:
    prepared = FrameSize(round(frame.width * OVERSCAN), round(frame.height * OVERSCAN))
    return MediaRequest(
        scene_index=scene.position,
        keywords=tuple(scene.keywords),
        visual_description=scene.visual_direction,
        narration=scene.text,
        style=get_style(project.style),
        frame=prepared,
        language=project.language,
        variant=variant,
        exclude_art=exclude_art,
        topic=project.title,
    )


def _art_used_before(scene: Scene) -> tuple[str, ...]:
    """Illustrations the scenes before this one show, so the video does not repeat one. (Scenes
    are drawn in parallel: a scene still being drawn does not count yet.)"""
    earlier = Scene.objects.filter(
        script_id=scene.script_id, position__lt=scene.position, media__isnull=False
    ).select_related("media")
    return tuple(art["id"] for other in earlier for art in other.media.details.get("art", ()))


def make_scene_media(project_id: int, run: int, scene_id: int, *, force: bool = False) -> None:
    """The scene's picture: kept if the creator chose it or it was made from these inputs,
    else copied from an identical one made before, else drawn or found by the provider."""
    project = current_project(project_id, run)
    scene = Scene.objects.filter(pk=scene_id, script__project_id=project_id).first()
    if project is None or scene is None:
        return
    progress.step_started(project_id, run, "media", "Finding pictures")
    current = scene.media
    frame = project.platform_specs()[0].frame
    inputs = (scene.text, scene.visual_direction, scene.keywords, project.style)
    wanted = content_hash("media", *inputs, project.language, frame, project.media_provider)
    if current is not None and not force and _media_kept(current, wanted):
        VideoAnalytics.note_step(provider=current.provider, reused=True)
        return _report_scenes_done(project, run, "media")
    variant = (current.variant + 1) if (force and current is not None) else 0
    cache_key = content_hash(wanted, variant)  # "regenerate" asks for another picture
    item, cached = _media_item(project, scene, frame, variant, cache_key)
    asset = _media_asset(project, scene, item, wanted=wanted, variant=variant)
    if not _swap_media(scene, before=current, asset=asset):
        return _report_scenes_done(project, run, "media")
    _remember_media(project, asset, item, cache_key, cached=cached)
    VideoAnalytics.note_step(provider=item.source, reused=cached)
    _report_scenes_done(project, run, "media")


def _chosen_by_user(media: MediaAsset | None) -> bool:
    return media is not None and media.source in (
        MediaAsset.Source.UPLOAD,
        MediaAsset.Source.LIBRARY,
    )


def _media_kept(current: MediaAsset, wanted: str) -> bool:
    """The creator's own pick stays; so does a picture made from these very inputs, unless it
    is a stand-in drawn because the provider failed (the next run asks again)."""
    return _chosen_by_user(current) or (current.input_hash == wanted and not current.note)


def _media_item(
    project: VideoProject, scene: Scene, frame: FrameSize, variant: int, cache_key: str
) -> tuple[MediaItem, bool]:
    """The picture, and whether it is a copy of one drawn already for a project of this user
    with the same words, style and frame (a duplicate, a variation)."""
    cache = VideoCacheService()
    if cached := cache.step_result(project.user_id, "media", cache_key):
        fields = {name: value for name, value in cached.items() if name != "file"}
        return MediaItem(path=cache.local_copy(cached["file"]), **fields), True
    request = scene_media_request(scene, project, frame, variant, _art_used_before(scene))
    with usage.attributed(project_id=project.pk):
        item = find_media(
            request,
            work_dir(project) / "media",
            provider=project.media_provider or None,
            fallback=project.allow_provider_fallback,
        )
    return item, False


def _media_asset(
    project: VideoProject, scene: Scene, item: MediaItem, *, wanted: str, variant: int
) -> MediaAsset:
    """The picture's row, its file, layers and thumbnail stored (saved by `_swap_media`)."""
    asset = MediaAsset(
        user=project.user,
        scene=scene,
        kind=item.kind,
        source=_media_source(item),
        provider=item.source,
        title=f"Scene {scene.position + 1}",
        width=item.width,
        height=item.height,
        duration_s=item.duration_s,
        keywords=list(scene.keywords),
        query=item.query[:300],
        attribution=(item.attribution or item.licence)[:300],
        file_hash=files.file_sha256(item.path),
        input_hash=wanted,
        variant=variant,
        size_bytes=item.path.stat().st_size,
        note=_fallback_note(item.extra.get("fallback_reason", ""))[:300],
        details={key: value for key, value in item.extra.items() if key != "fallback_reason"},
    )
    files.store(asset.file, item.path, item.path.name)
    _store_layers(asset)
    media_library.add_thumbnail(asset, item.path)
    return asset


def _swap_media(scene: Scene, *, before: MediaAsset | None, asset: MediaAsset) -> bool:
    """Show `asset` in the scene, unless the scene changed since the step read it; then the new
    picture's files go. Returns whether it was swapped in."""
    with transaction.atomic():
        # Under the scene's lock: a copy of this step that saved first, or the creator's own pick
        # meanwhile, wins.
        locked = Scene.objects.select_for_update().filter(pk=scene.pk).first()
        if locked is None or _changed_meanwhile(before, locked.media):
            signals.delete_media_files(sender=MediaAsset, instance=asset)
            return False
        asset.save()
        Scene.objects.filter(pk=scene.pk).update(media=asset)
        if before is not None and not _chosen_by_user(before):
            before.delete()  # a generated picture nobody else uses; its file goes after commit
    return True


def _remember_media(
    project: VideoProject, asset: MediaAsset, item: MediaItem, cache_key: str, *, cached: bool
) -> None:
    """Keep a drawn picture for the user's next project with the same inputs."""
    if cached or item.source not in CACHED_MEDIA_SOURCES or asset.note:
        return
    kept = ("kind", "width", "height", "source", "query", "licence", "attribution", "duration_s")
    result = {"file": asset.file.name, "extra": item.extra}
    result.update({name: getattr(item, name) for name in kept})
    VideoCacheService().cache_step_result(project.user_id, "media", cache_key, result)


# Pictures reused across a user's projects by their inputs: drawn ones only. Stock and image-model
# results carry their own licence, attribution and provider details, and a search may find other
# items tomorrow; library matches depend on the library at the time.
CACHED_MEDIA_SOURCES = frozenset({"procedural"})


def _store_layers(asset: MediaAsset) -> None:
    """An illustrated picture's plate and layers go to storage beside it; `details` keeps their
    stored names in place of the worker's local paths."""
    details = asset.details
    if not details.get("layers"):
        return
    folder = f"media/{asset.user_id}"

    def store(path: str) -> str:
        with open(path, "rb") as source:
            return default_storage.save(f"{folder}/{Path(path).name}", File(source))

    details["plate"] = store(details["plate"])
    details["layers"] = [{**layer, "path": store(layer["path"])} for layer in details["layers"]]


def _local_layers(asset: MediaAsset) -> dict:
    """`details` with the plate and layers as paths the engine can read."""
    details = dict(asset.details or {})
    if details.get("layers"):
        details["plate"] = str(files.local_path(files.stored(details["plate"])))
        details["layers"] = [
            {**layer, "path": str(files.local_path(files.stored(layer["path"])))}
            for layer in details["layers"]
        ]
    return details


def _media_source(item: MediaItem) -> str:
    return {
        "procedural": MediaAsset.Source.PROCEDURAL,
        "illustrated": MediaAsset.Source.PROCEDURAL,
        "library": MediaAsset.Source.LIBRARY,
        "stability": MediaAsset.Source.GENERATED,
    }.get(item.source, MediaAsset.Source.STOCK)


def _fallback_note(reason: str) -> str:
    return f"{reason} A designed picture was used instead." if reason else ""


def _report_scenes_done(project: VideoProject, run: int, step: str) -> None:
    scenes = Scene.objects.filter(script__project=project)
    total = scenes.count() or 1
    done = (
        scenes.filter(media__isnull=False)
        if step == "media"
        else scenes.filter(audio__isnull=False)
    ).count()
    noun = "pictures" if step == "media" else "voices"
    message = f"{done} of {total} {noun} ready"
    if done >= total:
        progress.step_done(project.pk, run, step, message)
    else:
        progress.step_progress(project.pk, run, step, done / total, message)


# --- voices -------------------------------------------------------------------------------------


def scene_voice(scene: Scene, project: VideoProject) -> tuple[str, float]:
    """The voice a scene is read with: the one the creator chose for it, else its speaker's in a
    dialogue, else the project's."""
    speed = scene.voice_speed if scene.voice_speed is not None else project.voice_speed
    if scene.voice_id:
        return scene.voice_id, speed
    narrator = project.voice_id or voice.default_voice_for(project.language).id
    if not scene.speaker:
        return narrator, speed
    speakers = Scene.objects.filter(script__project=project).order_by("position")
    voices = speaker_voices(
        list(speakers.values_list("speaker", flat=True)),
        narrator=narrator,
        language=project.language,
    )
    return voices.get(scene.speaker, narrator), speed


def make_scene_voice(project_id: int, run: int, scene_id: int, *, force: bool = False) -> None:
    """The scene's voiceover: kept if read from these very words and voice, else copied from an
    identical take made before, else read by the voice provider."""
    project = current_project(project_id, run)
    scene = Scene.objects.filter(pk=scene_id, script__project_id=project_id).first()
    if project is None or scene is None:
        return
    progress.step_started(project_id, run, "voice", "Recording voices")
    voice_id, speed = scene_voice(scene, project)
    wanted = content_hash("voice", scene.text, voice_id, speed, project.language)
    existing = AudioAsset.objects.filter(scene=scene).first()
    if existing is not None and existing.input_hash == wanted and not force:
        VideoAnalytics.note_step(provider=existing.provider, reused=True)
        return _report_scenes_done(project, run, "voice")
    if not scene.text.strip():
        # A scene with only a picture: silence, no voice row.
        if existing is not None:
            existing.delete()
        return _report_scenes_done(project, run, "voice")
    take = _voice_take(project, scene, voice_id, speed, wanted=wanted, force=force)
    audio = _save_take(scene, before=existing, take=take, speed=speed, wanted=wanted)
    if audio is None:
        return _report_scenes_done(project, run, "voice")
    if not take.cached and not take.note:
        # Words, voice, speed and language decide a voice entirely, whichever provider read it.
        result = {**take.spoken, "file": audio.file.name}
        VideoCacheService().cache_step_result(project.user_id, "voice", wanted, result)
    VideoAnalytics.note_step(provider=take.spoken["provider"], reused=take.cached)
    _report_scenes_done(project, run, "voice")


@dataclass
class _Take:
    path: Path
    spoken: dict  # voice_id, provider, duration_s, timing_precision, word_timings
    cached: bool = False
    note: str = ""  # why another voice read it


def _voice_take(
    project: VideoProject, scene: Scene, voice_id: str, speed: float, *, wanted: str, force: bool
) -> _Take:
    """A take of the scene. "Record again" (force) means a new one; otherwise the same words in
    the same voice, read for another project of this user (a duplicate, a variation), are a
    copy of that file."""
    cache = VideoCacheService()
    cached = None if force else cache.step_result(project.user_id, "voice", wanted)
    if cached:
        return _Take(path=cache.local_copy(cached["file"]), spoken=cached, cached=True)
    out_path = work_dir(project) / "voice" / f"{wanted}.wav"
    with usage.attributed(project_id=project.pk):
        speech = voice.synthesize(
            scene.text,
            voice_id=voice_id,
            speed=speed,
            out_path=out_path,
            language=project.language,
            fallback=project.allow_provider_fallback,
        )
    spoken = {
        "voice_id": speech.voice_id,
        "provider": speech.provider,
        "duration_s": speech.duration_s,
        "timing_precision": speech.timing_precision,
        "word_timings": [[word.text, word.start_s, word.end_s] for word in speech.words],
    }
    return _Take(path=out_path, spoken=spoken, note=speech.fallback_reason)


def _save_take(
    scene: Scene, *, before: AudioAsset | None, take: _Take, speed: float, wanted: str
) -> AudioAsset | None:
    """The take stored as the scene's voice, unless the scene's voice changed since the step
    read it (None: this take's file goes)."""
    stored = AudioAsset(scene=scene)
    files.store(stored.file, take.path, f"scene-{scene.pk}-{wanted[:12]}.wav")
    with transaction.atomic():
        # Under the scene's lock: a copy of this step (a task handed out twice, two fan-outs of
        # one run) that saved first leaves this take nothing to do.
        locked = Scene.objects.select_for_update().filter(pk=scene.pk).first()
        saved = AudioAsset.objects.filter(scene_id=scene.pk).first()
        if locked is None or _changed_meanwhile(before, saved):
            files.delete_after_commit(default_storage, stored.file.name)
            return None
        audio = saved or stored
        if saved is not None and saved.file.name != stored.file.name:
            files.delete_after_commit(default_storage, saved.file.name)
            audio.file = stored.file.name
        spoken = take.spoken
        audio.voice_id, audio.provider, audio.speed = spoken["voice_id"], spoken["provider"], speed
        audio.duration_s = spoken["duration_s"]
        audio.word_timings = spoken["word_timings"]
        audio.timing_precision = spoken["timing_precision"]
        # A stand-in voice is not what was asked for: the next run tries the chosen voice again.
        audio.input_hash = "" if take.note else wanted
        audio.note = take.note[:300]
        audio.save()
    return audio


def _changed_meanwhile(before, now) -> bool:
    """Whether a scene's row (voice or picture) is another than when the step read it."""
    return (before.pk if before else None) != (now.pk if now else None) or (
        before is not None and now.file.name != before.file.name
    )


def speech_of(audio: AudioAsset) -> Speech:
    return Speech(
        path=files.local_path(audio.file),
        duration_s=audio.duration_s,
        words=tuple(WordTiming(text, start, end) for text, start, end in audio.word_timings),
        provider=audio.provider,
        voice_id=audio.voice_id,
        timing_precision=audio.timing_precision,
    )


# --- render and export --------------------------------------------------------------------------


def render_masters(project_id: int, run: int) -> None:
    """One master per aspect ratio among the project's platforms, stored for the exports."""
    project = current_project(project_id, run)
    if project is None:
        return
    for step in ("media", "voice"):
        progress.step_done(project_id, run, step)
    progress.step_started(project_id, run, "render", "Preparing the render")
    scenes = list(
        Scene.objects.filter(script__project=project)
        .select_related("media", "audio")
        .order_by("position")
    )
    if not scenes:
        raise InvalidInput("This project has no scenes to render. Write a script first.")
    # The plan is read now, not when the render was asked for: it may have changed meanwhile.
    # Only the renders already counted are compared (busy_renders=0): this run's own slot was
    # reserved when it started, so an unchanged plan never refuses a run it admitted.
    if refusal := quotas.render_refusal(project.user, busy_renders=0):
        raise InvalidInput(refusal.message, detail=f"quota: {refusal.limit}")
    groups: dict[str, list] = {}
    for spec in project.platform_specs():
        groups.setdefault(spec.aspect, []).append(spec)
    masters = dict(project.masters)
    plan = quotas.plan_for(project.user)
    reporter = progress.Reporter(project_id, run, "render")
    for number, (aspect, aspect_specs) in enumerate(groups.items()):

        def report(fraction, message, number=number):
            reporter((number + fraction) / len(groups), message)

        stored = masters.get(aspect)
        if master := _render_master(project, scenes, aspect_specs, stored, plan, report):
            masters[aspect] = master
    if _save_masters(project, run, before=project.masters, after=masters):
        progress.step_done(project_id, run, "render", "Video rendered")


def _render_master(
    project: VideoProject, scenes: list[Scene], specs: list, stored: dict | None, plan, report
) -> dict | None:
    """The master of one aspect ratio, at the largest of its platforms' sizes `plan` allows,
    stored; None when the stored one was made from the same timeline."""
    watermark = settings.PRODUCT_NAME if plan.watermark else None
    biggest = max(specs, key=lambda spec: spec.width * spec.height)
    timeline, music = _timeline(
        project, scenes, capped(biggest, plan.max_height_px), watermark=watermark
    )
    check_length(timeline.duration_s, specs)
    if refusal := quotas.length_refusal(plan, video_s=timeline.duration_s, estimated=False):
        raise InvalidInput(refusal.message, detail=f"quota: {refusal.limit}")
    wanted = content_hash("master", repr(timeline))
    if stored and stored["input_hash"] == wanted and default_storage.exists(stored["file"]):
        VideoAnalytics.note_step(reused=True)
        return None
    name = f"{biggest.aspect.replace(':', 'x')}-{wanted[:12]}.mp4"
    local = work_dir(project) / "masters" / name
    result = render_timeline(timeline, local, on_progress=report)
    VideoAnalytics.note_step(reused=False)
    with local.open("rb") as master:
        stored_name = default_storage.save(
            f"projects/{project.user_id}/{project.pk}/masters/{local.name}", File(master)
        )
    local.unlink(missing_ok=True)
    return {
        "file": stored_name,
        "input_hash": wanted,
        "duration_s": result.duration_s,
        "max_height_px": plan.max_height_px,
        "cues": [
            [[word.text, word.start_s, word.end_s] for word in cue.words] + [cue.start_s, cue.end_s]
            for cue in result.cues
        ],
        "music": _music_credits(music),
    }


def _save_masters(project: VideoProject, run: int, *, before: dict, after: dict) -> bool:
    """Store the masters this step rendered; False when the run ended meanwhile (they go).
    Under the project's lock: a copy of this step that saved the same master first keeps its
    file, and this one's goes."""
    made = {aspect: master for aspect, master in after.items() if master != before.get(aspect)}
    with transaction.atomic():
        locked = current_project(project.pk, run, lock=True)
        if locked is None:
            files.delete_after_commit(default_storage, *(m["file"] for m in made.values()))
            return False
        saved = dict(locked.masters)
        for aspect, master in made.items():
            theirs = saved.get(aspect)
            if (
                theirs
                and theirs != before.get(aspect)
                and theirs["input_hash"] == master["input_hash"]
            ):
                files.delete_after_commit(default_storage, master["file"])
                continue
            if theirs:
                files.delete_after_commit(default_storage, theirs["file"])
            saved[aspect] = master
        VideoProject.objects.filter(pk=project.pk).update(masters=saved)
    return True


def _timeline(
    project: VideoProject, scenes: list[Scene], spec, *, watermark: str | None = None
) -> tuple[Timeline, Music | None]:
    processed, speeches, media = [], [], []
    for scene in scenes:
        processed.append(
            ProcessedScene(
                index=scene.position,
                narration=scene.text,
                visual_direction=scene.visual_direction,
                keywords=tuple(scene.keywords),
                speaker=scene.speaker or None,
                estimated_duration_s=scene.estimated_duration_s,
            )
        )
        audio = getattr(scene, "audio", None)
        speeches.append(speech_of(audio) if audio else None)
        media.append(_media_for_frame(scene, project, spec.frame))
    composition = Composition(
        title=project.title,
        recipe=project_recipe(project),
        style=get_style(project.style),
        language=project.language,
        watermark=watermark,
    )
    music = timeline_music(composition.recipe, seed=project.pk)
    timeline = build_timeline(
        processed, speeches, media, composition, spec, work_dir(project) / "cards", music=music
    )
    return timeline, music


def _music_credits(music: Music | None) -> dict | None:
    """What the master says about its music: the track and its credit, or why the procedural
    bed played instead (music_for logged it too)."""
    if music is None:
        return None
    fields = ("title", "kind", "licence", "credit", "note")
    return {name: getattr(music, name) for name in fields}


def _media_for_frame(scene: Scene, project: VideoProject, frame: FrameSize) -> MediaItem:
    asset = scene.media
    if asset is None:
        raise InvalidInput(f"Scene {scene.position + 1} has no picture yet.")
    item = MediaItem(
        path=files.local_path(asset.file),
        kind=asset.kind,
        width=asset.width,
        height=asset.height,
        source=asset.provider or asset.source,
        query=asset.query,
        attribution=asset.attribution,
        duration_s=asset.duration_s,
        extra=_local_layers(asset),
    )
    main = project.platform_specs()[0].frame
    if asset.source == MediaAsset.Source.PROCEDURAL and frame.aspect != main.aspect:
        # Designed pictures are composed for a frame: redraw for this aspect, don't crop, with
        # the same provider and the same illustrations left out as when it was first drawn.
        exclude = tuple(asset.details.get("exclude_art", ()))
        request = scene_media_request(scene, project, frame, asset.variant, exclude)
        return find_media(request, work_dir(project) / "media", provider=asset.provider or None)
    return item


def export_platform(project_id: int, run: int, platform: str) -> None:
    """The platform's file, thumbnail and captions from the master of its aspect ratio."""
    project = current_project(project_id, run)
    if project is None:
        return
    progress.step_started(project_id, run, "export", "Exporting")
    spec = get_platform(platform)
    master = project.masters[spec.aspect]
    existing = RenderedVideo.objects.filter(project=project, platform=platform).first()
    if existing is not None and existing.input_hash == master["input_hash"]:
        VideoAnalytics.note_step(reused=True)
        return _report_exports_done(project, run)
    cues = [
        Cue(start_s=cue[-2], end_s=cue[-1], words=tuple(WordTiming(*word) for word in cue[:-2]))
        for cue in master["cues"]
    ]
    out_dir = work_dir(project) / "exports" / f"{platform}-{master['input_hash'][:12]}"
    shutil.rmtree(out_dir, ignore_errors=True)
    result = export_for_platform(
        files.local_path(files.stored(master["file"])),
        platform,
        out_dir,
        cues=cues,
        max_height_px=master.get("max_height_px"),
        thumbnail=_designed_thumbnail(project, spec, out_dir),
    )
    saved = _save_export(project, run, platform, result, master["input_hash"])
    shutil.rmtree(out_dir, ignore_errors=True)
    if saved:
        _report_exports_done(project, run)


def _export_files(video: RenderedVideo) -> list:
    return [video.file, video.thumbnail, video.srt_file, video.vtt_file]


def _save_export(
    project: VideoProject, run: int, platform: str, result: ExportResult, input_hash: str
) -> bool:
    """The export's files stored and its row saved, unless the run was stopped or another copy
    of this task saved the same export first; returns whether the run is still going."""
    # Stored under new names first: the row points at them only once they are complete.
    stem = slugify(project.title)[:50] or "video"
    video = RenderedVideo(project=project, platform=platform)
    sources = (result.path, result.thumbnail_path, result.srt_path, result.vtt_path)
    for field, source, extension in zip(
        _export_files(video), sources, ("mp4", "jpg", "srt", "vtt"), strict=True
    ):
        files.store(field, source, f"{stem}.{platform}.{extension}")
    new = [field.name for field in _export_files(video)]
    with transaction.atomic():
        # Under the project's lock: a copy of this task (redelivered, resumed) that got here
        # first leaves this one nothing to do, and a cancelled run saves nothing.
        locked = current_project(project.pk, run, lock=True)
        existing = RenderedVideo.objects.filter(project=project, platform=platform).first()
        if locked is None or (existing and existing.input_hash == input_hash):
            files.delete_after_commit(default_storage, *new)
            return locked is not None
        old = []
        if existing is not None:  # a new render of this platform: the row now points here
            old = [field.name for field in _export_files(existing)]
            existing.file, existing.thumbnail = video.file.name, video.thumbnail.name
            existing.srt_file, existing.vtt_file = video.srt_file.name, video.vtt_file.name
            video = existing
        video.width, video.height = result.width, result.height
        video.duration_s, video.size_bytes = result.duration_s, result.path.stat().st_size
        video.trimmed, video.input_hash = result.trimmed, input_hash
        video.run_number = run
        video.save()
        files.delete_after_commit(default_storage, *old)
    return True


def _designed_thumbnail(project: VideoProject, spec, out_dir: Path) -> Path | None:
    """The cover: the title with the video's strongest illustration; None when no scene has one
    (the export then takes a frame)."""
    scenes = Scene.objects.filter(script__project=project, media__isnull=False)
    extras = (
        _local_layers(scene.media)
        for scene in scenes.select_related("media").order_by("position")
        if scene.media.details.get("layers")
    )
    return design_thumbnail(
        title=project.title,
        hero=hero_illustration(extras),
        style=get_style(project.style),
        frame=spec.frame,
        language=project.language,
        out_path=out_dir / "cover.png",
    )


def _report_exports_done(project: VideoProject, run: int) -> None:
    done = RenderedVideo.objects.filter(project=project, run_number=run).count()
    total = len(project.platforms)
    progress.step_progress(
        project.pk, run, "export", done / total, f"{done} of {total} platforms exported"
    )


# --- the end of a run ---------------------------------------------------------------------------


def finish_run(project_id: int, run: int) -> None:
    # Under the project's lock: a copy of this task (redelivered, resumed) finds the run over, and
    # a cancel arriving now waits, then finds it over too (or this finds it cancelled).
    with transaction.atomic():
        project = current_project(project_id, run, lock=True, ended=True)
        if project is None:
            return
        if project.run_state == VideoProject.RunState.SUCCEEDED:
            # A copy: the end is recorded, but the process that recorded it may have died
            # before the email was queued (sending claims it once: no second email).
            if project.run_kind == "render":
                emails.run_email_queue(project_id=project_id, run=run, outcome="done")
            return
        _record_run_end(project, run)
    progress.publish(project_id)
    if project.run_kind == "render":
        notify_user(
            user_id=project.user_id,
            text=f"“{project.title}” is ready to watch.",
            level="success",
            url=project.get_absolute_url(),
        )
        emails.run_email_queue(project_id=project_id, run=run, outcome="done")


def _record_run_end(project: VideoProject, run: int) -> None:
    now = timezone.now()
    PipelineStep.objects.filter(project=project, run_number=run).exclude(
        state=PipelineStep.State.DONE
    ).update(state=PipelineStep.State.DONE, progress=1.0, finished_at=now)
    project.run_state = VideoProject.RunState.SUCCEEDED
    project.run_finished_at = now
    if project.run_kind == "render":
        project.move_to(VideoProject.Status.COMPLETED)
        project.completed_at = now
        # Counted before the run leaves "in flight" (the save below), never after: a start
        # decided in between would otherwise see neither and exceed the period's renders.
        # An export carries the run that made it; reused ones keep an older run's number.
        delivered = project.videos.filter(platform__in=project.platforms)
        newest = delivered.aggregate(newest=Max("run_number"))["newest"] or run
        quotas.record_render(
            project.user, project_id=project.pk, run_number=run, newest_output_run=newest
        )
        # Platforms dropped from the project since an earlier render: their files go.
        for video in project.videos.exclude(platform__in=project.platforms):
            video.delete()
    elif project.run_kind in ("media", "voice"):
        project.move_to(_later(project.status, project.run_kind))
    project.save()


def _later(status: str, kind: str) -> str:
    """After pictures or voices are made, the stage moves on but never back."""
    order = [VideoProject.Status.STORYBOARD, VideoProject.Status.MEDIA, VideoProject.Status.VOICE]
    if status in order and order.index(kind) > order.index(status):
        return kind
    return status


def _out_of_space(error: BaseException | None) -> bool:
    """A full disk (or quota), whether Python saw it or FFmpeg wrote it in its own words."""
    while error is not None:
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(error, EngineError) and "No space left on device" in error.detail:
            return True
        error = error.__cause__ or error.__context__
    return False


def fail_run(project_id: int, run: int, step: str, error: BaseException) -> None:
    """A step failed for good: record a readable cause, tell the user once; retry resumes."""
    # Under the project's lock, as a cancel and the run's end: one of them decides the run.
    with transaction.atomic():
        project = current_project(project_id, run, lock=True)
        if project is None:  # over already: a late copy's failure
            return
        if _out_of_space(error):
            message = (
                f"The server ran out of disk space while {STEP_ERRORS.get(step, 'working')}. "
                "Nothing you made is lost: retry in a few minutes."
            )
            detail = f"{type(error).__name__}: {error}" + (
                f"\n{error.detail}" if isinstance(error, EngineError) else ""
            )
            logger.error("Out of disk space: project %s run %s at %s", project_id, run, step)
        elif isinstance(error, EngineError):
            message, detail = error.message, error.detail or repr(error)
        else:
            message = (
                f"Something went wrong while {STEP_ERRORS.get(step, 'working on the video')}. "
                "Retry; if it fails again, contact support."
            )
            detail = f"{type(error).__name__}: {error}"
        logger.warning("Project %s run %s failed at %s: %s", project_id, run, step, detail)
        progress.step_failed(project_id, run, step, message)
        project.run_state = VideoProject.RunState.FAILED
        project.run_finished_at = timezone.now()
        project.failed_step, project.error_message, project.error_detail = step, message, detail
        if project.status == VideoProject.Status.RENDERING:
            project.move_to(VideoProject.Status.FAILED)
        project.save()
    progress.publish(project_id)
    notify_user(
        user_id=project.user_id,
        text=f"“{project.title}”: {message}",
        level="danger",
        url=project.get_absolute_url(),
    )
    if project.run_kind == "render":
        emails.run_email_queue(project_id=project_id, run=run, outcome="failed")


def scene_ids(project: VideoProject) -> list[int]:
    return list(
        Scene.objects.filter(script__project=project)
        .order_by("position")
        .values_list("pk", flat=True)
    )
