"""Billing fixtures: the built-in plans with Stripe prices, a fake Stripe API (a local HTTP server
answering with recorded, documented shapes) and signed webhook deliveries."""

import hashlib
import hmac
import json
import time
import uuid

import pytest
import stripe
from django.core.management import call_command

from payments_app import tasks as payments_tasks
from payments_app.models import Plan

WEBHOOK_SECRET = "whsec_test_0123456789abcdef"
WEBHOOK_UUID = "5f0c6a1e-8d4b-4c53-9a0f-2f1b7e6d9c01"
PRICES = {"creator": "price_1CreatorMonthly", "pro": "price_1ProMonthly"}


@pytest.fixture
def plans(db):
    """The plans migrate installs, with their Stripe Prices as an operator would set them."""
    for slug, price in PRICES.items():
        Plan.objects.filter(slug=slug).update(stripe_price_id=price)
    return {plan.slug: plan for plan in Plan.objects.all()}


@pytest.fixture
def stripe_api(settings, monkeypatch, httpserver):
    """Billing configured with a test key; the SDK talks to the local server instead of Stripe."""
    settings.STRIPE_TEST_SECRET_KEY = "sk_test_51FakeKeyForTestsOnly0000000000"
    monkeypatch.setattr(stripe, "api_base", httpserver.url_for("").rstrip("/"))
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    return httpserver


@pytest.fixture
def webhook_url(db, settings):
    settings.STRIPE_WEBHOOK_UUID = WEBHOOK_UUID
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    call_command("stripe_webhook_endpoint", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return f"/stripe/webhook/{WEBHOOK_UUID}/"


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header as Stripe computes it: HMAC-SHA256 of "<t>.<payload>"."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def event(kind: str, obj: dict, *, created: int, event_id: str | None = None) -> dict:
    """An Event as Stripe delivers it (https://docs.stripe.com/api/events/object)."""
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2026-05-27.dahlia",
        "created": created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
    }


def subscription(
    *,
    price: str,
    status: str = "active",
    start: int,
    end: int,
    customer: str = "cus_Alice",
    sub_id: str = "sub_Alice1",
    cancel_at_period_end: bool = False,
    **extra,
) -> dict:
    """A Subscription (https://docs.stripe.com/api/subscriptions/object), periods on its item."""
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": cancel_at_period_end,
        "cancel_at": None,
        "canceled_at": None,
        "ended_at": None,
        "created": start,
        "livemode": False,
        "metadata": {},
        "items": {
            "object": "list",
            "data": [
                {
                    "id": f"si_{sub_id}",
                    "object": "subscription_item",
                    "current_period_start": start,
                    "current_period_end": end,
                    "quantity": 1,
                    "price": {
                        "id": price,
                        "object": "price",
                        "product": "prod_Plan",
                        "recurring": {"interval": "month", "interval_count": 1},
                        "unit_amount": 1200,
                        "currency": "usd",
                    },
                }
            ],
        },
        **extra,
    }


def post_event(client, url: str, payload: dict, **sign_options):
    body = json.dumps(payload)
    return client.post(
        url, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body, **sign_options)
    )


@pytest.fixture
def email_tasks_here(monkeypatch):
    """Billing's email tasks run in this process as they are queued (no worker), retries too."""
    task = payments_tasks.payment_failed_email_task
    monkeypatch.setattr(task, "delay", lambda *args: task.apply(args=args))
