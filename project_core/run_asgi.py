"""`make run`'s web application, served by uvicorn as production is (project_core/supervisord.conf):
the development settings unless DJANGO_SETTINGS_MODULE says otherwise, and static files through
Django's handler, as `runserver` serves them (production has WhiteNoise). Uvicorn hands the app a
request before its body arrives, so an over-size upload is refused before it is read
(`security/request_limits.py`); Daphne's runserver reads a whole body first."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project_core.settings.dev")

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from .asgi import application as product

application = ASGIStaticFilesHandler(product)
