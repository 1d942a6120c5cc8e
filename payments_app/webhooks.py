"""Stripe webhooks as dj-stripe delivers them. dj-stripe checks the signature, stores each event
once (a retried delivery of the same event id runs no receiver again) and refreshes its own copy
of the object; then it sends the event's signal, and these receivers fold the event's object
into the user's membership (`stripe_sync`).

The membership write shares the event's transaction, so an error rolls both back and Stripe's
retry finds the event new again; emails are queued only after that transaction commits, and
sent by their own task (`tasks.py`), which retries a mail server's failures.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from djstripe.event_handlers import djstripe_receiver
from djstripe.models import Event

from . import stripe_sync

logger = logging.getLogger(__name__)


@djstripe_receiver(
    [
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    ]
)
def on_subscription_event(sender, event: Event, **kwargs):
    stripe_sync.subscription_apply(event.data["object"], event_created=event.created)


@djstripe_receiver("checkout.session.completed")
def on_checkout_completed(sender, event: Event, **kwargs):
    stripe_sync.checkout_completed(event.data["object"], event_created=event.created)


@djstripe_receiver("invoice.paid")
def on_invoice_paid(sender, event: Event, **kwargs):
    stripe_sync.invoice_paid(event.data["object"], event_created=event.created)


@djstripe_receiver("invoice.payment_failed")
def on_invoice_payment_failed(sender, event: Event, **kwargs):
    invoice = event.data["object"]
    membership = stripe_sync.invoice_payment_failed(invoice, event_created=event.created)
    # Stripe sends one event per failed attempt; the user hears about each invoice once.
    told_before = (
        Event.objects.filter(type=event.type, data__object__id=invoice["id"])
        .exclude(id=event.id)
        .exists()
    )
    if membership is not None and not told_before:
        user_id = membership.user_id
        transaction.on_commit(lambda: payment_failed_email_queue(user_id=user_id, invoice=invoice))


def payment_failed_email_queue(*, user_id: int, invoice: dict) -> None:
    """Hand the email to its task (payments_app/tasks.py); a broker that refuses it is logged,
    never raised: the event is stored and applied either way."""
    from .tasks import payment_failed_email_task  # the task calls back into this module

    try:
        payment_failed_email_task.delay(user_id, invoice)
    except Exception:
        logger.exception("Payment-failed email of user %s not queued", user_id)


def payment_failed_email_send(*, user_id: int, invoice: dict) -> None:
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return
    context = {
        "user": user,
        "PRODUCT_NAME": settings.PRODUCT_NAME,
        "billing_url": settings.SITE_URL.rstrip("/") + reverse("payments_app:billing"),
        "invoice_url": invoice.get("hosted_invoice_url") or "",
    }
    try:
        send_mail(
            subject=f"{settings.EMAIL_SUBJECT_PREFIX}Your payment did not go through",
            message=render_to_string("payments_app/email/payment_failed.txt", context),
            from_email=None,
            recipient_list=[user.email],
        )
    except Exception as error:
        logger.warning("Payment-failed email to user %s not sent: %r", user_id, error)
        raise
