"""Create (or reset) the local demo account that `make run` prints. Development only."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_USERNAME = "demo"
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-videos-2026"  # noqa: S105  (published on purpose: local demo only)


class Command(BaseCommand):
    help = "Create the demo account with a known password (refused when DEBUG is off)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("The demo account has a published password: development only.")
        user, created = get_user_model().objects.get_or_create(
            username=DEMO_USERNAME, defaults={"email": DEMO_EMAIL}
        )
        # Reset each time so that the printed login is always the one that works.
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        verb = "Created" if created else "Ready"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} demo account: username '{DEMO_USERNAME}', password '{DEMO_PASSWORD}'"
            )
        )
