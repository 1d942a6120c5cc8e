"""A run carried out in this process (`make_video`'s way): the canvas's steps in the canvas's
order, the run's end, failure and cancel recorded as a worker records them."""

import pytest

from tests.video_app.factories import make_project
from video_app.engine.core.errors import InvalidInput
from video_app.models import RenderedVideo, TaskInHand, VideoProject
from video_app.services import in_process, pipeline, projects

# Real steps: pictures drawn, voices read, a video rendered and exported.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

STEP_FUNCTIONS = (
    "write_project_script",
    "split_project_script",
    "make_scene_media",
    "make_scene_voice",
    "render_masters",
    "export_platform",
    "finish_run",
)
SCRIPT = "Shells wash up at dawn.\n\nChildren pick the best ones."


@pytest.fixture
def calls(monkeypatch):
    """The pipeline's step functions, each call recorded before it runs for real."""
    made = []

    def recording(name, real):
        def recorded(*args, **kwargs):
            made.append(name)
            return real(*args, **kwargs)

        return recorded

    for name in STEP_FUNCTIONS:
        monkeypatch.setattr(pipeline, name, recording(name, getattr(pipeline, name)))
    return made


def test_a_render_runs_the_canvas_steps_in_order_and_ends_as_a_workers_run(alice, calls):
    project = make_project(alice, script=SCRIPT, platforms=("youtube_shorts", "tiktok"))
    run = projects.run_start(project=project, kind="render", queue=False)

    in_process.run_in_process(project.pk, run)

    scenes = project.script.scenes.count()
    assert scenes == 2
    # Pictures beside voices, as the canvas's group; every other step in its place.
    assert calls[:2] == ["write_project_script", "split_project_script"]
    assert (
        sorted(calls[2 : 2 + 2 * scenes])
        == ["make_scene_media"] * scenes + ["make_scene_voice"] * scenes
    )
    assert calls[2 + 2 * scenes :] == [
        "render_masters",
        "export_platform",
        "export_platform",
        "finish_run",
    ]
    project.refresh_from_db()
    assert (project.status, project.run_state) == ("completed", "succeeded")
    assert {video.platform for video in RenderedVideo.objects.filter(project=project)} == {
        "youtube_shorts",
        "tiktok",
    }
    assert alice.render_usage.count() == 1  # counted as any finished render is
    assert not TaskInHand.objects.exists()


def test_a_run_of_one_step_runs_that_step_only(alice, calls):
    project = make_project(alice, script=SCRIPT)
    projects.run_start(project=project, kind="scenes", queue=False)
    in_process.run_in_process(project.pk, project.run_number)
    calls.clear()
    project.refresh_from_db()
    run = projects.run_start(project=project, kind="voice", queue=False)

    in_process.run_in_process(project.pk, run)

    assert calls == ["make_scene_voice", "make_scene_voice", "finish_run"]
    project.refresh_from_db()
    assert project.status == VideoProject.Status.VOICE


def test_a_failing_step_fails_the_run_with_its_cause_and_a_retry_finishes_it(alice, monkeypatch):
    project = make_project(alice, script=SCRIPT)
    real_render = pipeline.render_masters

    def broken(*args):
        raise InvalidInput("The render could not start.", detail="broken on purpose")

    monkeypatch.setattr(pipeline, "render_masters", broken)
    run = projects.run_start(project=project, kind="render", queue=False)

    with pytest.raises(InvalidInput):
        in_process.run_in_process(project.pk, run)

    project.refresh_from_db()
    assert (project.run_state, project.failed_step) == ("failed", "render")
    assert project.error_message == "The render could not start."
    assert not TaskInHand.objects.exists()
    monkeypatch.setattr(pipeline, "render_masters", real_render)
    retry = projects.run_start(project=project, kind="render", retry=True, queue=False)
    in_process.run_in_process(project.pk, retry)
    project.refresh_from_db()
    assert (project.status, project.run_state) == ("completed", "succeeded")


def test_an_interrupt_cancels_the_run_and_charges_nothing(alice, monkeypatch):
    project = make_project(alice, script=SCRIPT)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "make_scene_voice", interrupted)
    run = projects.run_start(project=project, kind="render", queue=False)

    with pytest.raises(KeyboardInterrupt):
        in_process.run_in_process(project.pk, run)

    project.refresh_from_db()
    assert project.run_state == VideoProject.RunState.CANCELLED
    assert project.status != VideoProject.Status.RENDERING
    assert alice.render_usage.count() == 0
    assert not TaskInHand.objects.exists()


def test_the_command_lines_own_account_has_a_plan_never_offered_for_sale(alice):
    user = in_process.command_line_user()

    assert in_process.command_line_user() == user  # made once
    membership = user.membership
    assert membership.plan.slug == in_process.COMMAND_LINE_PLAN
    assert not membership.plan.is_active and not membership.plan.watermark
    assert in_process.command_line_user("alice@example.com") == alice
    with pytest.raises(InvalidInput, match="There is no account 'nobody'"):
        in_process.command_line_user("nobody")
