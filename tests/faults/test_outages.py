"""What the machine can do to a run: FFmpeg hanging, the disk filling up, the database dropping
its connections, Redis restarting. Each ends either in a finished video (exactly once) or in a
failed run with a sentence a person understands and a Retry that finishes it."""

import stat
import subprocess
import time

import psutil
import pytest
from django.db import connection

from tests.video_app.factories import make_project
from tests.video_app.services.test_pipeline import wait_for_run
from tests.video_app.test_pipeline_resilience import wait_for_step
from video_app.models import TaskInHand, VideoProject
from video_app.services import projects

from .conftest import assert_finished_once, partial_files

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def start_render(user) -> VideoProject:
    project = make_project(user, platforms=("tiktok", "instagram_reels"))
    projects.run_start(project=project, kind="render")
    project.refresh_from_db()
    return project


def processes_running(path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if any(str(path) in part for part in process.info["cmdline"] or ()):
            found.append(process)
    return found


def test_it_stops_a_hanging_ffmpeg_and_the_retry_finishes_the_render(
    alice, fault_worker, outbox, tmp_path
):
    worker = fault_worker
    usual_env = worker.env
    hanging_ffmpeg = tmp_path / "ffmpeg"
    hanging_ffmpeg.write_text("#!/bin/sh\nexec sleep 3600\n")
    hanging_ffmpeg.chmod(hanging_ffmpeg.stat().st_mode | stat.S_IEXEC)
    # Every step that runs FFmpeg hangs; each task may run for seconds, not hours.
    limits = {
        "CELERY_TASK_SOFT_TIME_LIMIT": "10",
        "CELERY_TASK_TIME_LIMIT": "20",
        "CELERY_RENDER_TIME_LIMIT": "80",  # the render's soft limit is a minute less
    }
    worker.restart({**usual_env, **limits, "IMAGEIO_FFMPEG_EXE": str(hanging_ffmpeg)})
    project = start_render(alice)
    wait_for_run(project, timeout_s=600)

    assert project.run_state == VideoProject.RunState.FAILED
    assert "took too long" in project.error_message, project.error_message
    assert not processes_running(hanging_ffmpeg)
    assert not TaskInHand.objects.filter(project=project).exists()

    worker.restart(usual_env)
    projects.project_retry(project=project)
    wait_for_run(project, timeout_s=300)
    assert project.status == VideoProject.Status.COMPLETED, project.error_detail


def test_it_fails_a_render_on_a_full_disk_with_a_sentence_and_the_retry_finishes_it(
    alice, fault_worker, outbox, tmp_path
):
    worker = fault_worker
    usual_env = worker.env
    disk = tmp_path / "small-disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], check=True)
    try:
        worker.restart({**usual_env, "RENDER_CACHE_DIR": str(disk)})
        project = start_render(alice)
        wait_for_run(project, timeout_s=600)

        assert project.run_state == VideoProject.RunState.FAILED
        assert "out of disk space" in project.error_message, project.error_message
        assert not [path for path in disk.rglob("*") if path.is_file() and ".partial-" in path.name]

        # Space is freed (the disk grows); the retry resumes and finishes.
        subprocess.run(["mount", "-o", "remount,size=512m", str(disk)], check=True)
        projects.project_retry(project=project)
        wait_for_run(project, timeout_s=300)
        assert project.status == VideoProject.Status.COMPLETED, project.error_detail
    finally:
        worker.restart(usual_env)
        subprocess.run(["umount", "--lazy", str(disk)], check=False)


@pytest.mark.stack
def test_it_finishes_a_render_exactly_once_while_the_database_drops_connections(
    alice, fault_worker, outbox
):
    project = start_render(alice)
    wait_for_step(project, "media")
    # Every other connection to this database is cut, three times over a few seconds, as a
    # database restart or a failover would do it.
    for _ in range(3):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        time.sleep(1.5)
    wait_for_run(project, timeout_s=300)

    project.refresh_from_db()
    assert_finished_once(project, outbox)
    assert not partial_files()


@pytest.mark.embedded  # the production stack's Redis is shared: not ours to restart
@pytest.mark.usefixtures("fault_worker")
def test_it_finishes_a_render_exactly_once_when_its_redis_restarts_mid_run(
    alice, embedded_redis, outbox
):
    project = start_render(alice)
    wait_for_step(project, "media")

    # As supervisord restarts it: the append-only file keeps the queues. The media task running
    # now ends while Redis is away; its result reaches its chord once Redis is back, so the
    # render follows at once (not the watchdog's resume, minutes later).
    embedded_redis.stop()
    time.sleep(2)
    embedded_redis.start()
    wait_for_run(project, timeout_s=120)

    assert_finished_once(project, outbox)
    assert not partial_files()
