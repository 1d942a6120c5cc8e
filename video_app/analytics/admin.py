"""Analytics in Django admin: the two logs as read-only lists, and the analytics page (renders per
day, failures and time per step, slowest projects, the creators' funnel), staff only."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path

from .models import StepPerformance, UserInteraction
from .selectors import WINDOW_DAYS, analytics_report


class ReadOnlyLogAdmin(admin.ModelAdmin):
    """A log is written by the product, never by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StepPerformance)
class StepPerformanceAdmin(ReadOnlyLogAdmin):
    list_display = (
        "started_at",
        "step",
        "subject",
        "outcome",
        "provider",
        "wall_s",
        "cpu_s",
        "peak_memory_mb",
        "project",
        "run",
        "worker",
    )
    list_filter = ("step", "outcome", "provider", "started_at")
    search_fields = ("project__title", "subject", "error", "worker")
    list_select_related = ("project",)
    date_hierarchy = "started_at"

    def get_urls(self):
        analytics = self.admin_site.admin_view(self.analytics_view)
        return [path("analytics/", analytics, name="video_app_analytics"), *super().get_urls()]

    def analytics_view(self, request):
        report = analytics_report()
        return TemplateResponse(
            request,
            "admin/video_app/analytics.html",
            {
                **self.admin_site.each_context(request),
                "title": "Analytics",
                "report": report,
                "chart_data": report.chart_data(),
                "window_days": WINDOW_DAYS,
                "opts": self.model._meta,
            },
        )


@admin.register(UserInteraction)
class UserInteractionAdmin(ReadOnlyLogAdmin):
    list_display = ("created_at", "action", "detail", "user", "project")
    list_filter = ("action", "created_at")
    search_fields = ("user__username", "project__title", "detail")
    list_select_related = ("user", "project")
    date_hierarchy = "created_at"
