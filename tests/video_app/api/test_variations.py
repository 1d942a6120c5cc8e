"""Variations for A/B tests (`POST /api/v1/projects/<id>/generate_variations/`): what each copy
changes, when a script is rewritten, the plan's say over rendering them all, and the whole flow
with a real worker, checked on the rendered files."""

import time

import pytest
from django.urls import reverse

from payments_app import services as quotas
from payments_app.models import Plan, RenderUsage
from tests.video_app.api.conftest import token_client
from tests.video_app.factories import SHORT_SCRIPT, make_project
from video_app.engine.core.ffmpeg import probe
from video_app.models import RenderedVideo, VideoProject
from video_app.services import files, pipeline, projects

DESCRIPTION = (
    "Tides, moon phases, hermit crabs, sea snails, coral reefs, sand dollars, beach erosion, "
    "shell collectors"
)


def variations_url(project):
    return reverse("api:project-generate-variations", args=[project.pk])


def copies_of(project):
    return list(VideoProject.objects.filter(duplicated_from=project).order_by("pk"))


@pytest.mark.django_db
def test_it_makes_one_copy_per_change_each_named_by_what_it_changes(
    alice, alice_api, enqueued, django_capture_on_commit_callbacks
):
    project = make_project(alice, platforms=("instagram_square",))
    project.script.scenes.create(position=0, text="Every morning the tide brings new shells.")

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.post(
            variations_url(project),
            {
                "durations": [30, 60],
                "styles": ["bold"],
                "platforms": [["tiktok"], ["youtube", "tiktok"]],
                "replace_script": True,
            },
            format="json",
        )

    assert response.status_code == 201, response.content
    thirty, sixty, bold, tiktok, youtube = copies_of(project)
    assert [copy.variation_label for copy in (thirty, sixty, bold, tiktok, youtube)] == [
        "30 s",
        "60 s",
        "Bold style",
        "TikTok",
        "YouTube + TikTok",
    ]
    assert thirty.title == "Shells on the beach (30 s)"
    assert all(copy.user == alice for copy in (thirty, bold))
    assert (thirty.target_duration_s, sixty.target_duration_s) == (30, 60)
    # A length variation starts without a script: its render writes one of that length.
    assert (thirty.script.text, thirty.script.scenes.count(), thirty.status) == ("", 0, "draft")
    # The others keep the script and its storyboard.
    assert (bold.style, bold.platforms) == ("bold", ["instagram_square"])
    assert bold.script.text == SHORT_SCRIPT and bold.script.scenes.count() == 1
    assert (tiktok.platforms, youtube.platforms) == (["tiktok"], ["youtube", "tiktok"])
    assert tiktok.style == "modern" and tiktok.script.text == SHORT_SCRIPT
    assert response.json()[0]["duplicated_from"] == project.pk
    assert enqueued == []


@pytest.mark.django_db
def test_it_does_not_replace_a_script_the_creator_wrote_unless_told(alice, alice_api):
    project = make_project(alice)

    response = alice_api.post(
        variations_url(project), {"durations": [30], "styles": ["bold"]}, format="json"
    )

    assert response.status_code == 400
    assert "You wrote this project's script" in response.json()["detail"]
    assert copies_of(project) == []


@pytest.mark.django_db
def test_no_variations_of_a_project_being_worked_on(alice, alice_api):
    project = make_project(alice)
    VideoProject.objects.filter(pk=project.pk).update(run_state=VideoProject.RunState.RUNNING)

    response = alice_api.post(variations_url(project), {"styles": ["bold"]}, format="json")

    assert response.status_code == 409
    assert response.json()["detail"] == projects.ProjectBusy.message
    assert copies_of(project) == []


@pytest.mark.django_db
def test_a_duplicate_keeps_the_target_length(alice):
    project = make_project(alice)
    VideoProject.objects.filter(pk=project.pk).update(target_duration_s=45)
    project.refresh_from_db()

    assert projects.project_duplicate(project=project).target_duration_s == 45


