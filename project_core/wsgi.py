"""WSGI entry point, for servers that do not speak ASGI (no WebSockets through this one)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project_core.settings.prod")

application = get_wsgi_application()
