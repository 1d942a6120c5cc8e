"""The REST API (`/api/v1/`): a creator's projects, their scenes, and the actions that start work
(render, retry, variations). Like the pages, every view reaches projects through the caller (so
another user's id is a 404), refuses edits while a run is busy, and leaves the work to services.
"""

from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django.utils.functional import cached_property
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import selectors
from ..models import Scene, VideoProject, VideoTemplate
from ..services import progress, projects, storyboard, variations
from .exceptions import Conflict, QuotaExceeded
from .serializers import (
    ErrorSerializer,
    ProjectSerializer,
    ProjectStateSerializer,
    QuotaErrorSerializer,
    RenderRequestSerializer,
    SceneSerializer,
    VariationsRequestSerializer,
)
from .throttling import STATUS_CALLS_PER_WINDOW, StatusPollThrottle

BUSY_SETTINGS = projects.SETTINGS_BUSY
NO_SCRIPT = (
    "This project has no script yet. Write one (PATCH the project's script), or send "
    "write_script: true to have one written from the title and description."
)
STATUS_LIMIT = (
    f"Calls to status have their own limit, {STATUS_CALLS_PER_WINDOW} a minute per user, and do "
    "not count against the plan's hourly limit; past it the answer is 429 with Retry-After."
)

# Every answer may be one of these, whatever the endpoint.
ERRORS = {401: ErrorSerializer, 404: ErrorSerializer, 429: ErrorSerializer}
INVALID = {400: OpenApiTypes.OBJECT}  # {"field": ["why", ...], ...}
CONFLICT = {409: ErrorSerializer}
QUOTA = {403: QuotaErrorSerializer}


def refuse_while_busy(project: VideoProject, message: str = projects.EDIT_BUSY) -> None:
    if project.is_busy:
        raise Conflict(message)


