"""ASGI entry point: HTTP through Django, WebSockets through Channels.

WebSocket connections must come from an allowed host and carry the user's session, so consumers
can check ownership exactly as views do.
"""

import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project_core.settings.prod")

# Django must be set up before anything imports models (consumers, auth middleware).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from video_app.routing import websocket_urlpatterns  # noqa: E402
from video_app.security.request_limits import limit_request_bodies  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Over-size bodies are refused here, before Django spools them to disk.
        "http": limit_request_bodies(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

# The URLconf (and so every view) is imported now rather than by the first request, and then all
# that is loaded (about 240,000 objects: Django, the apps, the engine's modules) is moved out of
# the garbage collector's sight. Left in, every full collection walked them all: a pause of
# 85-200 ms in the middle of whichever request triggered it, the slowest requests of the load
# test (BENCHMARKS.md).
import_module(settings.ROOT_URLCONF)
gc.freeze()
