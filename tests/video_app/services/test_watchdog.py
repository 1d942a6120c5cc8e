"""The watchdog's bookkeeping: tasks in hand, their attempts, runs whose work was lost (resumed,
then failed), a cancelled run's FFmpeg stopped, and stale temporary files. (The same with real
workers killed mid-render: tests/video_app/test_lost_workers.py.)"""

import json
import os
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psutil
import pytest
from celery import current_app
from django.core import mail
from django.db import OperationalError
from django.utils import timezone

from tests.video_app.factories import make_project
from video_app import tasks
from video_app.engine.core import ffmpeg
from video_app.models import PipelineStep, Scene, TaskInHand, VideoProject
from video_app.services import projects, watchdog

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def recover(django_capture_on_commit_callbacks):
    """The watchdog's pass over lost runs, with what it queues after commit really queued."""

    def recover_now():
        with django_capture_on_commit_callbacks(execute=True):
            return watchdog.recover_lost_runs()

    return recover_now


@pytest.fixture
def rendering(alice, queued, no_progress_news):
    project = make_project(alice)
    projects.run_start(project=project, kind="render")
    project.refresh_from_db()
    PipelineStep.objects.filter(project=project, name="script").update(state="done", progress=1)
    VideoProject.objects.filter(pk=project.pk).update(run_state=VideoProject.RunState.RUNNING)
    return project


def start(project, task_id="task-1", task_name="video_app.tasks.render_task"):
    return watchdog.task_started(
        task_id=task_id,
        task_name=task_name,
        project_id=project.pk,
        run=project.run_number,
        step="render",
        worker="w1@host",
    )


def ended(project, task_id="task-1", task_name="video_app.tasks.render_task"):
    watchdog.task_ended(
        task_id=task_id, task_name=task_name, project_id=project.pk, run=project.run_number
    )


def silence(minutes):
    """Nothing heard from any run or task for `minutes`."""
    then = timezone.now() - timedelta(minutes=minutes)
    TaskInHand.objects.update(heartbeat_at=then)
    VideoProject.objects.update(run_seen_at=then, run_started_at=then)


def make_storyboard_scene(project) -> int:
    return Scene.objects.create(script=project.script, position=0, text="A shell.").pk


@contextmanager
def held_by_the_broker(project):
    """A real message of the run's render task in Redis's handed-out set, as a dead worker
    leaves it until its lease runs out (parked first in a queue no worker reads)."""
    parking = f"runs-test-{uuid.uuid4().hex[:8]}"
    current_app.send_task(
        "video_app.tasks.render_task", args=[project.pk, project.run_number], queue=parking
    )
    with current_app.connection_for_write() as broker:
        channel = broker.default_channel
        client = channel.client
        message = client.rpop(parking)
        tag = uuid.uuid4().hex
        client.hset(channel.unacked_key, tag, json.dumps([json.loads(message), "", parking]))
        client.zadd(channel.unacked_index_key, {tag: time.time()})
        try:
            yield
        finally:
            client.hdel(channel.unacked_key, tag)
            client.zrem(channel.unacked_index_key, tag)


def test_it_counts_a_start_after_a_death_as_another_attempt(rendering):
    assert start(rendering) == 1
    assert start(rendering) == 2  # the first process died holding it: no end was recorded
    ended(rendering)

    assert start(rendering) == 1
    # The successor of a replaced task keeps its id: another name, another row.
    assert start(rendering, task_name="video_app.tasks.export_task") == 1


@pytest.mark.django_db(transaction=True, databases="__all__")  # it reconnects
def test_it_records_a_task_s_end_across_a_dropped_database_connection(rendering, monkeypatch):
    # The end is recorded after the task's outcome is decided (often a retry, because the
    # database dropped its connection): an error here would replace that outcome.
    drops = iter([OperationalError("the connection is lost")])
    seen = watchdog._seen

    def dropped_once(project_id, run):
        if drop := next(drops, None):
            raise drop
        seen(project_id, run)

    start(rendering)
    monkeypatch.setattr(watchdog, "_seen", dropped_once)

    ended(rendering)

    assert not TaskInHand.objects.exists()
    rendering.refresh_from_db()
    assert rendering.run_seen_at is not None


