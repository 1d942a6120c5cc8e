"""The API's answers beyond who may call: refusals (busy, no script, plan limits, invalid input)
as JSON sentences, and lists that page, filter and sort in a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from payments_app.models import RenderUsage
from tests.video_app.factories import make_project, make_storyboard
from video_app.api.views import BUSY_SETTINGS, NO_SCRIPT
from video_app.models import VideoProject
from video_app.services import projects
from video_app.views.wizard import BUSY

pytestmark = pytest.mark.django_db


def busy(project):
    VideoProject.objects.filter(pk=project.pk).update(
        run_state=VideoProject.RunState.RUNNING, run_kind="render"
    )
    return project


def detail(project):
    return reverse("api:project-detail", args=[project.pk])


def action(project, name):
    return reverse(f"api:project-{name}", args=[project.pk])


def scene_url(project, scene):
    return reverse("api:project-scene-detail", args=[project.pk, scene.pk])


# --- render and retry ---------------------------------------------------------------------------


def test_it_refuses_to_render_a_project_with_no_script(alice, alice_api, enqueued):
    project = make_project(alice, script="")

    response = alice_api.post(action(project, "render"))

    assert response.status_code == 409
    assert response.json() == {"detail": NO_SCRIPT}
    assert enqueued == []


def test_it_renders_a_project_with_no_script_when_asked_to_write_one(
    alice, alice_api, enqueued, django_capture_on_commit_callbacks
):
    project = make_project(alice, script="")

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.post(action(project, "render"), {"write_script": True}, format="json")

    assert response.status_code == 202
    assert response.json()["run_state"] == "queued"
    assert enqueued == [(project.pk, 1, [], False)]


def test_it_refuses_to_render_a_busy_project(alice, alice_api, enqueued):
    project = busy(make_project(alice))

    response = alice_api.post(action(project, "render"))

    assert response.status_code == 409
    assert response.json() == {"detail": projects.ProjectBusy.message}
    assert enqueued == []


def test_it_refuses_a_render_the_plan_does_not_allow(alice, alice_api, enqueued):
    project = make_project(alice)
    for run in range(5):  # the Free plan's renders this period
        RenderUsage.objects.create(user=alice, project_id=project.pk, run_number=run)

    response = alice_api.post(action(project, "render"))

    assert response.status_code == 403
    assert response.json()["limit"] == "renders"
    assert "renders of your Free plan" in response.json()["detail"]
    assert VideoProject.objects.get(pk=project.pk).run_number == 0
    assert enqueued == []


def test_it_refuses_a_second_render_at_once_on_free(alice, alice_api, enqueued):
    busy(make_project(alice, title="Rendering"))
    project = make_project(alice)

    response = alice_api.post(action(project, "render"))

    assert response.status_code == 403
    assert response.json()["limit"] == "concurrent"


def test_it_has_nothing_to_retry_when_the_last_run_did_not_fail(alice, alice_api, enqueued):
    project = make_project(alice)

    response = alice_api.post(action(project, "retry"))

    assert response.status_code == 409
    assert response.json() == {"detail": projects.NothingToRetry.message}


# --- edits while busy, and refused edits --------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "body"),
    [("patch", {"title": "Tides"}), ("put", {"title": "Tides", "platforms": ["youtube"]})],
)
def test_it_keeps_settings_while_a_run_is_busy(alice, alice_api, method, body):
    project = busy(make_project(alice))

    response = getattr(alice_api, method)(detail(project), body, format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": BUSY_SETTINGS}
    assert VideoProject.objects.get(pk=project.pk).title == "Shells on the beach"


def test_it_keeps_a_busy_project(alice, alice_api):
    project = busy(make_project(alice))

    assert alice_api.delete(detail(project)).status_code == 409
    assert VideoProject.objects.filter(pk=project.pk).exists()


def test_it_keeps_the_storyboard_while_a_run_is_busy(alice, alice_api):
    project = make_storyboard(alice)
    scene = project.script.scenes.first()
    busy(project)

    edited = alice_api.patch(scene_url(project, scene), {"text": "Waves."}, format="json")
    added = alice_api.post(
        reverse("api:project-scene-list", args=[project.pk]), {"text": "Waves."}, format="json"
    )
    deleted = alice_api.delete(scene_url(project, scene))

    assert [edited.status_code, added.status_code, deleted.status_code] == [409, 409, 409]
    assert edited.json() == {"detail": BUSY}
    assert project.script.scenes.count() == 3


def test_it_explains_a_refused_storyboard_edit(alice, alice_api):
    project = make_storyboard(alice, texts=["The only scene."])
    scene = project.script.scenes.get()

    emptied = alice_api.put(
        scene_url(project, scene), {"text": "", "visual_direction": ""}, format="json"
    )
    deleted = alice_api.delete(scene_url(project, scene))

    assert emptied.status_code == 400
    assert emptied.json() == {"detail": "A scene needs words to say or a picture to show."}
    assert deleted.status_code == 400
    assert deleted.json() == {"detail": "A video needs at least one scene."}


def test_it_names_each_invalid_field(alice_api):
    response = alice_api.post(
        reverse("api:project-list"),
        {
            "platforms": ["vhs"],
            "style": "baroque",
            "template": "nope",
            "target_duration_s": 3,
            "voice_speed": 9,
            "voice_id": "nobody",
            "script_provider": "gemini",
        },
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {
        "title",
        "platforms",
        "style",
        "template",
        "target_duration_s",
        "voice_speed",
        "voice_id",
        "script_provider",
    }
    # Gemini has no key here: the creator is told which writers there are.
    assert response.json()["script_provider"] == [
        "“gemini” is not a script writer available here: local, structured."
    ]
    assert not VideoProject.objects.exists()


def test_it_refuses_a_body_that_is_not_json(alice_api):
    response = alice_api.post(
        reverse("api:project-list"), "title=Tides", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 415
    assert "Unsupported media type" in response.json()["detail"]


def test_it_keeps_the_platforms_in_the_order_given(alice, alice_api):
    project = make_project(alice)

    alice_api.patch(detail(project), {"platforms": ["tiktok", "youtube"]}, format="json")

    assert VideoProject.objects.get(pk=project.pk).platforms == ["tiktok", "youtube"]


# --- lists --------------------------------------------------------------------------------------


def test_it_pages_projects_twenty_at_a_time(alice, alice_api):
    for number in range(21):
        projects.project_create(
            user=alice, title=f"Video {number}", platforms=["youtube"], style="modern"
        )

    first = alice_api.get(reverse("api:project-list")).json()
    second = alice_api.get(first["next"]).json()

    assert first["count"] == 21
    assert len(first["results"]) == 20
    assert len(second["results"]) == 1 and second["next"] is None


def test_it_filters_projects_by_status_and_sorts_them(alice, alice_api):
    for title in ("Bees", "Ants", "Crabs"):
        make_project(alice, title=title)
    make_project(alice, title="Draft", script="")

    listed = alice_api.get(
        reverse("api:project-list"), {"status": "scripting", "ordering": "title"}
    ).json()
    wrong = alice_api.get(reverse("api:project-list"), {"status": "asleep"})

    assert [project["title"] for project in listed["results"]] == ["Ants", "Bees", "Crabs"]
    assert wrong.status_code == 400
    assert "status" in wrong.json()


def test_it_lists_projects_in_a_fixed_number_of_queries(alice, alice_api):
    make_project(alice)
    alice_api.get(reverse("api:project-list"))  # the site's settings, read once per process
    with CaptureQueriesContext(connection) as one:
        alice_api.get(reverse("api:project-list"))
    for number in range(5):
        make_project(alice, title=f"Video {number}")

    with CaptureQueriesContext(connection) as six:
        response = alice_api.get(reverse("api:project-list"))

    assert response.json()["count"] == 6
    assert len(six) == len(one)


def test_it_lists_scenes_in_a_fixed_number_of_queries(alice, alice_api):
    short = make_storyboard(alice, texts=["One."])
    long = make_storyboard(alice, texts=["One.", "Two.", "Three.", "Four."])

    with CaptureQueriesContext(connection) as one:
        alice_api.get(reverse("api:project-scene-list", args=[short.pk]))
    with CaptureQueriesContext(connection) as four:
        response = alice_api.get(reverse("api:project-scene-list", args=[long.pk]))

    assert [scene["position"] for scene in response.json()] == [0, 1, 2, 3]
    assert len(four) == len(one)
