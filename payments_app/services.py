"""Plans as the rest of the product sees them: which plan a user has, whether a render is
allowed, what it may produce, and counting finished renders. The views, the render task and the
Stripe webhooks all go through here, so a limit is decided one way everywhere.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from .models import PERIOD, Membership, Plan, RenderUsage


@dataclass(frozen=True)
class QuotaRefusal:
    """Why a render can't start, for a page a person reads and an upgrade link."""

    limit: str  # "renders" | "concurrent" | "length" | "storage"
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


def plan_decisions_lock(user) -> None:
    """Serialise the plan decisions of one user: inside the caller's transaction, until it ends.

    PostgreSQL: a row lock on the user (`select_for_update`), so two processes deciding whether
    the same user may start a render take turns, while other users' decisions go on. SQLite
    takes no row locks, but its transactions are IMMEDIATE (settings): the first write lock is
    taken at BEGIN, so every writing transaction already runs one at a time."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("plan_decisions_lock() holds only inside transaction.atomic()")
    type(user).objects.select_for_update().filter(pk=user.pk).exists()


def render_refusal(
    user, *, busy_renders: int, video_s: float | None = None, count: int = 1
) -> QuotaRefusal | None:
    """None when `user` may start a render now; else why not. `busy_renders`: their renders
    already queued or running (the caller counts them; this app doesn't know projects).
    `count`: renders asked for at once (API variations), allowed only if all of them are.

    A render in flight holds one of the period's renders until it ends (counted if it made
    something, given back if it failed or reused everything): otherwise six requests at once
    could all start with five left. Callers that start the run hold `plan_decisions_lock`."""
    plan = plan_for(user)
    used = renders_used(user)
    if (
        plan.renders_per_period is not None
        and used + busy_renders + count > plan.renders_per_period
    ):
        left = max(0, plan.renders_per_period - used - busy_renders)
        if count > 1 and left:
            return QuotaRefusal(
                "renders",
                (
                    f"These {count} renders need {count} of your {plan.name} plan's renders; "
                    f"{left} are left this period. Ask for fewer, "
                    "or upgrade."
                ),
            )
        if busy_renders and used < plan.renders_per_period:
            return QuotaRefusal(
                "renders",
                (
                    f"Your {plan.name} plan allows {plan.renders_per_period} renders this period, "
                    "and with the ones in progress all of them are taken. Wait for those to "
                    "finish (a render that fails or changes nothing is given back), or upgrade."
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
    if video_s is not None:
        return length_refusal(plan, video_s=video_s, estimated=True)
    return None


def length_refusal(plan: Plan, *, video_s: float, estimated: bool) -> QuotaRefusal | None:
    """The plan's longest video: estimated from the storyboard when a render is asked for,
    measured from the timeline when it is rendered."""
    if video_s <= plan.max_video_s:
        return None
    length = f"would be about {round(video_s)} s" if estimated else f"is {round(video_s)} s"
    return QuotaRefusal(
        "length",
        (
            f"This video {length} long; your {plan.name} plan makes videos up to "
            f"{plan.max_video_s} s. Shorten the script, or upgrade."
        ),
    )


def render_priority(user) -> int:
    """The Celery message priority of the user's renders. The plan says 0 (last) to 9 (first);
    Redis, the production broker, serves 0 first, so the scale is turned over."""
    return 9 - min(9, plan_for(user).queue_priority)


def record_render(user, *, project_id: int, run_number: int, newest_output_run: int) -> bool:
    """Count a finished render once, whatever the number of times it is reported; True if
    counted now. `newest_output_run`: the run that made the newest of the files it delivers.
    A render whose files were all made by a run already counted (an unchanged re-render reuses
    every master and export) made nothing new and is not counted; files made by a run that
    failed before it was counted are counted with the run that delivers them."""
    last_counted = (
        RenderUsage.objects.filter(project_id=project_id).aggregate(last=Max("run_number"))["last"]
        or 0
    )
    if newest_output_run <= last_counted:
        return False
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


def storage_quota_bytes(user) -> int | None:
    """How much the user's uploads may take, or None for no limit."""
    quota_mb = plan_for(user).storage_quota_mb
    return None if quota_mb is None else quota_mb * 1024 * 1024


def storage_refusal(user, *, used_bytes: int, adding_bytes: int) -> QuotaRefusal | None:
    """None when `user` may keep `adding_bytes` more of uploads; else why not. `used_bytes`:
    what their uploads take now (the caller counts them, under `plan_decisions_lock`, so two
    uploads at once cannot both take the last of the space)."""
    quota_bytes = storage_quota_bytes(user)
    if quota_bytes is None or used_bytes + adding_bytes <= quota_bytes:
        return None
    plan = plan_for(user)
    left_bytes = max(0, quota_bytes - used_bytes)
    return QuotaRefusal(
        "storage",
        (
            f"This file needs {_size_text(adding_bytes)}, but only {_size_text(left_bytes)} of "
            f"your {plan.name} plan's {_size_text(quota_bytes)} of storage is left. Delete "
            "uploads you no longer use, or upgrade."
        ),
    )


def _size_text(size_bytes: int) -> str:
    megabytes = size_bytes / (1024 * 1024)
    return f"{megabytes / 1024:.1f} GB" if megabytes >= 1024 else f"{megabytes:.1f} MB"
