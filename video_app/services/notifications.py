"""Push short notices to a signed-in user's open pages, from any process (web or worker).

The channel layer carries them: Redis in production, the SQLite layer in the embedded default.
Notices are news, not state: whatever they announce is also stored in the database.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

LEVELS = {"info", "success", "warning", "danger"}


def user_group_name(user_id: int) -> str:
    return f"user_{user_id}"


def notify_user(*, user_id: int, text: str, level: str = "info", url: str = "") -> None:
    if level not in LEVELS:
        raise ValueError(f"Unknown notice level {level!r}; use one of {sorted(LEVELS)}")
    async_to_sync(get_channel_layer().group_send)(
        user_group_name(user_id),
        {"type": "user.notice", "text": text, "level": level, "url": url},
    )
