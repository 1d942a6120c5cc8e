"""Rows and files for tests, made through the same services the product uses where there is one
(projects, storyboards); rendered videos and voices, which only workers make, with small
stand-in files."""

import io
import wave

from django.core.files.base import ContentFile
from PIL import Image

from video_app.models import AudioAsset, RenderedVideo, Scene, VideoTemplate
from video_app.services import projects, storyboard

SHORT_SCRIPT = (
    "[a sunrise over the sea] Every morning the tide brings new shells to the beach.\n\n"
    "[children on the sand] Children collect them before breakfast.\n\n"
    "[a shell in a hand] Each shell was once a home."
)


def make_project(
    user,
    *,
    title="Shells on the beach",
    script=SHORT_SCRIPT,
    platforms=("instagram_square",),
    **fields,
):
    project = projects.project_create(
        user=user,
        title=title,
        description=fields.pop("description", "Where shells come from"),
        template=VideoTemplate.objects.filter(slug="explainer").first(),
        platforms=list(platforms),
        style=fields.pop("style", "modern"),
        voice_id=fields.pop("voice_id", ""),
        language=fields.pop("language", "en"),
    )
    if script:
        projects.script_save(project=project, text=script)
    return project


# A storyboard made scene by scene (not split from a script); the first scene has two sentences.
STORYBOARD_TEXTS = (
    "Every morning the tide brings new shells to the beach. The sand is still wet.",
    "Children collect them before breakfast.",
    "Each shell was once a home.",
)


def make_storyboard(user, texts=STORYBOARD_TEXTS):
    project = make_project(user)
    for text in texts:
        storyboard.scene_add(project=project, text=text)
    return project


def scenes(project) -> list[Scene]:
    return list(Scene.objects.filter(script__project=project).order_by("position"))


def texts(project) -> list[str]:
    return [scene.text for scene in scenes(project)]


# --- files and pages ----------------------------------------------------------------------------


def png_bytes(size=(320, 200), colour="#2471a3", image_format="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=image_format)
    return out.getvalue()


def wav_bytes(duration_s=0.3, rate=16000) -> bytes:
    """Silence, as a real WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(rate)
        sound.writeframes(b"\x00\x00" * int(rate * duration_s))
    return out.getvalue()


def page_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


# --- what the workers make ----------------------------------------------------------------------

VIDEO_BYTES = b"\x00\x00\x00\x18ftypmp42 not really a video"
SRT_TEXT = "1\n00:00:00,000 --> 00:00:02,000\nEvery morning the tide\n"
VTT_TEXT = "WEBVTT\n\n00:00.000 --> 00:02.000\nEvery morning the tide\n"


def add_video(project, platform="instagram_square", *, stem="shells", **fields) -> RenderedVideo:
    """A rendered video of `project` for `platform` with stand-in files: `VIDEO_BYTES`, a JPEG
    thumbnail, `SRT_TEXT` and `VTT_TEXT` captions."""
    fields = {
        "width": 1080,
        "height": 1080,
        "duration_s": 6.0,
        "size_bytes": len(VIDEO_BYTES),
        "input_hash": "b" * 32,
        "run_number": 1,
        **fields,
    }
    video = RenderedVideo(project=project, platform=platform, **fields)
    name = f"{stem}.{platform}"
    video.file.save(f"{name}.mp4", ContentFile(VIDEO_BYTES), save=False)
    video.thumbnail.save(
        f"{name}.jpg", ContentFile(png_bytes((108, 108), image_format="JPEG")), save=False
    )
    video.srt_file.save(f"{name}.srt", ContentFile(SRT_TEXT.encode()), save=False)
    video.vtt_file.save(f"{name}.vtt", ContentFile(VTT_TEXT.encode()), save=False)
    video.save()
    return video


def add_voice(scene, *, voice_id="piper:en_US-joe-medium", **fields) -> AudioAsset:
    """A voiceover of `scene`: 0.3 s of silence as a real WAV file."""
    provider = voice_id.split(":")[0]
    fields = {"provider": provider, "duration_s": 0.3, "input_hash": "a" * 32} | fields
    audio = AudioAsset(scene=scene, voice_id=voice_id, **fields)
    audio.file.save(f"scene-{scene.position}.wav", ContentFile(wav_bytes()))
    return audio
