"""WebSocket URLs, served by Channels through project_core.asgi."""

from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/notifications/", consumers.UserNotificationsConsumer.as_asgi()),
    path("ws/projects/<int:project_id>/", consumers.ProjectProgressConsumer.as_asgi()),
]
