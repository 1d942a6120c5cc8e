"""Django admin for staff."""

import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.urls import reverse
from django.utils.html import format_html

from .analytics import admin as analytics_admin  # noqa: F401  (the logs and the analytics page)
from .forms import AccountAdminChangeForm, AccountAdminCreationForm
from .models import (
    AudioAsset,
    MediaAsset,
    PipelineStep,
    ProviderCall,
    ProviderKey,
    RenderedVideo,
    Scene,
    TaskInHand,
    VideoProject,
    VideoScript,
    VideoTemplate,
)
from .services import projects, provider_keys
from .services.projects import ProjectBusy, RenderRefused, RunRefused
from .template_structure import in_schema_order

admin.site.site_header = f"{settings.PRODUCT_NAME} administration"
admin.site.site_title = f"{settings.PRODUCT_NAME} admin"
admin.site.index_title = "Projects, users and billing"


def thumbnail_tag(field_file, view: str, *args):
    """A small picture in admin lists, through the same access-checked file views as the pages
    (media has no public URL; staff may see every file)."""
    if not field_file:
        return "—"
    return format_html(
        '<img src="{}" alt="" style="height:48px;border-radius:4px">',
        reverse(f"video_app:{view}", args=args),
    )


class SceneInline(admin.TabularInline):
    model = Scene
    fields = ("position", "text", "visual_direction", "keywords", "media")
    raw_id_fields = ("media",)
    extra = 0


class PipelineStepInline(admin.TabularInline):
    model = PipelineStep
    fields = ("run_number", "name", "state", "progress", "message", "started_at", "finished_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-run_number", "position")


class RenderedVideoInline(admin.TabularInline):
    model = RenderedVideo
    fields = ("platform", "file", "width", "height", "duration_s", "size_bytes", "created_at")
    readonly_fields = fields
    extra = 0


@admin.register(VideoProject)
class VideoProjectAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "user",
        "status",
        "run_state",
        "failed_step",
        "template",
        "preview",
        "updated_at",
    )
    list_filter = ("status", "run_state", "failed_step", "style", "language", "template")
    search_fields = ("title", "description", "user__username", "user__email")
    list_select_related = ("user", "template")
    raw_id_fields = ("user", "duplicated_from")
    readonly_fields = (
        "run_number",
        "run_kind",
        "run_started_at",
        "run_finished_at",
        "emailed_run",
        "error_detail",
        "masters",
        "created_at",
        "updated_at",
        "completed_at",
    )
    inlines = [RenderedVideoInline, PipelineStepInline]
    actions = ["re_render", "retry", "mark_failed"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("videos")

    @admin.display(description="Thumbnail")
    def preview(self, project):
        videos = list(project.videos.all())
        if not videos:
            return "—"
        return thumbnail_tag(
            videos[0].thumbnail, "rendered_file", project.pk, videos[0].pk, "thumbnail"
        )

    def _each(self, request, queryset, action, done: str):
        count = 0
        for project in queryset:
            try:
                action(project)
                count += 1
            except RenderRefused as refused:
                # Staff act for the owner within the owner's plan (one rule for every path);
                # to give more, grant a plan in Billing, which keeps a record of who and why.
                refusal = f"“{project}”: {refused.message} Skipped; to allow more, grant a plan."
                self.message_user(request, refusal, messages.WARNING)
            except ProjectBusy:
                self.message_user(request, f"“{project}” is busy; skipped.", messages.WARNING)
            except RunRefused as refused:
                self.message_user(
                    request, f"“{project}”: {refused.message} Skipped.", messages.WARNING
                )
        self.message_user(request, done.format(count=count), messages.SUCCESS)

    @admin.action(description="Render again")
    def re_render(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda p: projects.run_start(project=p, kind="render"),
            "{count} render(s) queued.",
        )

    @admin.action(description="Retry the failed step")
    def retry(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda p: projects.project_retry(project=p),
            "{count} project(s) retried.",
        )

    @admin.action(description="Mark failed (a stuck run)")
    def mark_failed(self, request, queryset):
        busy = queryset.filter(run_state__in=VideoProject.BUSY_STATES)
        count = 0
        for project in busy:
            projects.project_mark_failed(
                project=project, reason="Stopped by our staff. Retry when you are ready."
            )
            count += 1
        self.message_user(request, f"{count} busy project(s) marked failed.", messages.SUCCESS)


class IndentedJSONField(forms.JSONField):
    """JSON laid out for reading and editing by hand."""

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):  # shown back as typed
            return value
        return json.dumps(in_schema_order(value), indent=2, ensure_ascii=False, cls=self.encoder)


class VideoTemplateForm(forms.ModelForm):
    # The model's clean() checks it against the schema (template_structure.py); the errors
    # show beside this field, each with where it is ("scenes[0].duration: ...").
    json_structure = IndentedJSONField(
        label="Structure",
        help_text='Scenes, transitions and "render" settings (pacing, captions, cards, music). '
        'See "Templates" in the README.',
        widget=forms.Textarea(
            attrs={
                "rows": 32,
                "spellcheck": "false",
                "style": "font-family: ui-monospace, monospace; width: 48em",
            }
        ),
    )

    class Meta:
        model = VideoTemplate
        # The preview is drawn from the structure (services/template_previews.py), not uploaded.
        fields = [
            "name",
            "slug",
            "description",
            "category",
            "difficulty_level",
            "industry",
            "estimated_duration",
            "is_active",
            "json_structure",
        ]


