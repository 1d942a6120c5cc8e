"""Cancelling a busy run (`services.projects.run_cancel`): the stage it goes back to, nothing
charged, the render slot freed, and the run's late tasks doing nothing. (With a real worker and
FFmpeg: tests/video_app/test_run_cancel.py.)"""

import pytest

from payments_app.models import RenderUsage
from tests.video_app.factories import add_video, make_project
from video_app.models import PipelineStep, VideoProject
from video_app.services import pipeline, projects

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def rendering(alice, queued, no_progress_news):
    project = make_project(alice)  # a script, no storyboard yet: the script stage
    projects.run_start(project=project, kind="render")
    project.refresh_from_db()
    return project


def test_it_cancels_a_render_back_to_the_stage_it_left(rendering):
    assert rendering.status == VideoProject.Status.RENDERING
    assert projects.busy_renders(rendering.user) == 1

    projects.run_cancel(project=rendering)

    assert rendering.run_state == VideoProject.RunState.CANCELLED
    assert rendering.status == VideoProject.Status.SCRIPTING
    assert rendering.error_message == ""
    assert projects.busy_renders(rendering.user) == 0
    assert not RenderUsage.objects.exists()


def test_it_goes_back_to_a_finished_video_when_a_new_render_is_cancelled(rendering):
    VideoProject.objects.filter(pk=rendering.pk).update(
        run_options={"from_status": VideoProject.Status.COMPLETED}
    )
    add_video(rendering)
    rendering.refresh_from_db()

    projects.run_cancel(project=rendering)

    assert rendering.status == VideoProject.Status.COMPLETED


def test_it_keeps_the_storyboard_a_cancelled_render_made(rendering):
    pipeline.split_project_script(rendering.pk, rendering.run_number)

    projects.run_cancel(project=rendering)

    assert rendering.status == VideoProject.Status.STORYBOARD


def test_the_late_tasks_of_a_cancelled_run_do_nothing(rendering):
    run = rendering.run_number
    projects.run_cancel(project=rendering)

    assert pipeline.current_project(rendering.pk, run) is None
    pipeline.finish_run(rendering.pk, run)
    pipeline.fail_run(rendering.pk, run, "render", RuntimeError("late"))

    rendering.refresh_from_db()
    assert rendering.run_state == VideoProject.RunState.CANCELLED
    assert rendering.status == VideoProject.Status.SCRIPTING
    assert not RenderUsage.objects.exists()
    states = set(PipelineStep.objects.filter(project=rendering).values_list("state", flat=True))
    assert states <= {"pending", "done"}


def test_a_new_render_starts_after_a_cancel(rendering, queued):
    projects.run_cancel(project=rendering)
    cancelled_run = rendering.run_number

    assert projects.run_start(project=rendering, kind="render") == cancelled_run + 1
    assert rendering.run_state == VideoProject.RunState.QUEUED


def test_it_refuses_to_cancel_when_nothing_runs(alice):
    project = make_project(alice)

    with pytest.raises(projects.NothingToCancel):
        projects.run_cancel(project=project)
