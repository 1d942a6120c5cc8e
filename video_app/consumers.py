"""WebSocket consumers: live news for the browser, relayed from the channel layer."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .models import VideoProject
from .services import progress
from .services.notifications import user_group_name


class UserNotificationsConsumer(AsyncJsonWebsocketConsumer):
    """Relays notices addressed to the signed-in user; anonymous sockets are refused."""

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group_name = user_group_name(user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # The browser only listens on this socket; anything it sends is ignored.
        return

    async def user_notice(self, event):
        await self.send_json(
            {"type": "notice", "text": event["text"], "level": event["level"], "url": event["url"]}
        )


class ProjectProgressConsumer(AsyncJsonWebsocketConsumer):
    """Live progress of one project, for its owner or staff: the stored state on connect, then
    every update the workers publish. Others are refused (4401 anonymous, 4403 not theirs)."""

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close(code=4401)
            return
        project_id = int(self.scope["url_route"]["kwargs"]["project_id"])
        state = await database_sync_to_async(_state_if_allowed)(user, project_id)
        if state is None:
            await self.close(code=4403)
            return
        self.group_name = progress.group_name(project_id)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        await self.send_json({"type": "progress", **state})

    async def disconnect(self, code):
        if hasattr(self, "group_name"):
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content, **kwargs):
        return

    async def project_progress(self, event):
        await self.send_json({"type": "progress", **event["state"]})


def _state_if_allowed(user, project_id: int) -> dict | None:
    projects = VideoProject.objects.all() if user.is_staff else user.video_projects.all()
    project = projects.filter(pk=project_id).first()
    return progress.project_state(project) if project else None
