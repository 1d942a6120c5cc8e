"""Celery runs tasks in a real, separate worker process, on both queues, in either run mode."""

import os

from django.conf import settings

from project_core.celery import app as celery_app
from project_core.celery import debug_task


def test_it_runs_a_task_in_a_separate_worker_process(celery_worker_process):
    result = debug_task.delay().get(timeout=60)

    assert result["pid"] != os.getpid()
    assert result["hostname"] == celery_worker_process.name.replace("%h", os.uname().nodename)
    assert result["queue"] == "light"


def test_it_delivers_to_the_render_queue(celery_worker_process):
    result = debug_task.apply_async(queue="render").get(timeout=60)

    assert result["queue"] == "render"


def test_it_routes_render_and_export_tasks_to_the_render_queue():
    def queue_of(task_name):
        return celery_app.amqp.router.route({}, task_name)["queue"].name

    assert queue_of("video_app.tasks.render_video_task") == "render"
    assert queue_of("video_app.tasks.export_platform_task") == "render"
    assert queue_of("video_app.tasks.process_script_task") == "light"


def test_it_uses_the_broker_of_the_run_mode():
    expected = "redis" if settings.REDIS_URL else "filesystem"

    assert celery_app.connection_for_write().transport_cls == expected
