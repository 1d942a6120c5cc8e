"""A worker that dies all at once (SIGKILL: a crash, the OOM killer, a lost machine) costs minutes,
not hours: its render is handed out again and finishes, in either run mode (both queue on Redis),
or, if the broker lost it, the watchdog fails the run so the creator can retry. A living worker
keeps what it holds however long it runs. (A dying pool process alone:
test_pipeline_resilience.py.)"""

import pytest
import redis
from django.conf import settings

from payments_app.models import RenderUsage
from tests.video_app.factories import make_project
from tests.video_app.services.test_pipeline import wait_for_run
from tests.video_app.test_pipeline_resilience import wait_for_step
from video_app.models import PipelineStep, RenderedVideo, TaskInHand, VideoProject
from video_app.services import projects

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

RENDER_TASK = "video_app.tasks.render_task"


def deliveries(worker, task_name: str, since: int) -> int:
    """How many times the worker was handed `task_name` after line `since` of its output."""
    return sum(
        f"Task {task_name}[" in line and "received" in line for line in worker.output[since:]
    )


def start_render(user, platforms=("instagram_square",)) -> VideoProject:
    project = make_project(user, platforms=platforms)
    projects.run_start(project=project, kind="render")
    project.refresh_from_db()
    return project


def render_seconds(project) -> float:
    step = PipelineStep.objects.get(project=project, run_number=project.run_number, name="render")
    return step.duration.total_seconds()


def lose_what_the_broker_held() -> None:
    """The broker forgets the tasks handed out (Redis restarted without its data, say)."""
    redis.Redis.from_url(settings.REDIS_URL).delete("unacked", "unacked_index")


def test_it_finishes_a_render_whose_whole_worker_was_killed(alice, celery_worker_process):
    worker = celery_worker_process
    project = start_render(alice)
    wait_for_step(project, "render")

    worker.kill()
    since = len(worker.output)
    worker.restart()  # as compose's `restart: unless-stopped` does
    # The lease of the dead worker runs out (BROKER_LEASE_S) and the render is handed out again.
    wait_for_run(project, timeout_s=300)

    assert project.status == VideoProject.Status.COMPLETED, project.error_detail + "".join(
        worker.output[-40:]
    )
    assert RenderedVideo.objects.filter(project=project).count() == 1
    assert deliveries(worker, RENDER_TASK, since) == 1
    assert not TaskInHand.objects.filter(project=project).exists()


def test_a_living_worker_keeps_a_render_longer_than_its_lease(
    alice, celery_worker_process, tmp_path
):
    worker = celery_worker_process
    usual_env = worker.env
    lease_s = 1  # renewed every 0.25 s, expired leases looked for every second
    # Nothing reused from earlier renders, and two masters (16:9, 9:16): a render of seconds.
    worker.restart(
        {
            **usual_env,
            "BROKER_LEASE_S": str(lease_s),
            "RENDER_CACHE_DIR": str(tmp_path / "render-cache"),
        }
    )
    since = len(worker.output)
    try:
        project = start_render(alice, platforms=("youtube", "tiktok"))
        wait_for_run(project)
    finally:
        worker.restart(usual_env)

    assert project.status == VideoProject.Status.COMPLETED, project.error_detail
    # Meaningful because the render outlived its lease several times: on Redis, a lease not
    # renewed would have handed it out again.
    assert render_seconds(project) > 2 * lease_s
    assert deliveries(worker, RENDER_TASK, since) == 1


def test_it_resumes_a_run_whose_task_was_lost_and_it_finishes_once(alice, celery_worker_process):
    worker = celery_worker_process
    usual_env = worker.env
    project = start_render(alice)
    wait_for_step(project, "render", timeout_s=300)

    worker.kill()
    lose_what_the_broker_held()  # nothing will hand the render out again: only the watchdog
    worker.restart({**usual_env, "RUN_LOST_AFTER_S": "6"})
    try:
        wait_for_run(project, timeout_s=180)
    finally:
        worker.restart(usual_env)

    assert project.status == VideoProject.Status.COMPLETED, project.error_detail
    assert project.run_resumes >= 1
    assert RenderedVideo.objects.filter(project=project).count() == 1
    assert RenderUsage.objects.filter(project_id=project.pk).count() == 1
    assert not TaskInHand.objects.filter(project=project).exists()


def test_it_finishes_once_a_render_whose_worker_was_killed_mid_export(alice, celery_worker_process):
    worker = celery_worker_process
    project = start_render(alice, platforms=("youtube", "tiktok"))
    wait_for_step(project, "export", timeout_s=300)

    worker.kill()
    worker.restart()  # the export is handed out again when its lease (8 s here) runs out
    wait_for_run(project, timeout_s=300)

    assert project.status == VideoProject.Status.COMPLETED, project.error_detail
    assert RenderedVideo.objects.filter(project=project).count() == 2
    assert RenderUsage.objects.filter(project_id=project.pk).count() == 1
    assert project.emailed_run in (0, project.run_number)  # claimed once, never twice
