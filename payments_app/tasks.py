"""Billing's background work: the emails Stripe events cause, sent outside the webhook's request
so that a mail server's failure is retried here and never turns Stripe's delivery into an error."""

from celery import shared_task

from video_app.services.emails import MAIL_SERVER_RETRIES

from . import webhooks


@shared_task(ignore_result=True, acks_late=True, **MAIL_SERVER_RETRIES)
def payment_failed_email_task(user_id: int, invoice: dict):
    webhooks.payment_failed_email_send(user_id=user_id, invoice=invoice)
