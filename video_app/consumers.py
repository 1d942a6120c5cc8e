"""WebSocket consumers: live news for the browser, relayed from the channel layer."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

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
