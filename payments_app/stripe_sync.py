"""Stripe's side of billing: Checkout and portal sessions going out, subscriptions coming back.

Outgoing calls use the stripe SDK with dj-stripe's keys. Incoming state arrives as Stripe-shaped
dicts (a webhook event's `data.object`, see `webhooks.py`) and is folded into the user's
`Membership` here, so the rules can be tested with plain dicts. An event older than the last one
applied to a membership changes nothing: Stripe does not promise delivery order.
"""

import logging
from datetime import UTC, datetime

import stripe
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from djstripe.models import Customer
from djstripe.settings import djstripe_settings

from .models import Membership, Plan

logger = logging.getLogger(__name__)

ACTIVE_STATUSES = {"active", "trialing"}
PAST_DUE_STATUSES = {"past_due", "unpaid"}
# "incomplete": the first payment is still being attempted; the subscription gives nothing yet.
ENDED_STATUSES = {"canceled", "incomplete_expired", "paused"}


class BillingUnavailable(Exception):
    """Stripe is not configured, or refused the request; `message` is for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def billing_enabled() -> bool:
    return bool(djstripe_settings.STRIPE_SECRET_KEY)


def _api_key() -> str:
    if not billing_enabled():
        raise BillingUnavailable("Online payments are not available on this server yet.")
    return djstripe_settings.STRIPE_SECRET_KEY


def checkout_session_create(*, user, plan: Plan, success_url: str, cancel_url: str) -> str:
    """A Stripe Checkout Session subscribing `user` to `plan`; returns the page to send them to."""
    if not plan.stripe_price_id:
        raise BillingUnavailable(f"The {plan.name} plan can't be bought online.")
    api_key = _api_key()
    metadata = {"user_id": str(user.pk), "plan": plan.slug}
    try:
        customer, _ = Customer.get_or_create(
            subscriber=user, livemode=settings.STRIPE_LIVE_MODE, api_key=api_key
        )
        session = stripe.checkout.Session.create(
            api_key=api_key,
            mode="subscription",
            customer=customer.id,
            client_reference_id=str(user.pk),
            line_items=[{"price": plan.stripe_price_id, "quantity": 1}],
            success_url=success_url,
            cancel_url=cancel_url,
            metadata=metadata,
            subscription_data={"metadata": metadata},
        )
    except stripe.StripeError as error:
        logger.warning("Stripe refused a checkout session for user %s: %s", user.pk, error)
        raise BillingUnavailable(
            "The payment page could not be opened. Please try again."
        ) from error
    return session.url


def portal_session_create(*, user, return_url: str) -> str:
    """A Stripe customer portal session (cards, invoices, plan changes, cancelling)."""
    api_key = _api_key()
    customer_id = customer_id_for(user)
    if not customer_id:
        raise BillingUnavailable("You have no subscription to manage yet.")
    try:
        session = stripe.billing_portal.Session.create(
            api_key=api_key, customer=customer_id, return_url=return_url
        )
    except stripe.StripeError as error:
        logger.warning("Stripe refused a portal session for user %s: %s", user.pk, error)
        raise BillingUnavailable(
            "The billing portal could not be opened. Please try again."
        ) from error
    return session.url


def customer_id_for(user) -> str:
    membership = Membership.objects.filter(user=user).exclude(stripe_customer_id="").first()
    if membership is not None:
        return membership.stripe_customer_id
    customer = Customer.objects.filter(subscriber=user, livemode=settings.STRIPE_LIVE_MODE).first()
    return customer.id if customer is not None else ""


# Incoming: webhook payloads -> Membership


def event_time(created: int) -> datetime:
    return datetime.fromtimestamp(created, tz=UTC)


def subscription_apply(subscription: dict, *, event_created: datetime) -> Membership | None:
    """Bring the subscriber's membership in line with a `subscription` object; None when the
    subscription is someone we don't know, a price no plan has, or older news."""
    user = _user_for(subscription.get("customer"), subscription.get("metadata") or {})
    if user is None:
        logger.warning(
            "Stripe subscription %s: no user for customer %s",
            subscription["id"],
            subscription.get("customer"),
        )
        return None
    status = subscription["status"]
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(user=user).first()
        if _is_stale(membership, event_created):
            return None
        ours = membership is not None and membership.stripe_subscription_id == subscription["id"]
        if status not in ACTIVE_STATUSES and not ours:
            return None  # another subscription ending, or one not paid yet: nothing to take away
        if status == "incomplete":
            return None
        item = subscription["items"]["data"][0]
        plan = Plan.objects.filter(stripe_price_id=item["price"]["id"]).first()
        if plan is None:
            logger.error(
                "Stripe subscription %s: no plan has price %s",
                subscription["id"],
                item["price"]["id"],
            )
            return None
        fields = _membership_fields(
            subscription, item, plan, membership if ours else None, event_created
        )
        membership, _ = Membership.objects.update_or_create(user=user, defaults=fields)
    return membership


