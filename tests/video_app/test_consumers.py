"""The project progress WebSocket `/ws/projects/<id>/` through the real ASGI application: the owner
(or staff) gets the stored state on connect and then every update a worker publishes; anyone
else is refused before a word about the project is sent."""

import asyncio
import subprocess
import sys
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.utils import timezone

from project_core.asgi import application
from tests.conftest import BASE_DIR, PASSWORD
from tests.project_core.test_asgi import session_headers
from tests.video_app.factories import make_project
from video_app.models import PipelineStep, VideoProject
from video_app.services import progress
from video_app.services.projects import RUN_STEPS

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def rendering(user, *, title="Shells on the beach") -> VideoProject:
    """A project a minute into its render: script and scenes done, pictures under way."""
    project = make_project(user, title=title)
    VideoProject.objects.filter(pk=project.pk).update(
        status=VideoProject.Status.RENDERING,
        run_number=1,
        run_kind="render",
        run_state=VideoProject.RunState.RUNNING,
        run_started_at=timezone.now() - timedelta(minutes=1),
    )
    states = {
        "script": ("done", 1.0, ""),
        "scenes": ("done", 1.0, ""),
        "media": ("running", 0.4, "Picture 2 of 5"),
    }
    for position, name in enumerate(RUN_STEPS["render"]):
        state, fraction, message = states.get(name, ("pending", 0.0, ""))
        PipelineStep.objects.create(
            project=project,
            run_number=1,
            name=name,
            position=position,
            state=state,
            progress=fraction,
            message=message,
        )
    project.refresh_from_db()
    return project


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user(
        "staff", "staff@example.com", PASSWORD, is_staff=True
    )


def assert_shows_stored_state(message: dict, project: VideoProject) -> None:
    stored = progress.project_state(VideoProject.objects.get(pk=project.pk))
    expected = {"type": "progress", **stored}
    # The time left is worked out from the clock, which may tick between the two readings.
    assert abs(message.pop("eta_s") - expected.pop("eta_s")) <= 5
    assert message == expected


def report_progress_from_another_process(env, project_id: int) -> None:
    code = (
        "from video_app.services.progress import step_progress; "
        f"step_progress({project_id}, 1, 'media', 0.8, 'Picture 4 of 5')"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=BASE_DIR, env=env, check=True
    )


def connect(project_id: int, headers) -> tuple[bool, int | None]:
    """Open a socket and close it again: (accepted, close code if refused)."""

    async def scenario():
        socket = WebsocketCommunicator(application, f"/ws/projects/{project_id}/", headers=headers)
        connected, code = await socket.connect(timeout=10)
        await socket.disconnect()
        return connected, None if connected else code

    return async_to_sync(scenario)()


def first_message(project_id: int, headers) -> dict:
    async def scenario():
        socket = WebsocketCommunicator(application, f"/ws/projects/{project_id}/", headers=headers)
        connected, _ = await socket.connect(timeout=10)
        assert connected
        message = await socket.receive_json_from(timeout=10)
        await socket.disconnect()
        return message

    return async_to_sync(scenario)()


def test_it_sends_the_owner_the_stored_state_on_connect(client, alice):
    project = rendering(alice)

    message = first_message(project.pk, session_headers(client, alice))

    assert (message["status"], message["run_state"], message["step"]) == (
        "rendering",
        "running",
        "media",
    )
    assert message["progress"] == 16.0  # script 5 + scenes 5 + 40% of pictures 15, of 100
    assert_shows_stored_state(message, project)


def test_it_relays_progress_a_worker_reports_from_another_process(client, alice, subprocess_env):
    project = rendering(alice)
    headers = session_headers(client, alice)

    async def scenario():
        socket = WebsocketCommunicator(application, f"/ws/projects/{project.pk}/", headers=headers)
        connected, _ = await socket.connect(timeout=10)
        assert connected
        await socket.receive_json_from(timeout=10)  # the state on connect
        await asyncio.to_thread(report_progress_from_another_process, subprocess_env, project.pk)
        update = await socket.receive_json_from(timeout=10)
        await socket.disconnect()
        return update

    update = async_to_sync(scenario)()

    assert update["message"] == "Picture 4 of 5"
    assert update["steps"][2] == {
        "name": "media",
        "label": "Media",
        "state": "running",
        "progress": 80,
    }
    assert_shows_stored_state(update, project)


def test_it_relays_a_finished_step_published_in_this_process(client, alice):
    project = rendering(alice)
    headers = session_headers(client, alice)

    async def scenario():
        socket = WebsocketCommunicator(application, f"/ws/projects/{project.pk}/", headers=headers)
        connected, _ = await socket.connect(timeout=10)
        assert connected
        await socket.receive_json_from(timeout=10)
        await sync_to_async(progress.step_done)(project.pk, 1, "media", "5 pictures")
        update = await socket.receive_json_from(timeout=10)
        await socket.disconnect()
        return update

    update = async_to_sync(scenario)()

    assert (update["step"], update["progress"]) == ("voice", 25.0)
    assert_shows_stored_state(update, project)


def test_it_does_not_relay_another_project_s_progress(client, alice):
    watched = rendering(alice)
    other = rendering(alice, title="Tides")
    headers = session_headers(client, alice)

    async def scenario():
        socket = WebsocketCommunicator(application, f"/ws/projects/{watched.pk}/", headers=headers)
        connected, _ = await socket.connect(timeout=10)
        assert connected
        await socket.receive_json_from(timeout=10)
        await sync_to_async(progress.publish)(other.pk)
        nothing = await socket.receive_nothing(timeout=1.5)
        await socket.disconnect()
        return nothing

    assert async_to_sync(scenario)()


def test_it_lets_staff_watch_any_project(client, alice, staff):
    project = rendering(alice)

    message = first_message(project.pk, session_headers(client, staff))

    assert_shows_stored_state(message, project)


def test_it_refuses_another_user(client, alice, bob):
    project = rendering(alice)

    assert connect(project.pk, session_headers(client, bob)) == (False, 4403)


def test_it_refuses_anonymous_visitors(alice):
    project = rendering(alice)

    assert connect(project.pk, [(b"origin", b"http://localhost")]) == (False, 4401)


def test_it_refuses_a_project_that_does_not_exist(client, alice):
    project = rendering(alice)
    missing = project.pk + 1000

    assert connect(missing, session_headers(client, alice)) == (False, 4403)


def test_it_refuses_the_owner_from_a_foreign_origin(client, alice):
    project = rendering(alice)
    headers = session_headers(client, alice, origin="https://attacker.example")

    accepted, _ = connect(project.pk, headers)

    assert not accepted
