"""A worker killed outright (SIGKILL: a crash, the OOM killer) after any step of a render has
done its work but before the broker heard that it finished: the worst moment, since the step is
handed out again. The run must still end with one video per platform, one render counted and
one email, and nothing half-written left behind."""

import time

import pytest

from tests.video_app.factories import make_project
from tests.video_app.services.test_pipeline import wait_for_run
from video_app.services import projects

from .conftest import assert_finished_once, partial_files, wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True, databases="__all__"),
    pytest.mark.timeout(900),  # the run up to the kill, then the run after it
]

# The task that ends each step of a render run (tasks.py), in the order they run.
LAST_TASK_OF_STEP = {
    "script": "video_app.tasks.script_task",
    "scenes": "video_app.tasks.scenes_task",
    "media": "video_app.tasks.media_task",
    "voice": "video_app.tasks.voice_task",
    "render": "video_app.tasks.render_task",
    "export": "video_app.tasks.export_task",
    "finish": "video_app.tasks.finish_run_task",
}


@pytest.mark.parametrize("step", LAST_TASK_OF_STEP)
def test_it_finishes_a_render_exactly_once_when_the_worker_dies_after_a_step(
    step, alice, fault_worker, outbox, tmp_path
):
    worker = fault_worker
    usual_env = worker.env
    paused = tmp_path / "paused"
    worker.restart(
        {**usual_env, "FAULT_PAUSE_AFTER": LAST_TASK_OF_STEP[step], "FAULT_MARKER": str(paused)}
    )
    # One master (9:16) exported twice: two platforms that must each get exactly one file.
    project = make_project(alice, platforms=("tiktok", "instagram_reels"))
    projects.run_start(project=project, kind="render")
    wait_until(paused.exists, timeout_s=300, what=f"a pause after the {step} step")

    worker.kill()
    worker.restart(usual_env)  # a supervisor's restart
    back_at = time.monotonic()
    wait_for_run(project, timeout_s=300)
    took_s = time.monotonic() - back_at
    print(f"{step}: finished {took_s:.0f} s after the worker came back")

    assert took_s <= 120, "the run must end within 2 minutes of a worker being back"

    assert_finished_once(project, outbox)
    assert not partial_files()