@admin.register(VideoTemplate)
class VideoTemplateAdmin(admin.ModelAdmin):
    form = VideoTemplateForm
    list_display = (
        "name",
        "slug",
        "category",
        "difficulty_level",
        "industry",
        "estimated_duration",
        "is_active",
        "preview",
    )
    list_filter = ("category", "difficulty_level", "industry", "is_active")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("preview_picture",)

    @admin.display(description="Preview")
    def preview(self, template, height_px=48):
        # Through the view, which draws a preview of the current structure if there is none.
        if not template.pk or not template.is_active:  # the view serves active templates only
            return "—"
        return format_html(
            '<img src="{}" alt="" style="height:{}px;border-radius:4px">',
            reverse("video_app:template_preview", args=[template.slug]),
            height_px,
        )

    @admin.display(description="Preview")
    def preview_picture(self, template):
        return self.preview(template, height_px=270)


@admin.register(VideoScript)
class VideoScriptAdmin(admin.ModelAdmin):
    list_display = ("project", "provider", "template_based", "updated_at")
    list_filter = ("provider", "template_based")
    search_fields = ("project__title", "text")
    raw_id_fields = ("project",)
    inlines = [SceneInline]


@admin.register(Scene)
class SceneAdmin(admin.ModelAdmin):
    list_display = ("__str__", "position", "speaker", "estimated_duration_s", "picture")
    search_fields = ("text", "script__project__title")
    list_select_related = ("script__project", "media")
    raw_id_fields = ("script", "media")

    @admin.display(description="Picture")
    def picture(self, scene):
        if not scene.media:
            return "—"
        return thumbnail_tag(scene.media.thumbnail, "media_file", scene.media.pk, "thumbnail")


@admin.register(MediaAsset)
class MediaAssetAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "user",
        "kind",
        "source",
        "provider",
        "width",
        "height",
        "picture",
        "created_at",
    )
    list_filter = ("kind", "source", "provider")
    search_fields = ("title", "query", "user__username", "attribution")
    list_select_related = ("user",)
    raw_id_fields = ("user", "scene")

    @admin.display(description="Picture")
    def picture(self, asset):
        return thumbnail_tag(asset.thumbnail, "media_file", asset.pk, "thumbnail")


@admin.register(AudioAsset)
class AudioAssetAdmin(admin.ModelAdmin):
    list_display = ("scene", "voice_id", "provider", "speed", "duration_s", "created_at")
    list_filter = ("provider", "voice_id")
    search_fields = ("scene__text", "scene__script__project__title")
    list_select_related = ("scene__script__project",)
    raw_id_fields = ("scene",)


@admin.register(RenderedVideo)
class RenderedVideoAdmin(admin.ModelAdmin):
    list_display = (
        "project",
        "platform",
        "width",
        "height",
        "duration_s",
        "size_bytes",
        "picture",
        "created_at",
    )
    list_filter = ("platform", "trimmed")
    search_fields = ("project__title", "project__user__username")
    list_select_related = ("project__user",)
    raw_id_fields = ("project",)

    @admin.display(description="Thumbnail")
    def picture(self, video):
        return thumbnail_tag(
            video.thumbnail, "rendered_file", video.project_id, video.pk, "thumbnail"
        )


@admin.register(PipelineStep)
class PipelineStepAdmin(admin.ModelAdmin):
    list_display = (
        "project",
        "run_number",
        "name",
        "state",
        "progress",
        "started_at",
        "finished_at",
    )
    list_filter = ("name", "state")
    search_fields = ("project__title",)
    list_select_related = ("project__user",)
    raw_id_fields = ("project",)


@admin.register(TaskInHand)
class TaskInHandAdmin(admin.ModelAdmin):
    """What workers hold now, and their last sign of life (written by workers only)."""

    list_display = (
        "task_name",
        "project",
        "run_number",
        "step",
        "worker",
        "attempts",
        "started_at",
        "heartbeat_at",
    )
    list_filter = ("step",)
    list_select_related = ("project__user",)
    readonly_fields = [field.name for field in TaskInHand._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ProviderKeyForm(forms.ModelForm):
    """The key is typed in and never shown again (the page and its HTML hold no saved value)."""

    name = forms.ChoiceField(choices=[(name, name) for name in provider_keys.KEY_NAMES])
    value = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        label="Key",
        help_text="Saved keys are never displayed. Type a new one to replace it.",
    )

    class Meta:
        model = ProviderKey
        fields = ["name", "value"]


@admin.register(ProviderKey)
class ProviderKeyAdmin(admin.ModelAdmin):
    form = ProviderKeyForm
    list_display = ("name", "updated_at", "overridden_by_environment")

    @admin.display(boolean=True, description="Environment wins")
    def overridden_by_environment(self, key):
        return bool(getattr(settings, key.name, ""))


@admin.register(ProviderCall)
class ProviderCallAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "provider",
        "capability",
        "units",
        "unit",
        "outcome",
        "duration_s",
        "project",
    )
    list_filter = ("provider", "capability", "outcome")
    search_fields = ("provider", "project__title")
    list_select_related = ("project",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Staff create and edit accounts under the same rules as sign-up: no "@" in a username, one
# account per email whatever its case (forms.AccountRulesMixin).
admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class AccountAdmin(UserAdmin):
    add_form = AccountAdminCreationForm
    form = AccountAdminChangeForm
