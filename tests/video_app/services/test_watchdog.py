"""The watchdog's bookkeeping: tasks in hand, their attempts, and runs whose worker was lost.
(The same with real workers killed mid-render: tests/video_app/test_lost_workers.py.)"""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tests.video_app.factories import make_project
from video_app import tasks
from video_app.models import PipelineStep, TaskInHand, VideoProject
from video_app.services import projects, watchdog

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def rendering(alice, queued, no_progress_news):
    project = make_project(alice)
    projects.run_start(project=project, kind="render")
    project.refresh_from_db()
    PipelineStep.objects.filter(project=project, name="script").update(state="done", progress=1)
    VideoProject.objects.filter(pk=project.pk).update(run_state=VideoProject.RunState.RUNNING)
    return project


def start(project, task_id="task-1", task_name="video_app.tasks.render_video_task"):
    return watchdog.task_started(
        task_id=task_id,
        task_name=task_name,
        project_id=project.pk,
        run=project.run_number,
        step="render",
        worker="w1@host",
    )


def silence(minutes):
    TaskInHand.objects.update(heartbeat_at=timezone.now() - timedelta(minutes=minutes))


def test_it_counts_a_start_after_a_death_as_another_attempt(rendering):
    assert start(rendering) == 1
    assert start(rendering) == 2  # the first process died holding it: no end was recorded
    watchdog.task_ended(task_id="task-1", task_name="video_app.tasks.render_video_task")

    assert start(rendering) == 1
    # The successor of a replaced task keeps its id: another name, another row.
    assert start(rendering, task_name="video_app.tasks.export_video_task") == 1


def test_it_fails_a_run_whose_task_went_silent(rendering, settings):
    settings.RUN_LOST_AFTER_S = 600
    start(rendering)
    silence(minutes=11)

    assert watchdog.fail_lost_runs() == [rendering.pk]

    rendering.refresh_from_db()
    assert rendering.run_state == VideoProject.RunState.FAILED
    assert rendering.status == VideoProject.Status.FAILED
    assert rendering.failed_step == "render"
    assert "stopped during the render step" in rendering.error_message
    assert "Retry" in rendering.error_message
    assert "w1@host" in rendering.error_detail
    assert not TaskInHand.objects.exists()
    assert len(mail.outbox) == 1  # the creator hears of it once
    # The plan's render slot is free again, and the run can be retried.
    assert projects.busy_renders(rendering.user) == 0
    lost_run = rendering.run_number
    assert projects.project_retry(project=rendering) == lost_run + 1


def test_it_leaves_a_run_whose_task_shows_signs_of_life(rendering, settings):
    settings.RUN_LOST_AFTER_S = 600
    start(rendering)
    silence(minutes=9)

    assert watchdog.fail_lost_runs() == []

    rendering.refresh_from_db()
    assert rendering.run_state == VideoProject.RunState.RUNNING
    assert TaskInHand.objects.count() == 1


def test_it_only_drops_the_rows_of_runs_that_are_over(rendering, settings):
    settings.RUN_LOST_AFTER_S = 600
    start(rendering)
    silence(minutes=11)
    projects.project_mark_failed(project=rendering, reason="Stopped by staff.")
    rendering.refresh_from_db()

    assert watchdog.fail_lost_runs() == []
    rendering.refresh_from_db()
    assert rendering.error_message == "Stopped by staff."
    assert not TaskInHand.objects.exists()


def test_it_fails_a_run_whose_task_keeps_killing_its_worker(rendering, settings):
    settings.RUN_MAX_TASK_ATTEMPTS = 3
    for _ in range(3):
        start(rendering)  # three processes died holding the render

    # The fourth delivery does not render: it fails the run.
    result = tasks.render_video_task.apply(
        args=(rendering.pk, rendering.run_number), task_id="task-1"
    )

    assert result.successful()
    rendering.refresh_from_db()
    assert rendering.run_state == VideoProject.RunState.FAILED
    assert "stopped 3 times" in rendering.error_message
    assert "more memory" in rendering.error_message
    assert not TaskInHand.objects.exists()


def test_a_task_records_itself_while_it_runs_and_forgets_itself_after(rendering, monkeypatch):
    seen = []
    monkeypatch.setattr(
        tasks.pipeline,
        "render_masters",
        lambda project_id, run: seen.append(
            list(TaskInHand.objects.values_list("task_name", "attempts"))
        ),
    )
    monkeypatch.setattr(tasks.pipeline, "current_project", lambda project_id, run: None)

    tasks.render_video_task.apply(args=(rendering.pk, rendering.run_number))

    assert seen == [[("video_app.tasks.render_video_task", 1)]]
    assert not TaskInHand.objects.exists()


# The beats come from another thread, through its own connection: they must see committed rows.
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_task_beats_while_it_runs(rendering, settings):
    settings.RUN_HEARTBEAT_S = 0.05
    start(rendering)
    silence(minutes=5)
    before = TaskInHand.objects.get().heartbeat_at

    with watchdog.keep_alive(task_id="task-1", task_name="video_app.tasks.render_video_task"):
        deadline = time.monotonic() + 30
        while TaskInHand.objects.get().heartbeat_at == before and time.monotonic() < deadline:
            time.sleep(0.05)

    assert TaskInHand.objects.get().heartbeat_at > before + timedelta(minutes=4)


def test_other_tasks_of_a_failed_run_do_nothing(rendering):
    projects.project_mark_failed(project=rendering, reason="Stopped by staff.")

    assert tasks.pipeline.current_project(rendering.pk, rendering.run_number) is None
