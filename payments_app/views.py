"""Pricing, Checkout and the billing page. Stripe is reached only through `stripe_sync`; plans
and usage through `services`, so the page shows what the render quotas actually enforce."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from video_app.services.media_library import storage_used_bytes

from . import services, stripe_sync
from .models import Membership, Plan


@require_GET
def pricing(request):
    plans = Plan.objects.filter(is_active=True)
    current = services.plan_for(request.user) if request.user.is_authenticated else None
    return render(
        request,
        "payments_app/pricing.html",
        {
            "plans": [(plan, plan_features(plan)) for plan in plans],
            "current_plan": current,
            "billing_enabled": stripe_sync.billing_enabled(),
        },
    )


@require_POST
@login_required
def checkout(request, slug):
    plan = get_object_or_404(Plan, slug=slug, is_active=True)
    success_url = request.build_absolute_uri(reverse("payments_app:checkout_success"))
    try:
        checkout_url = stripe_sync.checkout_session_create(
            user=request.user,
            plan=plan,
            # Stripe fills in {CHECKOUT_SESSION_ID} itself: it must reach Stripe unescaped.
            success_url=success_url + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=request.build_absolute_uri(reverse("payments_app:checkout_cancel")),
        )
    except stripe_sync.BillingUnavailable as refusal:
        messages.error(request, refusal.message)
        return redirect("payments_app:pricing")
    return HttpResponseSeeOther(checkout_url)


@require_GET
@login_required
def checkout_success(request):
    return render(
        request, "payments_app/checkout_success.html", {"plan": services.plan_for(request.user)}
    )


@require_GET
@login_required
def checkout_cancel(request):
    return render(request, "payments_app/checkout_cancel.html")


@require_GET
@login_required
def billing(request):
    plan = services.plan_for(request.user)
    membership = Membership.objects.filter(user=request.user).first()
    if membership is not None and not membership.is_current():
        membership = None  # lapsed: the user is on the default plan
    return render(
        request,
        "payments_app/billing.html",
        {
            "plan": plan,
            "features": plan_features(plan),
            "membership": membership,
            "renders_used": services.renders_used(request.user),
            "storage_used_bytes": storage_used_bytes(request.user),
            "storage_quota_bytes": services.storage_quota_bytes(request.user),
            "can_manage": stripe_sync.billing_enabled()
            and bool(stripe_sync.customer_id_for(request.user)),
        },
    )


@require_POST
@login_required
def billing_portal(request):
    return_url = request.build_absolute_uri(reverse("payments_app:billing"))
    try:
        portal_url = stripe_sync.portal_session_create(user=request.user, return_url=return_url)
    except stripe_sync.BillingUnavailable as refusal:
        messages.error(request, refusal.message)
        return redirect("payments_app:billing")
    return HttpResponseSeeOther(portal_url)


class HttpResponseSeeOther(HttpResponseRedirect):
    """303: the browser follows a POST's answer with a GET (Stripe's hosted pages)."""

    status_code = 303


def plan_features(plan: Plan) -> list[str]:
    """A plan's quotas in words, as the pricing and billing pages list them."""
    renders = (
        "Unlimited renders"
        if plan.renders_per_period is None
        else f"{plan.renders_per_period} render{'s' if plan.renders_per_period != 1 else ''} "
        "per month"
    )
    minutes, seconds = divmod(plan.max_video_s, 60)
    length = f"{minutes} min" + (f" {seconds} s" if seconds else "") if minutes else f"{seconds} s"
    concurrent = plan.concurrent_renders
    return [
        renders,
        f"Videos up to {length}",
        f"Up to {plan.max_height_px}p",
        "Watermark on videos" if plan.watermark else "No watermark",
        f"{concurrent} render{'s' if concurrent != 1 else ''} at a time",
        "Priority rendering" if plan.queue_priority > 0 else "Standard queue",
        f"{plan.storage_quota_mb / 1024:g} GB for uploads"
        if plan.storage_quota_mb
        else "Unlimited storage for uploads",
    ]