@extend_schema_view(
    list=extend_schema(responses={200: ProjectSerializer, **INVALID, **ERRORS}),  # bad filter
    create=extend_schema(responses={201: ProjectSerializer, **INVALID, **ERRORS}),
    retrieve=extend_schema(responses={200: ProjectSerializer, **ERRORS}),
    update=extend_schema(responses={200: ProjectSerializer, **INVALID, **CONFLICT, **ERRORS}),
    partial_update=extend_schema(
        responses={200: ProjectSerializer, **INVALID, **CONFLICT, **ERRORS}
    ),
    destroy=extend_schema(responses={204: None, **CONFLICT, **ERRORS}),
)
class ProjectViewSet(viewsets.ModelViewSet):
    """The caller's projects: settings and script, and the runs that make the video."""

    serializer_class = ProjectSerializer
    filterset_fields = ["status"]
    ordering_fields = ["created_at", "updated_at", "title"]
    ordering = ["-updated_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema, drawn with no one signed in
            return VideoProject.objects.none()
        return selectors.projects_for_dashboard(self.request.user).select_related("script")

    def _reloaded(self, project: VideoProject) -> VideoProject:
        return self.get_queryset().get(pk=project.pk)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        script = data.pop("script", {}).get("text", "")
        if "template" not in data:  # as the new project page, which starts on the explainer
            data["template"] = VideoTemplate.objects.filter(slug="explainer").first()
        project = projects.project_create(user=self.request.user, **data)
        if script.strip():
            projects.script_save(project=project, text=script)
        serializer.instance = self._reloaded(project)

    def perform_update(self, serializer):
        project = serializer.instance
        refuse_while_busy(project, BUSY_SETTINGS)  # a run re-reads the settings at every step
        data = dict(serializer.validated_data)
        script = data.pop("script", None)
        projects.project_update_settings(project=project, **data)
        if script is not None:
            projects.script_save(project=project, text=script["text"])
        serializer.instance = self._reloaded(project)

    def perform_destroy(self, instance):
        refuse_while_busy(instance, "This project is being worked on; wait for it to finish.")
        projects.project_delete(project=instance)

    @extend_schema(
        request=RenderRequestSerializer,
        responses={202: ProjectStateSerializer, **INVALID, **QUOTA, **CONFLICT, **ERRORS},
        summary="Render the video",
        description="Starts a render run: missing pictures and voices are made first, unchanged "
        "ones reused. Refused (403) when the plan's limits refuse, (409) while the project is "
        "busy or when it has no script.",
    )
    @action(detail=True, methods=["post"])
    def render(self, request, pk=None):
        project = self.get_object()
        options = RenderRequestSerializer(data=request.data)
        options.is_valid(raise_exception=True)
        # run_start decides (busy, script, plan); a refusal becomes a 409 or, for the plan's
        # limits, a 403 (api/exceptions.py).
        try:
            projects.run_start(
                project=project,
                kind="render",
                write_script=options.validated_data["write_script"],
            )
        except projects.NoScript:
            raise Conflict(NO_SCRIPT) from None
        return Response(progress.project_state(project), status=202)

    @extend_schema(
        request=None,
        responses={202: ProjectStateSerializer, **QUOTA, **CONFLICT, **ERRORS},
        summary="Retry a failed run",
        description="Runs the failed run's kind again from the step that failed; finished work "
        "is reused.",
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        project = self.get_object()
        projects.project_retry(project=project)
        return Response(progress.project_state(project), status=202)

    @extend_schema(
        request=None,
        responses={200: ProjectStateSerializer, **CONFLICT, **ERRORS},
        summary="Cancel the busy run",
        description="Stops the queued or running run: its tasks are dropped and a running step "
        "(FFmpeg included) stops within seconds. A render goes back to the stage it started "
        "from and is not counted against the plan. Refused (409) when nothing is running.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        project = self.get_object()
        try:
            projects.run_cancel(project=project)
        except projects.NothingToCancel as nothing:
            raise Conflict(nothing.message) from None
        return Response(progress.project_state(project))

    @extend_schema(
        responses={
            200: ProjectStateSerializer,
            **ERRORS,
            429: OpenApiResponse(ErrorSerializer, description=STATUS_LIMIT),
        },
        summary="The current run's progress",
        description="The same state as the page's progress bar and GET /projects/<id>/status/. "
        f"{STATUS_LIMIT} For live progress, open the WebSocket /ws/projects/<id>/ instead: it "
        'sends this state as JSON (with "type": "progress") once on connecting and again at '
        "every change. It accepts the project's owner or staff, signed in by the session cookie "
        "(not an API token), from an allowed Origin; others get the handshake refused (403).",
    )
    @action(detail=True, methods=["get"], throttle_classes=[StatusPollThrottle])
    def status(self, request, pk=None):
        response = Response(progress.project_state(self.get_object()))
        add_never_cache_headers(response)
        return response

    @extend_schema(
        request=VariationsRequestSerializer,
        responses={201: ProjectSerializer(many=True), **INVALID, **QUOTA, **ERRORS},
        summary="Make variations for A/B tests",
        description=f"One copy per length, style or list of platforms asked for (at most "
        f"{variations.MAX_VARIATIONS}), each linked to this project (duplicated_from) and named "
        "by what it changes (variation_label). A length variation gets a new script of that "
        "length, written when it renders. With render: true every copy is rendered, or none "
        "if the plan can't take them all.",
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def generate_variations(self, request, pk=None):
        project = self.get_object()
        asked = VariationsRequestSerializer(data=request.data, context={"project": project})
        asked.is_valid(raise_exception=True)
        options = asked.validated_data
        wanted = variations.variations_of(
            durations=options["durations"], styles=options["styles"], platforms=options["platforms"]
        )
        variations.variations_check(
            project=project, variations=wanted, replace_script=options["replace_script"]
        )
        if options["render"] and (
            refusal := variations.variations_refusal(project=project, variations=wanted)
        ):
            raise QuotaExceeded(refusal)
        copies = variations.variations_create(
            project=project, variations=wanted, render=options["render"]
        )
        reloaded = self.get_queryset().filter(pk__in=[copy.pk for copy in copies])
        return Response(self.get_serializer(reloaded.order_by("pk"), many=True).data, status=201)


PROJECT_PK = OpenApiParameter(
    "project_pk", int, OpenApiParameter.PATH, description="The project the scenes belong to."
)


@extend_schema(parameters=[PROJECT_PK])
@extend_schema_view(
    list=extend_schema(responses={200: SceneSerializer(many=True), **ERRORS}),
    create=extend_schema(responses={201: SceneSerializer, **INVALID, **CONFLICT, **ERRORS}),
    retrieve=extend_schema(responses={200: SceneSerializer, **ERRORS}),
    update=extend_schema(responses={200: SceneSerializer, **INVALID, **CONFLICT, **ERRORS}),
    partial_update=extend_schema(responses={200: SceneSerializer, **INVALID, **CONFLICT, **ERRORS}),
    destroy=extend_schema(responses={204: None, **INVALID, **CONFLICT, **ERRORS}),
)
class SceneViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A project's storyboard, in order: a scene's words and what it shows. Edits are the
    storyboard page's (`services.storyboard`): positions stay dense and the project's stage
    goes back so pictures and voices are made again where the words changed."""

    serializer_class = SceneSerializer
    pagination_class = None  # a storyboard is read whole
    filter_backends = []

    @cached_property
    def project(self) -> VideoProject:
        return get_object_or_404(
            selectors.project_for_user(self.request.user, self.kwargs["project_pk"])
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Scene.objects.none()
        return (
            Scene.objects.filter(script__project=self.project)
            .select_related("media", "audio", "script__project")
            .order_by("position")
        )

    def perform_create(self, serializer):
        refuse_while_busy(self.project)
        serializer.instance = storyboard.scene_add(
            project=self.project, text=serializer.validated_data["text"]
        )

    def perform_update(self, serializer):
        scene = serializer.instance
        refuse_while_busy(self.project)
        data = serializer.validated_data
        serializer.instance = storyboard.scene_update(
            scene=scene,
            text=data.get("text", scene.text),
            visual_direction=data.get("visual_direction", scene.visual_direction),
        )

    def perform_destroy(self, instance):
        refuse_while_busy(self.project)
        storyboard.scene_delete(scene=instance)