@pytest.mark.django_db
def test_it_writes_a_new_script_for_a_length_variation_of_a_written_one(alice, alice_api):
    project = make_project(alice, script="")
    VideoProject.objects.filter(pk=project.pk).update(status="scripting")
    project.script.text, project.script.provider = "A script the writer made.", "structured"
    project.script.save()

    response = alice_api.post(variations_url(project), {"durations": [20]}, format="json")

    assert response.status_code == 201
    [copy] = copies_of(project)
    assert (copy.script.text, copy.script.provider, copy.target_duration_s) == ("", "", 20)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"styles": ["modern"]}, "styles", "The project already uses the modern style."),
        (
            {"platforms": [["instagram_square"]]},
            "platforms",
            "The project already has these platforms.",
        ),
        ({"durations": [30, 30]}, "durations", "Each length once."),
        ({"durations": [3]}, "durations", None),
        ({"platforms": [[]]}, "platforms", None),
        ({"styles": ["baroque"]}, "styles", None),
    ],
)
def test_it_names_what_is_wrong_with_a_request(alice, alice_api, body, field, message):
    project = make_project(alice)

    response = alice_api.post(variations_url(project), body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    if message:
        assert response.json()[field] == [message]
    assert copies_of(project) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Ask for at least one variation: a length, a style or platforms."),
        (
            {
                "styles": ["bold", "minimal", "warm", "nature", "tech"],
                "platforms": [["tiktok"], ["youtube"]],
            },
            "You asked for 7 variations; at most 6 are made at once. Ask for fewer, then for the "
            "rest.",
        ),
    ],
)
def test_it_makes_one_to_six_variations_at_once(alice, alice_api, body, message):
    project = make_project(alice)

    response = alice_api.post(variations_url(project), body, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": message}
    assert copies_of(project) == []


@pytest.mark.django_db
def test_it_queues_a_render_of_each_copy_once_they_are_saved(
    alice, alice_api, enqueued, django_capture_on_commit_callbacks
):
    quotas.grant_plan(user=alice, plan=Plan.objects.get(slug="creator"))  # 2 renders at a time
    project = make_project(alice)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = alice_api.post(
            variations_url(project),
            {"styles": ["bold"], "platforms": [["tiktok"]], "render": True},
            format="json",
        )

    assert response.status_code == 201
    copies = copies_of(project)
    assert sorted(enqueued) == sorted((copy.pk, 1, [], False) for copy in copies)
    assert len(callbacks) == 4  # queued (and announced) after commit, not before
    assert [copy.run_state for copy in copies] == ["queued", "queued"]
    assert VideoProject.objects.get(pk=project.pk).run_number == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("used", "body", "limit", "message"),
    [
        (
            4,
            {"styles": ["bold", "warm"]},
            "renders",
            "These 2 renders need 2 of your Free plan's renders; 1 are left this period.",
        ),
        (
            0,
            {"styles": ["bold", "warm"]},
            "concurrent",
            "Your Free plan renders 1 video at a time. These 2 would be more.",
        ),
        (
            0,
            {"durations": [90], "replace_script": True},
            "length",
            "This video would be about 90 s long; your Free plan makes videos up to 60 s.",
        ),
    ],
)
def test_it_renders_all_the_variations_or_none(
    alice, alice_api, enqueued, used, body, limit, message
):
    project = make_project(alice)
    for run in range(used):
        RenderUsage.objects.create(user=alice, project_id=project.pk, run_number=run)

    response = alice_api.post(variations_url(project), {**body, "render": True}, format="json")

    assert response.status_code == 403
    assert response.json()["limit"] == limit
    assert response.json()["detail"].startswith(message)
    assert copies_of(project) == []
    assert enqueued == []


@pytest.mark.django_db
def test_it_writes_a_script_of_the_project_s_target_length(alice, queued, no_progress_news):
    lengths = {}
    for seconds in (10, 30):
        project = make_project(alice, script="", description=DESCRIPTION)
        VideoProject.objects.filter(pk=project.pk).update(target_duration_s=seconds)
        run = projects.run_start(project=project, kind="script")

        pipeline.write_project_script(project.pk, run)

        lengths[seconds] = len(VideoProject.objects.get(pk=project.pk).script.text)
    assert lengths[10] * 1.5 < lengths[30]


# --- end to end ---------------------------------------------------------------------------------


def wait_for_runs(projects_, timeout_s=300):
    deadline = time.monotonic() + timeout_s
    for project in projects_:
        while True:
            project.refresh_from_db()
            if not project.is_busy:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"{project} still {project.run_state} after {timeout_s} s")
            time.sleep(0.5)
    return projects_


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_it_renders_variations_made_through_the_api(alice, celery_worker_process):
    # Three renders at once at the Free plan's 720p: a plan made for the test.
    tester = Plan.objects.create(
        slug="tester",
        name="Tester",
        price_label="-",
        renders_per_period=None,
        max_height_px=720,
        concurrent_renders=3,
        max_video_s=120,
    )
    quotas.grant_plan(user=alice, plan=tester)
    project = make_project(alice, description=DESCRIPTION, platforms=("instagram_square",))

    response = token_client(alice).post(
        variations_url(project),
        {
            "durations": [10, 30],
            "platforms": [["tiktok"]],
            "render": True,
            "replace_script": True,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    short, long, tiktok = wait_for_runs(copies_of(project))
    for copy in (short, long, tiktok):
        assert copy.status == VideoProject.Status.COMPLETED, copy.error_detail
        assert copy.duplicated_from_id == project.pk
    assert [short.variation_label, long.variation_label, tiktok.variation_label] == [
        "10 s",
        "30 s",
        "TikTok",
    ]
    probed = {
        copy.variation_label: probe(files.local_path(video.file))
        for copy in (short, long, tiktok)
        for video in RenderedVideo.objects.filter(project=copy)
    }
    assert (probed["TikTok"].width, probed["TikTok"].height) == (720, 1280)  # 9:16 at 720p
    assert (probed["10 s"].width, probed["10 s"].height) == (720, 720)
    assert probed["10 s"].duration_s + 5 < probed["30 s"].duration_s
    # Each length variation got a script written for it; the TikTok one kept the creator's.
    assert short.script.provider and long.script.provider
    assert len(short.script.text) < len(long.script.text)
    assert tiktok.script.text == SHORT_SCRIPT
