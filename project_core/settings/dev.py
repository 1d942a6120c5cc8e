"""Development settings: `make run` and `manage.py` use these unless told otherwise."""

from .base import *  # noqa: F403
from .base import INSTALLED_APPS, MIDDLEWARE, env

# Core
DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-never-used-in-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

# Email: printed to the console of the web process and the worker
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Daphne's ASGI runserver (HTTP and WebSockets) first, and the debug toolbar: development only.
# Production serves through gunicorn with uvicorn workers.
INSTALLED_APPS = ["daphne", *INSTALLED_APPS, "debug_toolbar"]
MIDDLEWARE = [*MIDDLEWARE, "debug_toolbar.middleware.DebugToolbarMiddleware"]
INTERNAL_IPS = ["127.0.0.1"]
# Collapsed until clicked, so a newcomer sees the page first.
DEBUG_TOOLBAR_CONFIG = {"SHOW_COLLAPSED": True}
