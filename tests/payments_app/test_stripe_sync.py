"""Membership rules over Stripe-shaped objects, without HTTP: plan changes, order, cancellation,
failed and recovered payments."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from payments_app import services, stripe_sync
from payments_app.models import Membership

from .conftest import PRICES, subscription

DAY_S = 24 * 60 * 60
NOW = int(time.time())


def at(seconds: int):
    return stripe_sync.event_time(seconds)


@pytest.fixture
def alice_sub(alice):
    """Alice's subscription as Stripe describes it, any field overridable."""

    def make(plan="creator", **fields):
        fields.setdefault("start", NOW)
        fields.setdefault("end", NOW + 30 * DAY_S)
        return subscription(price=PRICES[plan], metadata={"user_id": str(alice.pk)}, **fields)

    return make


def apply(sub, created):
    return stripe_sync.subscription_apply(sub, event_created=at(created))


def test_it_upgrades_and_downgrades(alice, plans, alice_sub):
    apply(alice_sub("creator"), NOW)
    assert services.plan_for(alice).slug == "creator"
    apply(alice_sub("pro"), NOW + 60)
    assert services.plan_for(alice).slug == "pro"
    apply(alice_sub("creator"), NOW + 120)
    assert services.plan_for(alice).slug == "creator"
    membership = Membership.objects.get(user=alice)
    assert membership.current_period_end == at(NOW + 30 * DAY_S)
    assert membership.last_event_at == at(NOW + 120)


def test_it_ignores_an_event_older_than_the_last_one_applied(alice, plans, alice_sub):
    apply(alice_sub("pro"), NOW + 60)
    assert apply(alice_sub("creator"), NOW) is None  # sent first, delivered last
    assert services.plan_for(alice).slug == "pro"


def test_it_applies_the_same_state_twice_as_once(alice, plans, alice_sub):
    apply(alice_sub("pro"), NOW)
    apply(alice_sub("pro"), NOW)
    assert Membership.objects.filter(user=alice).count() == 1
    assert services.plan_for(alice).slug == "pro"


def test_it_keeps_the_plan_until_a_cancelled_period_ends(alice, plans, alice_sub):
    apply(alice_sub("pro"), NOW)
    apply(alice_sub("pro", cancel_at_period_end=True), NOW + 60)

    membership = Membership.objects.get(user=alice)
    assert membership.cancel_at_period_end
    assert services.plan_for(alice).slug == "pro"
    assert not membership.is_current(now=at(NOW + 30 * DAY_S + 1))

    ended = alice_sub(
        "pro",
        status="canceled",
        cancel_at_period_end=True,
        ended_at=NOW + 30 * DAY_S,
        canceled_at=NOW + 60,
    )
    apply(ended, NOW + 30 * DAY_S)
    assert Membership.objects.get(user=alice).status == "canceled"
    assert services.plan_for(alice).slug == "free"


def test_it_drops_to_free_at_once_on_an_immediate_cancellation(alice, plans, alice_sub):
    apply(alice_sub("creator"), NOW)
    apply(
        alice_sub("creator", status="canceled", ended_at=NOW + 60, canceled_at=NOW + 60), NOW + 60
    )
    assert services.plan_for(alice).slug == "free"


def test_it_reads_a_cancellation_date_set_by_the_portal(alice, plans, alice_sub):
    apply(alice_sub("pro", cancel_at=NOW + 10 * DAY_S), NOW)
    membership = Membership.objects.get(user=alice)
    assert membership.cancel_at_period_end
    assert membership.current_period_end == at(NOW + 10 * DAY_S)


def test_it_keeps_the_paid_period_while_past_due(alice, plans, alice_sub):
    apply(alice_sub("pro"), NOW)
    renewed_unpaid = alice_sub(
        "pro", status="past_due", start=NOW + 30 * DAY_S, end=NOW + 60 * DAY_S
    )
    apply(renewed_unpaid, NOW + 30 * DAY_S)

    membership = Membership.objects.get(user=alice)
    assert membership.status == "past_due"
    assert membership.current_period_end == at(NOW + 30 * DAY_S)
    assert services.plan_for(alice).slug == "pro"

    apply(alice_sub("pro", start=NOW + 30 * DAY_S, end=NOW + 60 * DAY_S), NOW + 31 * DAY_S)
    membership.refresh_from_db()
    assert membership.status == "active"
    assert membership.current_period_end == at(NOW + 60 * DAY_S)


def test_invoices_move_a_membership_between_past_due_and_active(alice, plans, alice_sub):
    apply(alice_sub("pro"), NOW)
    invoice = {"id": "in_1", "object": "invoice", "subscription": "sub_Alice1"}  # older API shape

    assert stripe_sync.invoice_payment_failed(invoice, event_created=at(NOW + 60)) is not None
    assert Membership.objects.get(user=alice).status == "past_due"
    # A failure reported after the payment that fixed it changes nothing.
    stripe_sync.invoice_paid(invoice, event_created=at(NOW + 180))
    assert stripe_sync.invoice_payment_failed(invoice, event_created=at(NOW + 120)) is None
    assert Membership.objects.get(user=alice).status == "active"


def test_it_ignores_an_invoice_without_a_subscription(alice, plans):
    assert stripe_sync.invoice_paid({"id": "in_1", "parent": None}, event_created=at(NOW)) is None


def test_it_ignores_a_price_no_plan_has(alice, plans, alice_sub):
    sub = alice_sub("pro")
    sub["items"]["data"][0]["price"]["id"] = "price_unknown"
    assert apply(sub, NOW) is None
    assert not Membership.objects.exists()


def test_it_ignores_a_customer_it_cannot_place(db, plans):
    sub = subscription(price=PRICES["pro"], start=NOW, end=NOW + DAY_S, customer="cus_Nobody")
    assert stripe_sync.subscription_apply(sub, event_created=at(NOW)) is None


def test_an_old_subscription_ending_leaves_the_current_one(alice, plans, alice_sub):
    apply(alice_sub("pro", sub_id="sub_New"), NOW)
    apply(alice_sub("creator", sub_id="sub_Old", status="canceled", ended_at=NOW), NOW + 60)
    assert services.plan_for(alice).slug == "pro"


def test_a_subscription_replaces_a_staff_grant(alice, plans, alice_sub):
    services.grant_plan(user=alice, plan=plans["creator"], until=timezone.now() + timedelta(days=9))
    apply(alice_sub("pro"), NOW)
    membership = Membership.objects.get(user=alice)
    assert (membership.plan.slug, membership.source) == ("pro", "stripe")


def test_a_completed_checkout_gives_the_plan_until_the_subscription_reports(alice, plans):
    session = {
        "id": "cs_1",
        "object": "checkout.session",
        "mode": "subscription",
        "status": "complete",
        "customer": "cus_Alice",
        "subscription": "sub_Alice1",
        "client_reference_id": str(alice.pk),
        "metadata": {"user_id": str(alice.pk), "plan": "pro"},
    }
    stripe_sync.checkout_completed(session, event_created=at(NOW))
    assert services.plan_for(alice).slug == "pro"

    # The subscription's own (earlier) event still applies: checkout sets no event time.
    apply(subscription(price=PRICES["pro"], start=NOW - 5, end=NOW + 30 * DAY_S), NOW - 5)
    membership = Membership.objects.get(user=alice)
    assert membership.current_period_end == at(NOW + 30 * DAY_S)
    # ... and a late checkout event doesn't undo it.
    stripe_sync.checkout_completed(session, event_created=at(NOW))
    membership.refresh_from_db()
    assert membership.current_period_end == at(NOW + 30 * DAY_S)