def test_it_resumes_a_run_whose_task_went_silent(rendering, settings, queued, recover):
    settings.RUN_LOST_AFTER_S = 600
    start(rendering)
    silence(minutes=11)

    assert recover() == {"resumed": [rendering.pk], "failed": []}

    rendering.refresh_from_db()
    assert rendering.run_state == VideoProject.RunState.RUNNING
    assert rendering.run_resumes == 1
    # Queued again as it was asked: every step skips what is already done.
    assert queued == [(rendering.pk, rendering.run_number, [], False)]
    assert not TaskInHand.objects.exists()
    assert mail.outbox == []


def test_it_resumes_a_run_as_it_was_asked(alice, queued, no_progress_news, settings, recover):
    settings.RUN_LOST_AFTER_S = 600
    project = make_project(alice)
    scene_id = make_storyboard_scene(project)
    projects.run_start(project=project, kind="media", scene_ids=(scene_id,), force=True)
    silence(minutes=11)

    recover()

    assert queued[-1] == (project.pk, project.run_number, [scene_id], True)


def test_it_resumes_a_queued_run_whose_message_vanished(
    alice, queued, no_progress_news, settings, recover
):
    settings.RUN_LOST_AFTER_S = 600
    project = make_project(alice)
    projects.run_start(project=project, kind="render")  # `queued`: it never reached the broker
    silence(minutes=11)

    assert recover()["resumed"] == [project.pk]
    project.refresh_from_db()
    assert project.run_state == VideoProject.RunState.QUEUED
    assert queued == [(project.pk, project.run_number, [], False)]


def test_it_leaves_a_run_whose_message_the_broker_still_holds(rendering, settings, queued, recover):
    settings.RUN_LOST_AFTER_S = 600
    start(rendering)
    silence(minutes=11)

    # A dead worker's task, handed out again once its lease runs out: not lost, only waiting.
    with held_by_the_broker(rendering):
        assert recover() == {"resumed": [], "failed": []}

    rendering.refresh_from_db()
    assert rendering.run_state == VideoProject.RunState.RUNNING
    assert rendering.run_resumes == 0
    assert queued == []


def test_it_fails_a_run_lost_again_after_its_resumes(rendering, settings, queued, recover):
    settings.RUN_LOST_AFTER_S = 600
    settings.RUN_MAX_RESUMES = 1
    start(rendering)
    silence(minutes=11)
    assert recover()["resumed"] == [rendering.pk]
    PipelineStep.objects.filter(name__in=["scenes", "media", "voice"]).update(state="done")
    silence(minutes=11)  # the resumed run vanished too, during the render

    assert recover() == {"resumed": [], "failed": [rendering.pk]}

    rendering.refresh_from_db()
    assert rendering.run_state == VideoProject.RunState.FAILED
    assert rendering.status == VideoProject.Status.FAILED
    assert rendering.failed_step == "render"
    assert "stopped during the render step" in rendering.error_message
    assert "Retry" in rendering.error_message
    assert "resumed 1 times" in rendering.error_detail
    assert not TaskInHand.objects.exists()
    # The plan's render slot is free again, and the run can be retried, with its own resumes.
    assert projects.busy_renders(rendering.user) == 0
    lost_run = rendering.run_number
    assert projects.project_retry(project=rendering) == lost_run + 1
    rendering.refresh_from_db()
    assert rendering.run_resumes == 0


