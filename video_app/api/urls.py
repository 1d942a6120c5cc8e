"""The API's URLs under /api/: version 1 of the resources, the OpenAPI schema and its Swagger UI
(served from static/ by drf-spectacular-sidecar, no CDN), and the token page."""

from django.http import JsonResponse
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import pages, views

app_name = "api"


class Router(DefaultRouter):
    include_format_suffixes = False  # JSON by content negotiation; one URL per resource


router = Router()
router.register("projects", views.ProjectViewSet, basename="project")
router.register(
    r"projects/(?P<project_pk>[0-9]+)/scenes", views.SceneViewSet, basename="project-scene"
)


def not_found(request, rest=""):
    """Any other URL under /api/v1/ (a mistyped resource, a non-numeric id): JSON, as the
    API's other answers, not the site's HTML page."""
    return JsonResponse({"detail": "Not found."}, status=404)


urlpatterns = [
    path("v1/", include(router.urls)),
    re_path(r"^v1/(?P<rest>.*)$", not_found, name="not_found"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("token/", pages.token_page, name="token"),
]
