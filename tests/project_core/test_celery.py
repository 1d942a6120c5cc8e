"""Celery runs tasks in a real, separate worker process, on both queues, in either run mode, on
Redis: the production stack's or the embedded default's private one, which keeps what it queued
when it restarts."""

import os

from django.conf import settings
from kombu import Connection

from project_core.celery import app as celery_app
from project_core.celery import debug_task
from project_core.embedded import EmbeddedRedis


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

    assert queue_of("video_app.tasks.render_task") == "render"
    assert queue_of("video_app.tasks.export_task") == "render"
    assert queue_of("video_app.tasks.scenes_task") == "light"


def test_it_queues_on_the_redis_of_the_run_mode():
    connection = celery_app.connection_for_write()

    assert connection.transport_cls == "redis"
    with connection:
        assert connection.default_channel.client.ping()
        assert connection.default_channel.client.connection_pool.connection_kwargs.get("path") == (
            str(settings.EMBEDDED_REDIS_DIR / "redis.sock") if settings.EMBEDDED_REDIS else None
        )


def test_the_embedded_redis_keeps_queued_tasks_when_it_restarts(tmp_path):
    server = EmbeddedRedis(tmp_path / "redis")
    server.start()
    url = f"redis+socket://{server.socket}"
    try:
        with Connection(url) as connection:
            connection.SimpleQueue("render").put({"task": "a render"})
        server.stop()  # as supervisord restarts it (SIGTERM)
        server.start()
        with Connection(url) as connection:
            message = connection.SimpleQueue("render").get(timeout=5)
            message.ack()
    finally:
        server.stop()

    assert message.payload == {"task": "a render"}