def test_it_leaves_a_run_whose_task_shows_signs_of_life(rendering, settings, queued, recover):
    settings.RUN_LOST_AFTER_S = 600
    start(rendering)
    silence(minutes=11)
    TaskInHand.objects.update(heartbeat_at=timezone.now() - timedelta(minutes=9))

    assert recover() == {"resumed": [], "failed": []}

    rendering.refresh_from_db()
    assert rendering.run_state == VideoProject.RunState.RUNNING
    assert TaskInHand.objects.count() == 1


def test_it_leaves_a_run_between_two_tasks(rendering, settings, queued, recover):
    settings.RUN_LOST_AFTER_S = 600
    start(rendering)
    silence(minutes=11)
    ended(rendering)  # the task ended just now; the next one is being published

    assert recover() == {"resumed": [], "failed": []}


def test_it_only_drops_the_rows_of_runs_that_are_over(rendering, settings, queued, recover):
    settings.RUN_LOST_AFTER_S = 600
    start(rendering)
    silence(minutes=11)
    projects.project_mark_failed(project=rendering, reason="Stopped by staff.")

    assert recover() == {"resumed": [], "failed": []}
    rendering.refresh_from_db()
    assert rendering.error_message == "Stopped by staff."
    assert not TaskInHand.objects.exists()
    assert queued == []


def test_it_fails_a_run_whose_task_keeps_killing_its_worker(rendering, settings):
    settings.RUN_MAX_TASK_ATTEMPTS = 3
    for _ in range(3):
        start(rendering)  # three processes died holding the render

    # The fourth delivery does not render: it fails the run.
    result = tasks.render_task.apply(args=(rendering.pk, rendering.run_number), task_id="task-1")

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

    tasks.render_task.apply(args=(rendering.pk, rendering.run_number))

    assert seen == [[("video_app.tasks.render_task", 1)]]
    assert not TaskInHand.objects.exists()


# The beats come from another thread, through its own connection: they must see committed rows.
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_task_beats_while_it_runs(rendering, settings):
    settings.RUN_HEARTBEAT_S = 0.05
    start(rendering)
    silence(minutes=5)
    before = TaskInHand.objects.get().heartbeat_at

    with watchdog.keep_alive(
        task_id="task-1",
        task_name="video_app.tasks.render_task",
        project_id=rendering.pk,
        run=rendering.run_number,
    ):
        deadline = time.monotonic() + 30
        while TaskInHand.objects.get().heartbeat_at == before and time.monotonic() < deadline:
            time.sleep(0.05)

    assert TaskInHand.objects.get().heartbeat_at > before + timedelta(minutes=4)


def test_other_tasks_of_a_failed_run_do_nothing(rendering):
    projects.project_mark_failed(project=rendering, reason="Stopped by staff.")

    assert tasks.pipeline.current_project(rendering.pk, rendering.run_number) is None


# --- a cancelled run's FFmpeg -------------------------------------------------------------------


def ffmpeg_children() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if "ffmpeg" in p.name()]


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_running_task_kills_its_ffmpeg_when_its_run_is_cancelled(rendering, settings, tmp_path):
    settings.RUN_CANCEL_CHECK_S = 0.1
    start(rendering)
    outcome = {}

    def encode():  # a minute of video at its real pace
        try:
            ffmpeg.run_ffmpeg(
                [
                    "-re",
                    "-f",
                    "lavfi",
                    "-i",
                    "testsrc=size=320x240:rate=25:duration=60",
                    "-f",
                    "mpegts",
                    str(tmp_path / "out.ts"),
                ],
                description="A test encode",
                timeout_s=120,
            )
        except ffmpeg.Stopped as stopped:
            outcome["stopped"] = stopped

    in_hand = {"task_id": "task-1", "task_name": "video_app.tasks.render_task"}
    try:
        with watchdog.keep_alive(**in_hand, project_id=rendering.pk, run=rendering.run_number):
            encoder = threading.Thread(target=encode)
            encoder.start()
            deadline = time.monotonic() + 20
            while not ffmpeg_children() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert ffmpeg_children()
            cancelled_at = time.monotonic()
            projects.run_cancel(project=rendering)
            encoder.join(timeout=20)
            stopped_after_s = time.monotonic() - cancelled_at
    finally:
        ffmpeg.allow_runs()

    assert "stopped" in outcome
    assert stopped_after_s < 3
    assert ffmpeg_children() == []


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_running_task_lets_ffmpeg_finish_while_its_run_goes_on(rendering, settings, tmp_path):
    settings.RUN_CANCEL_CHECK_S = 0.05
    in_hand = {"task_id": "task-1", "task_name": "video_app.tasks.render_task"}
    with watchdog.keep_alive(**in_hand, project_id=rendering.pk, run=rendering.run_number):
        ffmpeg.run_ffmpeg(
            [
                "-re",
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=160x120:rate=25:duration=1",
                "-f",
                "mpegts",
                str(tmp_path / "out.ts"),
            ],
            description="A test encode",
            timeout_s=60,
        )

    assert (tmp_path / "out.ts").stat().st_size > 0


