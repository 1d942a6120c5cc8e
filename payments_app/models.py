"""Plans and who has which: the data billing and quotas are decided from.

A `Plan` is data staff edit (quotas and its Stripe Price). A user's `Membership` says which plan
they have, from where (a Stripe subscription, a staff grant, or nothing: the default plan) and
until when. `RenderUsage` counts finished renders per billing period, once per render run.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class Plan(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=60)
    description = models.CharField(max_length=300, blank=True)
    price_label = models.CharField(max_length=40, help_text='As shown: "Free", "$12 / month"')
    stripe_price_id = models.CharField(
        max_length=100, blank=True, help_text="The Stripe Price subscribed to (price_...)."
    )
    renders_per_period = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: unlimited."
    )
    max_video_s = models.PositiveIntegerField(default=60, help_text="Longest video, seconds.")
    max_height_px = models.PositiveIntegerField(
        default=720, help_text="Resolution cap: 720 or 1080."
    )
    watermark = models.BooleanField(default=True)
    concurrent_renders = models.PositiveIntegerField(default=1)
    queue_priority = models.PositiveSmallIntegerField(default=0, help_text="0 (last) to 9 (first).")
    api_requests_per_hour = models.PositiveIntegerField(
        default=100, help_text="REST API calls allowed per hour."
    )
    storage_quota_mb = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=1024,
        help_text="Uploaded files a user may keep, in MB. Empty: unlimited.",
    )
    is_default = models.BooleanField(default=False, help_text="The plan of everyone else.")
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_plan"
            )
        ]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A user's plan. Without a row (or once it has lapsed) the user has the default plan."""

    class Source(models.TextChoices):
        STRIPE = "stripe", "Stripe subscription"
        STAFF = "staff", "Granted by staff"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Payment failed"
        CANCELED = "canceled", "Canceled"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="memberships")
    source = models.CharField(max_length=10, choices=Source.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    stripe_customer_id = models.CharField(max_length=100, blank=True)
    stripe_subscription_id = models.CharField(max_length=100, blank=True)
    current_period_start = models.DateTimeField(default=timezone.now)
    current_period_end = models.DateTimeField(null=True, blank=True)  # None: no end (staff)
    cancel_at_period_end = models.BooleanField(default=False)
    # The Stripe event this row last changed for: older events arriving late change nothing.
    last_event_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"{self.user} on {self.plan}"

    def is_current(self, now=None) -> bool:
        """Gives its plan now: active (or past due, until the period ends) and not expired."""
        now = now or timezone.now()
        if self.status == self.Status.CANCELED:
            return False
        return self.current_period_end is None or now < self.current_period_end


class RenderUsage(models.Model):
    """One finished render, counted against the plan's renders per period."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="render_usage"
    )
    project_id = models.PositiveIntegerField()  # kept after the project is deleted
    run_number = models.PositiveIntegerField()
    plan = models.ForeignKey(Plan, on_delete=models.SET_NULL, null=True)
    rendered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project_id", "run_number"], name="one_usage_per_run")
        ]
        indexes = [models.Index(fields=["user", "rendered_at"])]

    def __str__(self):
        return f"{self.user} render of project {self.project_id} #{self.run_number}"


PERIOD = timedelta(days=30)  # the free plan's "billing period": rolling 30 days
