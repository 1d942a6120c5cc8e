"""Admin for plans, memberships and render usage. Staff comp an account by granting a plan
(`services.grant_plan`); Stripe's own objects stay in dj-stripe's admin section."""

from datetime import timedelta

from django.contrib import admin, messages
from django.utils import timezone

from . import services
from .models import Membership, Plan, RenderUsage

GRANT_DAYS = 30


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "price_label",
        "renders_per_period",
        "max_video_s",
        "max_height_px",
        "watermark",
        "concurrent_renders",
        "queue_priority",
        "stripe_price_id",
        "is_default",
        "is_active",
        "position",
    )
    list_editable = ("is_active", "position")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "plan",
        "source",
        "status",
        "current_period_end",
        "cancel_at_period_end",
        "updated_at",
    )
    list_filter = ("plan", "source", "status", "cancel_at_period_end")
    search_fields = (
        "user__username",
        "user__email",
        "stripe_customer_id",
        "stripe_subscription_id",
    )
    list_select_related = ("user", "plan")
    raw_id_fields = ("user",)
    readonly_fields = (
        "stripe_customer_id",
        "stripe_subscription_id",
        "last_event_at",
        "updated_at",
    )
    actions = ["grant_creator"]

    def get_fields(self, request, obj=None):
        if obj is None:  # adding is granting: the plan, until when (empty: no end), why
            return ("user", "plan", "current_period_end", "note")
        return super().get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        granted = services.grant_plan(
            user=obj.user, plan=obj.plan, until=obj.current_period_end, note=obj.note
        )
        obj.pk = granted.pk

    @admin.action(description=f"Grant Creator for {GRANT_DAYS} days")
    def grant_creator(self, request, queryset):
        creator = Plan.objects.filter(slug="creator").first()
        if creator is None:
            self.message_user(request, "There is no plan with the slug “creator”.", messages.ERROR)
            return
        until = timezone.now() + timedelta(days=GRANT_DAYS)
        note = f"Granted by {request.user.get_username()} in admin"
        for membership in queryset.select_related("user"):
            services.grant_plan(user=membership.user, plan=creator, until=until, note=note)
        self.message_user(
            request, f"Granted Creator until {until:%d %B %Y} to {queryset.count()} member(s)."
        )


@admin.register(RenderUsage)
class RenderUsageAdmin(admin.ModelAdmin):
    list_display = ("user", "project_id", "run_number", "plan", "rendered_at")
    list_filter = ("plan",)
    search_fields = ("user__username", "user__email")
    list_select_related = ("user", "plan")
    date_hierarchy = "rendered_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
