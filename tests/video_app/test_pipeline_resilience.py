"""A worker process that dies mid-render loses nothing: the task is handed out again (late
acknowledgement, reject on worker lost) and the run finishes, reusing what was already made."""

import time

import psutil
import pytest

from tests.video_app.factories import make_project
from tests.video_app.services.test_pipeline import wait_for_run
from video_app.models import PipelineStep, RenderedVideo, VideoProject
from video_app.services import projects

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def wait_for_step(project, name, timeout_s=120):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        step = PipelineStep.objects.get(project=project, run_number=project.run_number, name=name)
        if step.state == PipelineStep.State.RUNNING:
            return
        time.sleep(0.05)
    raise AssertionError(f"step {name} never ran")


def test_it_finishes_a_render_whose_worker_process_was_killed(alice, celery_worker_process):
    project = make_project(alice, platforms=("instagram_square",))
    projects.run_start(project=project, kind="render")
    project.refresh_from_db()
    wait_for_step(project, "render")

    # The pool process running the render dies as if the kernel's OOM killer took it.
    [child] = psutil.Process(celery_worker_process.process.pid).children()
    child.kill()
    wait_for_run(project)

    assert project.status == VideoProject.Status.COMPLETED, project.error_detail + "".join(
        celery_worker_process.output[-40:]
    )
    assert RenderedVideo.objects.filter(project=project).count() == 1
    assert any(
        "WorkerLostError" in line or "signal 9" in line for line in celery_worker_process.output
    )
