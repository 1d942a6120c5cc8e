from django.apps import AppConfig


class PaymentsAppConfig(AppConfig):
    """Plans, quotas and Stripe subscriptions."""

    name = "payments_app"
    verbose_name = "Payments"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import webhooks  # noqa: F401  (connects the Stripe event receivers)
        from .builtin_plans import install_builtin_plans

        post_migrate.connect(install_builtin_plans, sender=self)
