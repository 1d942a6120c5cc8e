"""Plans as the rest of the product sees them: which plan a user has, whether a render is
allowed, what it may produce, and counting finished renders. The views, the render task and the
Stripe webhooks all go through here, so a limit is decided one way everywhere.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import PERIOD, Membership, Plan, RenderUsage


@dataclass(frozen=True)
class QuotaRefusal:
    """Why a render can't start, for a page a person reads and an upgrade link."""

    limit: str  # "renders" | "concurrent" | "length"
    message: str


def plan_for(user) -> Plan:
    membership = Membership.objects.filter(user=user).select_related("plan").first()
    if membership is not None and membership.is_current():
        return membership.plan
    return default_plan()


def default_plan() -> Plan:
    plan = Plan.objects.filter(is_default=True).first()
    if plan is None:  # an installation without plans: the built-in Free limits
        plan = Plan(
            slug="free",
            name="Free",
            price_label="Free",
            renders_per_period=5,
            max_video_s=60,
            max_height_px=720,
            watermark=True,
        )
    return plan


def period_start(user, now: datetime | None = None) -> datetime:
    """When the current billing period began: the subscription's, else a rolling window."""
    now = now or timezone.now()
    membership = Membership.objects.filter(user=user).first()
    if membership is not None and membership.is_current(now):
        return membership.current_period_start
    return now - PERIOD


def renders_used(user) -> int:
    return RenderUsage.objects.filter(user=user, rendered_at__gte=period_start(user)).count()


def render_refusal(user, *, busy_renders: int, video_s: float | None = None,
                   count: int = 1) -> QuotaRefusal | None:  # fmt: skip
    """None when `user` may start a render now; else why not. `busy_renders`: their renders
    already queued or running (the caller counts them; this app doesn't know projects).
    `count`: renders asked for at once (API variations), allowed only if all of them are."""
    plan = plan_for(user)
    used = renders_used(user)
    if plan.renders_per_period is not None and used + count > plan.renders_per_period:
        if count > 1 and used < plan.renders_per_period:
            return QuotaRefusal(
                "renders",
                (
                    f"These {count} renders need {count} of your {plan.name} plan's renders; "
                    f"{plan.renders_per_period - used} are left this period. Ask for fewer, "
                    "or upgrade."
                ),
            )
        return QuotaRefusal(
            "renders",
            (
                f"You have used the {plan.renders_per_period} renders of your {plan.name} plan for "
                "this period. Upgrade for more, or wait until the period renews."
            ),
        )
    if busy_renders + count > plan.concurrent_renders:
        at_a_time = (
            f"Your {plan.name} plan renders {plan.concurrent_renders} video"
            f"{'s' if plan.concurrent_renders != 1 else ''} at a time."
        )
        if count > 1:
            already = f" with the {busy_renders} already rendering" if busy_renders else ""
            return QuotaRefusal(
                "concurrent",
                f"{at_a_time} These {count}{already} would be more. Ask for fewer, or upgrade.",
            )
        return QuotaRefusal(
            "concurrent", f"{at_a_time} Wait for the current one to finish, or upgrade."
        )
    if video_s is not None and video_s > plan.max_video_s:
        return QuotaRefusal(
            "length",
            (
                f"This video would be about {round(video_s)} s long; your {plan.name} plan makes "
                f"videos up to {plan.max_video_s} s. Shorten the script, or upgrade."
            ),
        )
    return None


def render_priority(user) -> int:
    """The Celery message priority of the user's renders. The plan says 0 (last) to 9 (first);
    Redis, the production broker, serves 0 first, so the scale is turned over."""
    return 9 - min(9, plan_for(user).queue_priority)


def record_render(user, *, project_id: int, run_number: int) -> bool:
    """Count a finished render once, whatever the number of times it is reported."""
    try:
        with transaction.atomic():
            plan = plan_for(user)
            RenderUsage.objects.create(
                user=user,
                project_id=project_id,
                run_number=run_number,
                plan=plan if plan.pk else None,
            )
    except IntegrityError:
        return False
    return True


def grant_plan(*, user, plan: Plan, until: datetime | None = None, note: str = "") -> Membership:
    """Staff give a plan by hand (a comped account); a Stripe subscription replaces it."""
    membership, _ = Membership.objects.update_or_create(
        user=user,
        defaults={
            "plan": plan,
            "source": Membership.Source.STAFF,
            "status": Membership.Status.ACTIVE,
            "current_period_start": timezone.now(),
            "current_period_end": until,
            "cancel_at_period_end": False,
            "note": note,
        },
    )
    return membership
