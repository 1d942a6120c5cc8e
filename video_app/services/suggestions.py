"""Suggested settings for a creator's video, from its description and their earlier projects."""

from payments_app.services import plan_for

from ..models import VideoProject, VideoTemplate
from ..services.recommendations import ContentRecommender, PastProject, Suggestion

HISTORY_SIZE = 20  # the creator's latest projects are their current habits


def suggest_settings(
    user, *, title: str, description: str, exclude: VideoProject | None = None
) -> Suggestion:
    projects = VideoProject.objects.filter(user=user).select_related("template")
    if exclude is not None:
        projects = projects.exclude(pk=exclude.pk)
    history = [
        PastProject(
            template=project.template.slug if project.template else None,
            style=project.style,
            platforms=tuple(project.platforms),
            completed=project.status == VideoProject.Status.COMPLETED,
        )
        for project in projects.order_by("-created_at")[:HISTORY_SIZE]
    ]
    return ContentRecommender().recommend(
        f"{title}. {description}", history, max_duration_s=plan_for(user).max_video_s
    )


def suggested_template(suggestion: Suggestion) -> VideoTemplate | None:
    return VideoTemplate.objects.filter(slug=suggestion.template, is_active=True).first()
