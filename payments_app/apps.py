from django.apps import AppConfig


class PaymentsAppConfig(AppConfig):
    """Plans, quotas and Stripe subscriptions."""

    name = "payments_app"
    verbose_name = "Payments"
