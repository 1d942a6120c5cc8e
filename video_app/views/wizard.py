"""The wizard's steps after creating a project: script, storyboard, pictures and voices.

Edits are refused while a run is busy on the project (a render reads the scenes it started with).
Scene actions answer a page redirect, or JSON when the page's script sent them (in-place edits).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .. import selectors
from ..analytics.tracking import VideoAnalytics
from ..forms import (
    MediaUploadForm,
    PickMediaForm,
    SceneAddForm,
    SceneForm,
    SceneSplitForm,
    SceneVoiceForm,
    ScriptForm,
)
from ..models import Scene, VideoProject
from ..services import progress, projects, providers, storyboard
from ..services.media_library import UploadRefused
from ..services.storyboard import StoryboardError
from .projects import owned_project, start_run

BUSY = projects.EDIT_BUSY


def _page_context(project: VideoProject, **extra) -> dict:
    return {"project": project, "state": progress.project_state(project), **extra}


def _wants_json(request) -> bool:
    return request.headers.get("x-requested-with") == "fetch"


def _answer(
    request,
    project: VideoProject,
    page: str,
    *,
    error: str = "",
    ok: str = "",
    data: dict | None = None,
):
    if _wants_json(request):
        return JsonResponse(
            {"ok": not error, "error": error, **(data or {})}, status=400 if error else 200
        )
    if error:
        messages.error(request, error)
    elif ok:
        messages.success(request, ok)
    return redirect(page, project.pk)


# --- script -------------------------------------------------------------------------------------


@login_required
def script(request, project_id: int):
    project = owned_project(request, project_id)
    form = ScriptForm(request.POST or None, initial={"text": project.script.text})
    if request.method == "POST" and form.is_valid():
        if project.is_busy:
            messages.error(request, BUSY)
        else:
            projects.script_save(project=project, text=form.cleaned_data["text"])
            if "split" in request.POST:
                start_run(request, project, "scenes", "Splitting your script into scenes…")
                return redirect("video_app:storyboard", project.pk)
            messages.success(request, "Script saved.")
        return redirect("video_app:script", project.pk)
    VideoAnalytics.track_wizard_step(user=request.user, project=project, step="script")
    writer = providers.label(providers.SCRIPT_PROVIDERS, project.script.provider)
    return render(
        request, "video_app/script.html", _page_context(project, form=form, writer=writer)
    )


@login_required
@require_POST
def script_generate(request, project_id: int):
    project = owned_project(request, project_id)
    start_run(request, project, "script", "Writing a script from your title and description…")
    return redirect("video_app:script", project.pk)


@login_required
@require_POST
def scenes_make(request, project_id: int):
    project = owned_project(request, project_id)
    try:
        projects.run_start(project=project, kind="scenes")
    except projects.NoScript as refused:
        messages.error(request, refused.message)
        return redirect("video_app:script", project.pk)
    except projects.RunRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.info(request, "Splitting your script into scenes…")
    return redirect("video_app:storyboard", project.pk)


# --- storyboard ---------------------------------------------------------------------------------


@login_required
def storyboard_page(request, project_id: int):
    project = owned_project(request, project_id)
    VideoAnalytics.track_wizard_step(user=request.user, project=project, step="storyboard")
    return render(
        request,
        "video_app/storyboard.html",
        _page_context(
            project,
            scenes=selectors.scenes_of(project),
            add_form=SceneAddForm(),
        ),
    )


def _owned_scene(request, project_id: int, scene_id: int) -> tuple[VideoProject, Scene]:
    project = owned_project(request, project_id)
    scene = get_object_or_404(
        Scene.objects.select_related("script__project", "media"),
        pk=scene_id,
        script__project=project,
    )
    return project, scene


def _scene_action(request, project_id, scene_id, action, *, page="video_app:storyboard"):
    project, scene = _owned_scene(request, project_id, scene_id)
    if project.is_busy:
        return _answer(request, project, page, error=BUSY)
    try:
        ok, data = action(scene)
    except StoryboardError as refused:
        return _answer(request, project, page, error=refused.message)
    return _answer(request, project, page, ok=ok, data=data)


@login_required
@require_POST
def scene_edit(request, project_id: int, scene_id: int):
    form = SceneForm(request.POST)

    def edit(scene):
        if not form.is_valid():
            raise StoryboardError(" ".join(e for errors in form.errors.values() for e in errors))
        scene = storyboard.scene_update(scene=scene, **form.cleaned_data)
        return "Scene saved.", {
            "keywords": scene.keywords,
            "estimated_duration_s": scene.estimated_duration_s,
        }

    return _scene_action(request, project_id, scene_id, edit)


@login_required
@require_POST
def scene_move(request, project_id: int, scene_id: int):
    offset = -1 if request.POST.get("direction") == "up" else 1

    def move(scene):
        storyboard.scene_move(scene=scene, offset=offset)
        return "", None

    return _scene_action(request, project_id, scene_id, move)


@login_required
@require_POST
def scene_split(request, project_id: int, scene_id: int):
    form = SceneSplitForm(request.POST)
    at = form.cleaned_data["at"] if form.is_valid() else None

    def split(scene):
        storyboard.scene_split(scene=scene, at=at)
        return "Scene split in two.", None

    return _scene_action(request, project_id, scene_id, split)


@login_required
@require_POST
def scene_merge(request, project_id: int, scene_id: int):
    def merge(scene):
        storyboard.scene_merge_with_next(scene=scene)
        return "Scenes merged.", None

    return _scene_action(request, project_id, scene_id, merge)


@login_required
@require_POST
def scene_delete(request, project_id: int, scene_id: int):
    def delete(scene):
        storyboard.scene_delete(scene=scene)
        return "Scene deleted.", None

    return _scene_action(request, project_id, scene_id, delete)


@login_required
@require_POST
def scene_add(request, project_id: int):
    project = owned_project(request, project_id)
    form = SceneAddForm(request.POST)
    if project.is_busy:
        return _answer(request, project, "video_app:storyboard", error=BUSY)
    if not form.is_valid():
        return _answer(
            request, project, "video_app:storyboard", error="Write what the new scene should say."
        )
    after = None
    if form.cleaned_data["after"] is not None:
        after = get_object_or_404(Scene, pk=form.cleaned_data["after"], script__project=project)
    try:
        storyboard.scene_add(project=project, text=form.cleaned_data["text"], after=after)
    except StoryboardError as refused:
        return _answer(request, project, "video_app:storyboard", error=refused.message)
    return _answer(request, project, "video_app:storyboard", ok="Scene added.")


# --- pictures -----------------------------------------------------------------------------------


@login_required
def media_page(request, project_id: int):
    project = owned_project(request, project_id)
    if request.method == "POST":
        start_run(request, project, "media", "Finding a picture for every scene…")
        return redirect("video_app:media", project.pk)
    VideoAnalytics.track_wizard_step(user=request.user, project=project, step="media")
    library = list(selectors.library_of(request.user)[:60])
    return render(
        request,
        "video_app/media.html",
        _page_context(
            project,
            scenes=selectors.scenes_of(project),
            library=library,
            upload_form=MediaUploadForm(),
        ),
    )


@login_required
@require_POST
def scene_media_regenerate(request, project_id: int, scene_id: int):
    project, scene = _owned_scene(request, project_id, scene_id)
    start_run(
        request,
        project,
        "media",
        f"Making a new picture for scene {scene.position + 1}…",
        scene_ids=(scene.pk,),
        force=True,
    )
    return redirect("video_app:media", project.pk)


@login_required
@require_POST
def scene_media_upload(request, project_id: int, scene_id: int):
    project, scene = _owned_scene(request, project_id, scene_id)
    form = MediaUploadForm(request.POST, request.FILES)
    if project.is_busy:
        messages.error(request, BUSY)
    elif form.is_valid():
        try:
            storyboard.media_upload(
                user=request.user, upload=form.cleaned_data["file"], scene=scene
            )
        except UploadRefused as refused:
            messages.error(request, f"Scene {scene.position + 1}: {refused.message}")
        else:
            messages.success(
                request,
                f"Your upload now shows in scene {scene.position + 1} and is kept in your library.",
            )
    else:
        for error in form.errors.get("file", []):
            messages.error(request, f"Scene {scene.position + 1}: {error}")
    return redirect("video_app:media", project.pk)


@login_required
@require_POST
def scene_media_pick(request, project_id: int, scene_id: int):
    form = PickMediaForm(request.POST, user=request.user)

    def pick(scene):
        if not form.is_valid():
            raise StoryboardError("Choose one of the pictures in your library.")
        storyboard.scene_pick_media(scene=scene, asset=form.cleaned_data["asset"])
        return f"Scene {scene.position + 1} now shows “{form.cleaned_data['asset']}”.", None

    return _scene_action(request, project_id, scene_id, pick, page="video_app:media")


# --- voices -------------------------------------------------------------------------------------


@login_required
def voice_page(request, project_id: int):
    project = owned_project(request, project_id)
    if request.method == "POST":
        start_run(request, project, "voice", "Recording the voice of every scene…")
        return redirect("video_app:voice", project.pk)
    VideoAnalytics.track_wizard_step(user=request.user, project=project, step="voice")
    scenes = selectors.scenes_of(project)
    forms = {
        scene.pk: SceneVoiceForm(
            initial={
                "voice_id": scene.voice_id or project.voice_id,
                "speed": scene.voice_speed or project.voice_speed,
            },
            prefix=f"scene-{scene.pk}",
        )
        for scene in scenes
    }
    return render(
        request,
        "video_app/voice.html",
        _page_context(
            project,
            scenes=[(scene, forms[scene.pk]) for scene in scenes],
        ),
    )


@login_required
@require_POST
def scene_voice(request, project_id: int, scene_id: int):
    project, scene = _owned_scene(request, project_id, scene_id)
    form = SceneVoiceForm(request.POST, prefix=f"scene-{scene.pk}")
    if not form.is_valid():
        messages.error(
            request, f"Scene {scene.position + 1}: choose a voice and a speed between 0.5 and 2."
        )
        return redirect("video_app:voice", project.pk)
    if project.is_busy:
        messages.error(request, BUSY)
        return redirect("video_app:voice", project.pk)
    storyboard.scene_set_voice(
        scene=scene, voice_id=form.cleaned_data["voice_id"], speed=form.cleaned_data["speed"]
    )
    start_run(
        request,
        project,
        "voice",
        f"Recording scene {scene.position + 1} again…",
        scene_ids=(scene.pk,),
        force=True,
    )
    return redirect("video_app:voice", project.pk)
