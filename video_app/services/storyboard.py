"""Storyboard edits: a scene's text, order, splitting, merging, adding and removing, its voice
settings and its picture. Each keeps positions dense (0..n-1) and the project's stage honest:
an edit after pictures or voices were made sends the project back to the storyboard stage.

Pictures and voices are not remade here: the next media/voice run or render notices the changed
content hash and redoes only the scenes that changed.
"""

from django.db import transaction
from django.db.models import F

from ..engine.core.keywords import extract_keywords
from ..engine.scenes import estimate_duration_s, split_sentences
from ..models import MediaAsset, Scene, VideoProject
from . import media_library

MAX_SCENE_CHARS = 2000


class StoryboardError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _edited(project: VideoProject, *, stage: str = VideoProject.Status.STORYBOARD) -> None:
    """After an edit the project is at most at `stage`: later stages are made again."""
    later = {
        VideoProject.Status.STORYBOARD: (VideoProject.Status.MEDIA, VideoProject.Status.VOICE),
        VideoProject.Status.MEDIA: (VideoProject.Status.VOICE,),
    }[stage]
    if project.status in (*later, VideoProject.Status.COMPLETED, VideoProject.Status.FAILED):
        project.move_to(stage)
    project.save(update_fields=["status", "updated_at"])


def _refresh_text(scene: Scene, text: str) -> None:
    language = scene.script.project.language
    scene.text = text.strip()
    scene.keywords = list(extract_keywords(scene.text, language)) if scene.text else []
    scene.estimated_duration_s = estimate_duration_s(scene.text, language) if scene.text else 0.0


def scene_update(*, scene: Scene, text: str, visual_direction: str = "") -> Scene:
    text = text.strip()
    if not text and not visual_direction.strip():
        raise StoryboardError("A scene needs words to say or a picture to show.")
    if len(text) > MAX_SCENE_CHARS:
        raise StoryboardError(f"A scene can hold at most {MAX_SCENE_CHARS} characters; split it.")
    if text != scene.text:
        _refresh_text(scene, text)
    scene.visual_direction = visual_direction.strip()
    scene.save()
    _edited(scene.script.project)
    return scene


def scene_move(*, scene: Scene, offset: int) -> None:
    """Swap with the neighbour `offset` (-1 or +1) places away; nothing at either end."""
    with transaction.atomic():
        other = Scene.objects.filter(script=scene.script, position=scene.position + offset).first()
        if other is None:
            return
        other.position, scene.position = scene.position, other.position
        Scene.objects.bulk_update([scene, other], ["position"])
        _edited(scene.script.project)


def scene_split(*, scene: Scene, at: int | None = None) -> Scene:
    """Two scenes from one: at a character offset if given, else between its middle sentences.
    The second half keeps the picture's direction; both keep the voice settings."""
    text = scene.text
    if at is None:
        sentences = split_sentences(text)
        if len(sentences) < 2:
            raise StoryboardError("This scene has a single sentence; there is nothing to split.")
        first = " ".join(sentences[: len(sentences) // 2])
        second = " ".join(sentences[len(sentences) // 2 :])
    else:
        first, second = text[:at], text[at:]
    if not first.strip() or not second.strip():
        raise StoryboardError("Split inside the text, so that both scenes keep some words.")
    with transaction.atomic():
        Scene.objects.filter(script=scene.script, position__gt=scene.position).update(
            position=F("position") + 1
        )
        _refresh_text(scene, first)
        scene.save()
        new = Scene(
            script=scene.script,
            position=scene.position + 1,
            visual_direction=scene.visual_direction,
            speaker=scene.speaker,
            voice_id=scene.voice_id,
            voice_speed=scene.voice_speed,
        )
        _refresh_text(new, second)
        new.save()
        _edited(scene.script.project)
    return new


def scene_merge_with_next(*, scene: Scene) -> Scene:
    with transaction.atomic():
        following = Scene.objects.filter(script=scene.script, position=scene.position + 1).first()
        if following is None:
            raise StoryboardError("This is the last scene; there is no next scene to merge with.")
        merged = f"{scene.text} {following.text}".strip()
        if len(merged) > MAX_SCENE_CHARS:
            raise StoryboardError("Together these scenes would be too long for one scene.")
        _refresh_text(scene, merged)
        scene.visual_direction = scene.visual_direction or following.visual_direction
        scene.save()
        following.delete()
        _close_gap(scene.script_id, scene.position + 1)
        _edited(scene.script.project)
    return scene


def scene_delete(*, scene: Scene) -> None:
    with transaction.atomic():
        if scene.script.scenes.count() == 1:
            raise StoryboardError("A video needs at least one scene.")
        scene.delete()
        _close_gap(scene.script_id, scene.position)
        _edited(scene.script.project)


def _close_gap(script_id: int, position: int) -> None:
    Scene.objects.filter(script_id=script_id, position__gt=position).update(
        position=F("position") - 1
    )


def scene_add(*, project: VideoProject, text: str, after: Scene | None = None) -> Scene:
    if not text.strip():
        raise StoryboardError("Write what the new scene should say.")
    script = project.script
    with transaction.atomic():
        position = after.position + 1 if after else script.scenes.count()
        Scene.objects.filter(script=script, position__gte=position).update(
            position=F("position") + 1
        )
        scene = Scene(script=script, position=position)
        _refresh_text(scene, text[:MAX_SCENE_CHARS])
        scene.save()
        _edited(project)
    return scene


def scene_set_voice(*, scene: Scene, voice_id: str, speed: float) -> Scene:
    scene.voice_id = voice_id
    scene.voice_speed = speed
    scene.save(update_fields=["voice_id", "voice_speed"])
    return scene


def media_upload(*, user, upload, scene: Scene | None = None) -> MediaAsset:
    """Keep a validated upload in the user's library, and show it in `scene` if given."""
    asset = media_library.store_upload(user=user, upload=upload)
    if scene is not None:
        scene_pick_media(scene=scene, asset=asset)
    return asset


def scene_pick_media(*, scene: Scene, asset: MediaAsset) -> MediaAsset:
    """Show one of the user's library items in the scene: a row of the scene's sharing the file."""
    if asset.user_id != scene.script.project.user_id:
        raise StoryboardError("That picture is not in your library.")
    with transaction.atomic():
        if asset.scene_id != scene.pk:
            asset = MediaAsset.objects.create(
                user=asset.user,
                scene=scene,
                kind=asset.kind,
                source=MediaAsset.Source.LIBRARY,
                provider="library",
                title=asset.title,
                file=asset.file.name,
                thumbnail=asset.thumbnail.name,
                width=asset.width,
                height=asset.height,
                duration_s=asset.duration_s,
                size_bytes=asset.size_bytes,
                keywords=asset.keywords,
                file_hash=asset.file_hash,
                attribution=asset.attribution,
            )
        previous = scene.media
        scene.media = asset
        scene.save(update_fields=["media"])
        if previous is not None and previous.pk != asset.pk and previous.source != "upload":
            previous.delete()
        _edited(scene.script.project, stage=VideoProject.Status.MEDIA)
    return asset
