"""Files, served only to their owner: rendered videos, captions, thumbnails and hover previews,
scene pictures and voices, plus voice samples and template previews. Media is never served from
a public URL; on S3 the answer is a short-lived presigned redirect."""

from pathlib import Path, PurePosixPath

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from ..analytics.tracking import VideoAnalytics
from ..engine import voice
from ..engine.core.errors import EngineError
from ..models import AudioAsset, MediaAsset, RenderedVideo, VideoProject, VideoTemplate
from ..services.cache_service import VideoCacheService
from ..services.files import stored
from ..services.template_previews import ensure_preview


def visible_project(request, project_id: int) -> VideoProject:
    """The owner's project; staff may see any (admin shows thumbnails through these views)."""
    projects = VideoProject.objects.all() if request.user.is_staff else request.user.video_projects
    return get_object_or_404(projects, pk=project_id)


RENDERED_FIELDS = {"video": "file", "thumbnail": "thumbnail", "srt": "srt_file", "vtt": "vtt_file"}
# A voice reads its sample in its own language (a Spanish voice reading English says little).
VOICE_SAMPLES = {
    "en": "Hello! This is how I will read your script.",
    "es": "¡Hola! Así es como leeré tu guion.",
}


def serve(field_file, *, download: bool = False, filename: str | None = None):
    if not field_file:
        raise Http404("No such file.")
    name = filename or Path(field_file.name).name
    try:
        path = field_file.path
    except NotImplementedError:  # S3: the browser fetches it directly, through a signed link
        # S3 answers with the headers the signed link asks for: a download keeps its name.
        headers = {"ResponseContentDisposition": content_disposition_header(True, name)}
        url = field_file.storage.url(field_file.name, parameters=headers if download else None)
        return HttpResponseRedirect(url)
    if not Path(path).is_file():  # missing, or a folder named by a hand-written /media/ URL
        raise Http404("This file is missing; render the project again.")
    return FileResponse(open(path, "rb"), as_attachment=download, filename=name)


@login_required
@require_GET
def rendered_file(request, project_id: int, video_id: int, kind: str):
    project = visible_project(request, project_id)
    video = get_object_or_404(RenderedVideo, pk=video_id, project=project)
    if kind == "preview":
        return serve(stored(_video_preview(video)))
    if kind not in RENDERED_FIELDS:
        raise Http404("No such file.")
    field_file = getattr(video, RENDERED_FIELDS[kind])
    download = "download" in request.GET
    if download and field_file:
        VideoAnalytics.track_download(user=request.user, project=project, video=video, kind=kind)
    # Named after the project, whatever name storage gave the file to keep it unique.
    suffix = Path(field_file.name).suffix
    name = f"{slugify(project.title)[:50] or 'video'}.{video.platform}{suffix}"
    return serve(field_file, download=download, filename=name)


def _video_preview(video: RenderedVideo) -> str:
    if not video.file:
        raise Http404("No such file.")
    try:
        return VideoCacheService().video_preview(video)
    except EngineError as error:  # e.g. the video's file is missing or unreadable
        raise Http404(error.message) from error


@login_required
@require_GET
def media_file(request, asset_id: int, kind: str):
    assets = MediaAsset.objects.all() if request.user.is_staff else request.user.media_assets
    asset = get_object_or_404(assets, pk=asset_id)
    return serve(asset.thumbnail if kind == "thumbnail" else asset.file)


@login_required
@require_GET
def scene_audio(request, project_id: int, scene_id: int):
    project = visible_project(request, project_id)
    audio = get_object_or_404(AudioAsset, scene_id=scene_id, scene__script__project=project)
    return serve(audio.file)


# Stored names start with the area and, for a user's files, the owner's id (models' upload_to).
USER_AREAS = {"media", "voices", "projects"}
SHARED_AREAS = {"templates"}


@login_required
@require_GET
def stored_file(request, name: str):
    """MEDIA_URL itself: a stored file by name, for its owner (by the id in its path) or staff.
    Keeps `FieldFile.url` usable in admin and templates without making media public."""
    parts = PurePosixPath(name).parts
    if not parts or ".." in parts or name.startswith("/"):
        raise Http404("No such file.")
    owner_ok = parts[0] in USER_AREAS and len(parts) > 2 and parts[1] == str(request.user.pk)
    if not (request.user.is_staff or owner_ok or parts[0] in SHARED_AREAS):
        raise Http404("No such file.")
    if not default_storage.exists(name):
        raise Http404("No such file.")
    return serve(stored(name))


@login_required
@require_GET
def voice_sample(request):
    """A short sample of a voice, made once per voice for every process (kept in storage)."""
    voice_id = (
        request.GET.get("voice") or voice.default_voice_for(request.GET.get("language", "en")).id
    )
    chosen = next((choice for choice in voice.available_voices() if choice.id == voice_id), None)
    if chosen is None:
        raise Http404("No such voice.")
    sample = VOICE_SAMPLES.get(chosen.language.split("-")[0].lower(), VOICE_SAMPLES["en"])

    def speak(path: Path) -> None:
        voice.synthesize(sample, voice_id=voice_id, out_path=path)

    try:
        name = VideoCacheService().stored_file(
            "voice-sample", (voice_id, sample), speak, suffix=".wav"
        )
    except EngineError as error:
        raise Http404(error.message) from error
    return serve(stored(name))


@login_required
@require_GET
def template_preview(request, slug: str):
    template = get_object_or_404(VideoTemplate, slug=slug, is_active=True)
    return serve(ensure_preview(template).preview_image)
