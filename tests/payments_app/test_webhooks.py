"""Stripe events through the real webhook URL: dj-stripe checks the signature and stores the
event, our receivers update the membership. Stripe's API is the local replay server."""

import json
import time

import pytest
from djstripe.models import Event, WebhookEventTrigger

from payments_app import services, webhooks
from payments_app.models import Membership
from tests.video_app.engine.recordings import serve_always

from .conftest import PRICES, event, post_event, sign, subscription

DAY_S = 24 * 60 * 60


@pytest.fixture
def stripe_objects(stripe_api):
    """What dj-stripe reads back from Stripe while processing an event about Alice."""
    serve_always(stripe_api, "stripe/webhook_objects")
    return stripe_api


@pytest.fixture
def pro_created(alice):
    now = int(time.time())
    sub = subscription(
        price=PRICES["pro"],
        start=now,
        end=now + 30 * DAY_S,
        metadata={"user_id": str(alice.pk), "plan": "pro"},
    )
    return event("customer.subscription.created", sub, created=now)


def test_it_moves_a_free_user_to_pro_on_a_signed_subscription(
    client, alice, plans, stripe_objects, webhook_url, pro_created
):
    assert services.plan_for(alice).slug == "free"

    response = post_event(client, webhook_url, pro_created)

    assert response.status_code == 200
    assert services.plan_for(alice).slug == "pro"
    membership = Membership.objects.get(user=alice)
    assert membership.source == "stripe"
    assert membership.stripe_customer_id == "cus_Alice"
    assert membership.stripe_subscription_id == "sub_Alice1"
    assert Event.objects.filter(id=pro_created["id"]).exists()


def test_it_rejects_a_forged_signature(
    client, alice, plans, stripe_objects, webhook_url, pro_created
):
    response = post_event(client, webhook_url, pro_created, secret="whsec_not_the_secret")
    assert response.status_code == 400
    assert services.plan_for(alice).slug == "free"
    assert not Event.objects.exists()
    assert stripe_objects.log == []


def test_it_rejects_a_replayed_old_delivery(
    client, alice, plans, stripe_objects, webhook_url, pro_created
):
    ten_minutes_ago = int(time.time()) - 600  # Stripe's tolerance is 5 minutes
    response = post_event(client, webhook_url, pro_created, timestamp=ten_minutes_ago)
    assert response.status_code == 400
    assert services.plan_for(alice).slug == "free"
    assert not Event.objects.exists()


def test_it_rejects_a_body_changed_after_signing(client, alice, plans, webhook_url, pro_created):
    signature = sign(json.dumps(pro_created))
    pro_created["data"]["object"]["items"]["data"][0]["price"]["id"] = "price_other"
    response = client.post(
        webhook_url,
        json.dumps(pro_created),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )
    assert response.status_code == 400
    assert not Membership.objects.exists()


def test_it_rejects_an_unsigned_delivery(client, alice, plans, webhook_url, pro_created):
    response = client.post(webhook_url, json.dumps(pro_created), content_type="application/json")
    assert response.status_code == 400
    assert not WebhookEventTrigger.objects.exists()


def test_it_processes_a_retried_delivery_once(
    client, alice, plans, stripe_objects, webhook_url, pro_created, monkeypatch
):
    applied = []
    apply = webhooks.stripe_sync.subscription_apply

    def counted_apply(*args, **kwargs):
        applied.append(1)
        return apply(*args, **kwargs)

    monkeypatch.setattr(webhooks.stripe_sync, "subscription_apply", counted_apply)

    first = post_event(client, webhook_url, pro_created)
    Membership.objects.filter(user=alice).update(note="touched by staff")
    again = post_event(client, webhook_url, pro_created)

    assert first.status_code == again.status_code == 200
    assert applied == [1]
    assert Event.objects.count() == 1
    assert WebhookEventTrigger.objects.filter(valid=True).count() == 2
    assert Membership.objects.get(user=alice).note == "touched by staff"


def invoice(invoice_id="in_Alice1"):
    """An Invoice (https://docs.stripe.com/api/invoices/object), its subscription under
    `parent` as in API versions since 2025-03-31."""
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": "cus_Alice",
        "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1TestPlatform/test_in_Alice1",
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": "sub_Alice1", "metadata": {}},
        },
    }


def test_it_emails_once_per_failed_invoice_and_recovers_when_paid(
    client,
    alice,
    plans,
    stripe_objects,
    webhook_url,
    pro_created,
    mailoutbox,
    django_capture_on_commit_callbacks,
    email_tasks_here,
):
    now = pro_created["created"]
    post_event(client, webhook_url, pro_created)
    with django_capture_on_commit_callbacks(execute=True):
        for attempt in range(2):  # Stripe retries the card: one event per failed attempt
            failed = event("invoice.payment_failed", invoice(), created=now + (attempt + 1) * DAY_S)
            assert post_event(client, webhook_url, failed).status_code == 200

    membership = Membership.objects.get(user=alice)
    assert membership.status == "past_due"
    assert services.plan_for(alice).slug == "pro"  # until the paid period ends
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["alice@example.com"]
    assert "http://127.0.0.1:8000/billing/" in mailoutbox[0].body
    assert "test_in_Alice1" in mailoutbox[0].body
    assert "did not go through" in client_page(client, alice)

    with django_capture_on_commit_callbacks(execute=True):
        paid = event("invoice.paid", invoice(), created=now + 3 * DAY_S)
        assert post_event(client, webhook_url, paid).status_code == 200

    assert Membership.objects.get(user=alice).status == "active"
    assert len(mailoutbox) == 1
    assert "did not go through" not in client_page(client, alice)


def client_page(client, user):
    client.force_login(user)
    return client.get("/billing/").content.decode()


def test_the_receivers_are_connected_by_the_app():
    from djstripe.signals import WEBHOOK_SIGNALS

    for kind in (
        "checkout.session.completed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "invoice.paid",
        "invoice.payment_failed",
    ):
        receivers = [entry[1]() for entry in WEBHOOK_SIGNALS[kind].receivers]
        assert any(getattr(r, "__module__", "") == "payments_app.webhooks" for r in receivers), kind


def test_the_endpoint_command_is_safe_to_repeat(webhook_url, settings):
    from django.core.management import call_command
    from djstripe.models import WebhookEndpoint

    settings.STRIPE_WEBHOOK_SECRET = "whsec_rotated"
    call_command("stripe_webhook_endpoint", stdout=open("/dev/null", "w"))  # noqa: SIM115
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret == "whsec_rotated"
    assert endpoint.url == f"http://127.0.0.1:8000{webhook_url}"


def test_it_answers_stripe_and_retries_the_email_when_the_mail_server_fails(
    client,
    alice,
    plans,
    stripe_objects,
    webhook_url,
    pro_created,
    mailoutbox,
    django_capture_on_commit_callbacks,
    email_tasks_here,
    monkeypatch,
    settings,
):
    settings.PRODUCT_NAME = "Tom's café & bar"
    answers = iter([ConnectionRefusedError("mail server down")])

    def flaky_send(*args, **kwargs):
        if error := next(answers, None):
            raise error
        return real_send(*args, **kwargs)

    real_send = webhooks.send_mail
    monkeypatch.setattr(webhooks, "send_mail", flaky_send)
    post_event(client, webhook_url, pro_created)
    failed = event("invoice.payment_failed", invoice(), created=pro_created["created"] + DAY_S)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, webhook_url, failed)

    assert response.status_code == 200
    [email] = mailoutbox  # sent by the task's retry
    assert "your Tom's café & bar subscription" in email.body  # plain text, not HTML-escaped
