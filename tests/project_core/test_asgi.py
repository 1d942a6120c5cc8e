"""WebSockets through the real ASGI application: session auth, origin check, cross-process news."""

import asyncio
import subprocess
import sys

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from project_core.asgi import application
from tests.conftest import BASE_DIR

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def session_headers(client, user, origin="http://localhost"):
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    return [(b"origin", origin.encode()), (b"cookie", cookie.encode())]


def publish_from_another_process(env, user_id):
    code = (
        "from video_app.services.notifications import notify_user; "
        f"notify_user(user_id={user_id}, text='Render finished', level='success', "
        "url='/dashboard/')"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=BASE_DIR, env=env, check=True
    )


async def connect_then_publish(headers, env, recipient_id):
    """Open a socket as the session in `headers`, then publish a notice from another process."""
    socket = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
    connected, _ = await socket.connect(timeout=10)
    assert connected
    await asyncio.to_thread(publish_from_another_process, env, recipient_id)
    return socket


def test_it_relays_a_notice_published_by_another_process(client, alice, subprocess_env):
    headers = session_headers(client, alice)

    async def scenario():
        socket = await connect_then_publish(headers, subprocess_env, alice.pk)
        notice = await socket.receive_json_from(timeout=10)
        await socket.disconnect()
        return notice

    notice = async_to_sync(scenario)()

    assert notice == {
        "type": "notice",
        "text": "Render finished",
        "level": "success",
        "url": "/dashboard/",
    }


def test_it_does_not_relay_notices_meant_for_another_user(client, alice, bob, subprocess_env):
    headers = session_headers(client, bob)

    async def scenario():
        socket = await connect_then_publish(headers, subprocess_env, alice.pk)
        nothing = await socket.receive_nothing(timeout=1.5)
        await socket.disconnect()
        return nothing

    assert async_to_sync(scenario)()


def test_it_refuses_anonymous_sockets():
    async def scenario():
        socket = WebsocketCommunicator(
            application, "/ws/notifications/", headers=[(b"origin", b"http://localhost")]
        )
        connected, code = await socket.connect(timeout=10)
        await socket.disconnect()
        return connected, code

    connected, code = async_to_sync(scenario)()

    assert not connected
    assert code == 4401


def test_it_refuses_sockets_from_foreign_origins(client, alice):
    headers = session_headers(client, alice, origin="https://attacker.example")

    async def scenario():
        socket = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
        connected, _ = await socket.connect(timeout=10)
        await socket.disconnect()
        return connected

    assert not async_to_sync(scenario)()


def test_it_loads_every_view_before_the_first_request_and_keeps_it_out_of_the_collector(
    subprocess_env,
):
    # A child process: importing the application freezes what the importing process holds.
    code = (
        "import gc, sys; import project_core.asgi; "
        "print(gc.get_freeze_count(), 'video_app.api.urls' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=subprocess_env,
        capture_output=True,
        text=True,
        check=True,
    )
    frozen, views_loaded = result.stdout.split()
    assert views_loaded == "True"  # imported by the URLconf, not by the first request
    assert int(frozen) > 100_000, result.stdout
