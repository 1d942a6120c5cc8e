"""Store the Stripe webhook endpoint named by the environment where dj-stripe looks for it.

dj-stripe receives events at /stripe/webhook/<uuid>/ and checks them against that endpoint's
signing secret, kept in its `WebhookEndpoint` table. An operator registers
SITE_URL/stripe/webhook/<STRIPE_WEBHOOK_UUID>/ in Stripe's dashboard, puts the signing secret in
STRIPE_WEBHOOK_SECRET, and runs this after `migrate` (it is idempotent).
"""

import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from djstripe.enums import WebhookEndpointStatus
from djstripe.models import WebhookEndpoint
from djstripe.settings import djstripe_settings


class Command(BaseCommand):
    help = "Create or update dj-stripe's webhook endpoint from STRIPE_WEBHOOK_UUID and _SECRET."

    def handle(self, *args, **options):
        if not settings.STRIPE_WEBHOOK_UUID or not settings.STRIPE_WEBHOOK_SECRET:
            raise CommandError("Set STRIPE_WEBHOOK_UUID and STRIPE_WEBHOOK_SECRET first.")
        try:
            endpoint_uuid = uuid.UUID(settings.STRIPE_WEBHOOK_UUID)
        except ValueError as error:
            raise CommandError("STRIPE_WEBHOOK_UUID is not a UUID.") from error
        path = reverse("djstripe:djstripe_webhook_by_uuid", kwargs={"uuid": endpoint_uuid})
        endpoint, created = WebhookEndpoint.objects.update_or_create(
            djstripe_uuid=endpoint_uuid,
            defaults={
                # A local id, as dj-stripe's own `stripe_listen` uses: the endpoint was made
                # in Stripe's dashboard, not through the API.
                "id": f"djstripe_env_{endpoint_uuid.hex}",
                "secret": settings.STRIPE_WEBHOOK_SECRET,
                "url": settings.SITE_URL.rstrip("/") + path,
                "api_version": djstripe_settings.STRIPE_API_VERSION,
                "enabled_events": ["*"],
                "status": WebhookEndpointStatus.enabled,
                "livemode": settings.STRIPE_LIVE_MODE,
            },
        )
        self.stdout.write(f"{'Created' if created else 'Updated'} webhook endpoint {endpoint.url}")