# --- stale files --------------------------------------------------------------------------------


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_it_deletes_stale_partial_files_and_keeps_fresh_ones(settings, tmp_path):
    settings.RENDER_CACHE_DIR = tmp_path / "cache"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RENDER_PARTIAL_STALE_S = 3600
    segments = tmp_path / "cache" / "segments"
    segments.mkdir(parents=True)
    stale = segments / ".seg-1a2b.partial-0badf00d.ts"
    living = segments / ".seg-3c4d.partial-12345678.ts"  # an encode writing it now
    finished = segments / "seg-1a2b.ts"
    download = tmp_path / "cache" / "storage" / "etag" / "projects" / "1" / "v.mp4.abc.part"
    download.parent.mkdir(parents=True)
    for path in (stale, living, finished, download):
        path.write_bytes(b"x")
    for path in (stale, finished, download):
        age(path, 3700)

    deleted = watchdog.clean_stale_files()

    assert set(deleted) == {stale, download}
    assert living.exists() and finished.exists()


def test_it_deletes_the_work_folder_of_a_deleted_project(alice, settings, tmp_path):
    settings.RENDER_CACHE_DIR = tmp_path / "cache"
    settings.MEDIA_ROOT = tmp_path / "media"
    kept = make_project(alice)
    gone = make_project(alice, title="Gone")
    folders = {
        project.pk: tmp_path / "cache" / "projects" / str(project.pk) / "masters"
        for project in (kept, gone)
    }
    for folder in folders.values():
        folder.mkdir(parents=True)
        (folder / "16x9.mp4").write_bytes(b"x")
        for path in (folder / "16x9.mp4", folder, folder.parent):
            age(path, watchdog.ABANDONED_AFTER_S + 60)
    gone_folder = folders[gone.pk].parent
    projects.project_delete(project=gone)

    watchdog.clean_stale_files()

    assert folders[kept.pk].exists()
    assert not gone_folder.exists()


def test_it_deletes_empty_storage_folders_left_by_a_delete(settings, tmp_path):
    settings.RENDER_CACHE_DIR = tmp_path / "cache"
    settings.MEDIA_ROOT = tmp_path / "media"
    empty = tmp_path / "media" / "projects" / "1" / "7" / "masters"
    just_made = tmp_path / "media" / "projects" / "1" / "8"
    full = tmp_path / "media" / "projects" / "1" / "9"
    for folder in (empty, just_made, full):
        folder.mkdir(parents=True)
    (full / "video.mp4").write_bytes(b"x")
    for folder in (empty, empty.parent, full):
        age(folder, watchdog.ABANDONED_AFTER_S + 60)

    watchdog.clean_stale_files()

    assert not empty.parent.exists()
    assert just_made.exists()  # storage may be about to write into it
    assert (full / "video.mp4").exists()
    assert (tmp_path / "media" / "projects").exists()