def _membership_fields(
    subscription: dict,
    item: dict,
    plan: Plan,
    ours: Membership | None,
    event_created: datetime,
) -> dict:
    """The membership as the subscription says it is now. `ours`: the membership this very
    subscription gave, if any."""
    status = subscription["status"]
    # Since API version 2025-03-31 the period lives on the items, before on the subscription.
    start = item.get("current_period_start") or subscription.get("current_period_start")
    end = item.get("current_period_end") or subscription.get("current_period_end")
    fields = {
        "plan": plan,
        "source": Membership.Source.STRIPE,
        "stripe_customer_id": subscription["customer"],
        "stripe_subscription_id": subscription["id"],
        "current_period_start": event_time(start),
        "current_period_end": event_time(end),
        "cancel_at_period_end": bool(
            subscription.get("cancel_at_period_end") or subscription.get("cancel_at")
        ),
        "last_event_at": event_created,
    }
    if subscription.get("cancel_at"):
        fields["current_period_end"] = event_time(subscription["cancel_at"])
    if status in ACTIVE_STATUSES:
        fields["status"] = Membership.Status.ACTIVE
    elif status in PAST_DUE_STATUSES:
        fields["status"] = Membership.Status.PAST_DUE
        if ours:  # the unpaid period gives nothing: the plan lasts to the end of the paid one
            fields["current_period_start"] = ours.current_period_start
            fields["current_period_end"] = ours.current_period_end
    else:
        fields["status"] = Membership.Status.CANCELED
        ended_at = subscription.get("ended_at") or subscription.get("canceled_at")
        if ended_at:
            fields["current_period_end"] = event_time(ended_at)
    return fields


def checkout_completed(session: dict, *, event_created: datetime) -> Membership | None:
    """Link the paying user to their Stripe customer and subscription as soon as Checkout
    completes. The subscription's own events carry its plan and period; they win."""
    if session.get("mode") != "subscription" or session.get("status") != "complete":
        return None
    user = _user_for(
        session.get("customer"),
        session.get("metadata") or {},
        user_id=session.get("client_reference_id"),
    )
    plan = (
        Plan.objects.filter(slug=(session.get("metadata") or {}).get("plan"), is_active=True)
        .exclude(stripe_price_id="")
        .first()
    )
    if user is None or plan is None or not session.get("subscription"):
        logger.warning("Checkout session %s: no user or plan to apply", session.get("id"))
        return None
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(user=user).first()
        if membership is not None and (
            membership.stripe_subscription_id == session["subscription"]
            or _is_stale(membership, event_created)
        ):
            return membership
        # No last_event_at: the subscription's events, whenever they arrive, must still apply.
        membership, _ = Membership.objects.update_or_create(
            user=user,
            defaults={
                "plan": plan,
                "source": Membership.Source.STRIPE,
                "status": Membership.Status.ACTIVE,
                "stripe_customer_id": session["customer"],
                "stripe_subscription_id": session["subscription"],
                "current_period_start": event_created,
                "current_period_end": None,
                "cancel_at_period_end": False,
            },
        )
    return membership


def invoice_paid(invoice: dict, *, event_created: datetime) -> Membership | None:
    """A paid invoice ends a past-due spell."""
    return _invoice_status(invoice, event_created, Membership.Status.ACTIVE)


def invoice_payment_failed(invoice: dict, *, event_created: datetime) -> Membership | None:
    """The membership is past due (the plan stays until the paid period ends); returns it when
    this event changed it, so the caller can tell the user."""
    return _invoice_status(invoice, event_created, Membership.Status.PAST_DUE)


def invoice_subscription_id(invoice: dict) -> str:
    # API versions since 2025-03-31 moved it under `parent.subscription_details`.
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    subscription = details.get("subscription") or invoice.get("subscription") or ""
    return subscription if isinstance(subscription, str) else subscription.get("id", "")


def _invoice_status(invoice: dict, event_created: datetime, status: str) -> Membership | None:
    subscription_id = invoice_subscription_id(invoice)
    if not subscription_id:
        return None  # a one-off invoice: not ours to judge
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .filter(stripe_subscription_id=subscription_id)
            .first()
        )
        if membership is None or _is_stale(membership, event_created):
            return None
        if membership.status == Membership.Status.CANCELED:
            return None
        membership.status = status
        membership.last_event_at = event_created
        membership.save(update_fields=["status", "last_event_at", "updated_at"])
    return membership


def _is_stale(membership: Membership | None, event_created: datetime) -> bool:
    return (
        membership is not None
        and membership.last_event_at is not None
        and event_created < membership.last_event_at
    )


def _user_for(customer_id: str | None, metadata: dict, user_id: str | None = None):
    """The user a Stripe customer pays for: our membership's link, else dj-stripe's customer
    row, else the user id we put in the metadata when opening Checkout."""
    User = get_user_model()
    if customer_id:
        membership = Membership.objects.filter(stripe_customer_id=customer_id).first()
        if membership is not None:
            return membership.user
        customer = Customer.objects.filter(id=customer_id).exclude(subscriber=None).first()
        if customer is not None:
            return customer.subscriber
    user_id = user_id or metadata.get("user_id")
    if user_id and str(user_id).isdigit():
        return User.objects.filter(pk=int(user_id)).first()
    return None
