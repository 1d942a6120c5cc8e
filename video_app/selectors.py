"""Reads for pages: querysets shaped so a page makes a fixed number of queries however many
projects or scenes there are."""

from django.db.models import Prefetch, Q, QuerySet

from .models import MediaAsset, RenderedVideo, Scene, VideoProject


def projects_for_dashboard(user, *, query: str = "", status: str = "") -> QuerySet:
    projects = (
        VideoProject.objects.filter(user=user)
        .select_related("template")
        .prefetch_related(Prefetch("videos", queryset=RenderedVideo.objects.order_by("platform")))
    )
    if query:
        projects = projects.filter(Q(title__icontains=query) | Q(description__icontains=query))
    if status:
        projects = projects.filter(status=status)
    return projects


def project_for_user(user, project_id: int) -> QuerySet:
    return VideoProject.objects.filter(pk=project_id, user=user).select_related(
        "template", "script"
    )


def scenes_of(project: VideoProject) -> list[Scene]:
    return list(
        Scene.objects.filter(script__project=project)
        .select_related("media", "audio")
        .order_by("position")
    )


def library_of(user) -> QuerySet:
    return MediaAsset.objects.filter(user=user, source=MediaAsset.Source.UPLOAD)
