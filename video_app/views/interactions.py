"""What pages report about how they are used (analytics): a beacon the result page's script
sends when the owner plays the video. Only the owner's own project, only known actions."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_POST

from ..analytics.tracking import BEACON_ACTIONS, VideoAnalytics
from .projects import owned_project


@login_required
@require_POST
def interaction_beacon(request, project_id: int):
    project = owned_project(request, project_id)
    action = request.POST.get("action", "")
    if action not in BEACON_ACTIONS:
        return HttpResponseBadRequest("Unknown action.")
    platform = request.POST.get("platform", "")
    VideoAnalytics.track_user_interaction(
        user=request.user,
        project=project,
        action=action,
        detail=platform if platform in project.platforms else "",
    )
    return HttpResponse(status=204)
