"""Projects: the dashboard, creating one, rendering, the result, and retry/duplicate/delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from payments_app import services as quotas

from .. import selectors
from ..analytics.tracking import VideoAnalytics
from ..forms import ProjectForm, ProjectSearchForm
from ..models import VideoProject, VideoTemplate
from ..services import progress, projects, suggestions
from ..services.projects import RunRefused

PROJECTS_PER_PAGE = 24


def owned_project(request, project_id: int) -> VideoProject:
    """The signed-in user's project; anyone else's is a 404, not a hint that it exists."""
    return get_object_or_404(selectors.project_for_user(request.user, project_id))


def quota_page(request, refusal):
    """A page, not an error: what the limit is, what the plan allows, how to get more."""
    return render(
        request,
        "payments_app/quota_exceeded.html",
        {
            "refusal": refusal,
            "plan": quotas.plan_for(request.user),
            "used": quotas.renders_used(request.user),
        },
        status=403,
    )


def start_run(request, project: VideoProject, kind: str, success: str, **options) -> bool:
    try:
        projects.run_start(project=project, kind=kind, **options)
    except RunRefused as refused:
        messages.error(request, refused.message)
        return False
    messages.info(request, success)
    return True


@login_required
def dashboard(request):
    form = ProjectSearchForm(request.GET or None)
    query = status = ""
    if form.is_valid():
        query, status = form.cleaned_data["q"], form.cleaned_data["status"]
    page = Paginator(
        selectors.projects_for_dashboard(request.user, query=query, status=status),
        PROJECTS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    return render(request, "video_app/dashboard.html", {"form": form, "page": page})


@login_required
def project_create(request):
    if "suggest" in request.POST:
        return _with_suggestion(request)
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        project = projects.project_create(
            user=request.user,
            title=data["title"],
            description=data["description"],
            template=data["template"],
            platforms=data["platforms"],
            style=data["style"],
            voice_id=data["voice_id"],
            language=data["language"],
            script_provider=data["script_provider"],
            media_provider=data["media_provider"],
            allow_provider_fallback=data["allow_provider_fallback"],
            target_duration_s=data["target_duration_s"],
        )
        messages.success(
            request, "Project created. Write your script, or let the AI write one from your topic."
        )
        return redirect("video_app:script", project.pk)
    return render(request, "video_app/project_form.html", {"form": form, "templates": _templates()})


@login_required
def project_settings(request, project_id: int):
    project = owned_project(request, project_id)
    if "suggest" in request.POST:
        return _with_suggestion(request, project)
    form = ProjectForm(
        request.POST or None, instance=project, initial={"platforms": project.platforms}
    )
    if request.method == "POST" and project.is_busy:
        # A run re-reads these settings at every step: a change mid-run would mix them.
        messages.error(request, projects.SETTINGS_BUSY)
        return redirect("video_app:project_detail", project.pk)
    if request.method == "POST" and form.is_valid():
        projects.project_update_settings(project=project, **form.cleaned_data)
        messages.success(request, "Project settings saved.")
        return redirect("video_app:project_detail", project.pk)
    return render(
        request,
        "video_app/project_form.html",
        {"form": form, "project": project, "templates": _templates()},
    )


def _with_suggestion(request, project=None):
    """The form again, as the creator filled it in, with the suggested template, platforms,
    style and length put in and the reasons shown. Nothing is saved until they submit."""
    form = ProjectForm(request.POST, instance=project)
    form.is_valid()  # for the values typed so far; errors are shown on the real submit
    values = {name: form.cleaned_data.get(name, form[name].value()) for name in form.fields}
    title, description = values.get("title") or "", values.get("description") or ""
    suggestion = None
    if (title + description).strip():
        suggestion = suggestions.suggest_settings(
            request.user, title=title, description=description, exclude=project
        )
        values.update(
            platforms=list(suggestion.platforms),
            style=suggestion.style,
            target_duration_s=suggestion.duration_s,
            template=suggestions.suggested_template(suggestion) or values.get("template"),
        )
    else:
        messages.info(request, "Describe your video first: suggestions come from what it is about.")
    form = ProjectForm(instance=project, initial=values)
    return render(
        request,
        "video_app/project_form.html",
        {
            "form": form,
            "project": project,
            "templates": _templates(),
            "suggestion": suggestion,
        },
    )


def _templates():
    return VideoTemplate.objects.filter(is_active=True)


@login_required
def project_detail(request, project_id: int):
    project = owned_project(request, project_id)
    VideoAnalytics.track_wizard_step(user=request.user, project=project, step="result")
    # The main platform (listed first) plays in the page; the others follow in the same order.
    order = {name: index for index, name in enumerate(project.platforms)}
    videos = sorted(project.videos.all(), key=lambda video: order.get(video.platform, len(order)))
    return render(
        request,
        "video_app/project_detail.html",
        {
            "project": project,
            "videos": videos,
            "state": progress.project_state(project),
        },
    )


@login_required
def project_render(request, project_id: int):
    project = owned_project(request, project_id)
    if request.method == "POST":
        try:
            projects.run_start(project=project, kind="render")
        except projects.RenderRefused as refused:  # the plan's page, not an error
            return quota_page(request, refused.refusal)
        except RunRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.info(
                request,
                "Rendering started. You can leave this page; we'll email you when it's done.",
            )
        return redirect("video_app:render", project.pk)
    VideoAnalytics.track_wizard_step(user=request.user, project=project, step="render")
    return render(
        request,
        "video_app/render.html",
        {
            "project": project,
            "scenes": selectors.scenes_of(project),
            "state": progress.project_state(project),
            "done_url": project.get_absolute_url(),
        },
    )


@login_required
@require_POST
def project_retry(request, project_id: int):
    project = owned_project(request, project_id)
    try:
        projects.project_retry(project=project)
    except projects.NothingToRetry as nothing:
        messages.info(request, nothing.message)
        return redirect("video_app:project_detail", project.pk)
    except projects.RenderRefused as refused:
        return quota_page(request, refused.refusal)
    except RunRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.info(request, "Trying again from the step that failed; finished work is reused.")
    page = "video_app:render" if project.run_kind == "render" else "video_app:project_detail"
    return redirect(page, project.pk)


@login_required
@require_POST
def project_cancel(request, project_id: int):
    project = owned_project(request, project_id)
    try:
        projects.run_cancel(project=project)
    except projects.NothingToCancel as nothing:
        messages.info(request, nothing.message)
    else:
        messages.success(request, projects.CANCELLED)
    page = "video_app:render" if project.run_kind == "render" else "video_app:project_detail"
    return redirect(page, project.pk)


@login_required
@require_POST
def project_duplicate(request, project_id: int):
    project = owned_project(request, project_id)
    copy = projects.project_duplicate(project=project)
    messages.success(request, f"“{copy.title}” created from “{project.title}”.")
    return redirect(
        "video_app:storyboard" if copy.script.scenes.exists() else "video_app:script", copy.pk
    )


@login_required
def project_delete(request, project_id: int):
    project = owned_project(request, project_id)
    if request.method == "POST":
        if project.is_busy:
            messages.error(request, "This project is being worked on; wait for it to finish first.")
            return redirect("video_app:project_detail", project.pk)
        title = project.title
        projects.project_delete(project=project)
        messages.success(request, f"“{title}” and its files were deleted.")
        return redirect("video_app:dashboard")
    return render(request, "video_app/project_confirm_delete.html", {"project": project})


@login_required
@require_GET
@never_cache
def project_status(request, project_id: int):
    """{status, step, progress, error} and the rest of the bar's state, for the page's fallback
    polling and for scripts. The owner's only (or staff's)."""
    projects_visible = (
        VideoProject.objects.all() if request.user.is_staff else request.user.video_projects.all()
    )
    project = get_object_or_404(projects_visible, pk=project_id)
    return JsonResponse(progress.project_state(project))
