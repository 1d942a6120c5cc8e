"""Measuring a pipeline step: its time, CPU and memory, how it ended, and a log that never fails
the step."""

import subprocess
import sys
import time

import pytest
from celery.exceptions import Ignore, Retry
from django.db import DatabaseError
from django.utils import timezone

from tests.video_app.factories import make_project
from video_app.analytics.tracking import VideoAnalytics
from video_app.engine.core.errors import InvalidInput, RenderFailed
from video_app.models import StepPerformance, VideoProject

pytestmark = pytest.mark.django_db


def burn_cpu(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


BURN_IN_CHILD = "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: 0"


def test_it_measures_a_step_s_time_cpu_and_memory():
    with VideoAnalytics.track_step("render", worker="test@host"):
        burn_cpu(0.2)

    row = StepPerformance.objects.get()
    assert (row.step, row.outcome, row.worker, row.provider) == (
        "render",
        "ok",
        "test@host",
        "ffmpeg",
    )
    assert row.cpu_s >= 0.19
    assert row.wall_s >= 0.19
    assert 20 < row.peak_memory_mb < 20_000  # a Python process, in MB (not kB, not bytes)
    assert abs((timezone.now() - row.started_at).total_seconds()) < 60


def test_it_counts_the_cpu_of_the_programs_a_step_runs():
    started = time.process_time()
    with VideoAnalytics.track_step("render"):
        subprocess.run([sys.executable, "-c", BURN_IN_CHILD], check=True)
    own_s = time.process_time() - started

    row = StepPerformance.objects.get()
    assert own_s < 0.3  # this process mostly waited
    assert row.cpu_s >= 0.5  # the child's half second is in


@pytest.mark.parametrize(
    ("raised", "outcome"),
    [
        (Retry(exc=RenderFailed("FFmpeg stopped.")), "retry"),
        (Ignore(), "ok"),  # a task replacing itself with the rest of the canvas
        (InvalidInput("This project has no scenes."), "failed"),
        (KeyError("masters"), "failed"),
    ],
)
def test_it_records_how_a_step_ended(raised, outcome):
    with pytest.raises(type(raised)), VideoAnalytics.track_step("export", platform="tiktok"):
        raise raised

    row = StepPerformance.objects.get()
    assert (row.step, row.subject, row.outcome) == ("export", "tiktok", outcome)
    if outcome != "ok":
        assert type(getattr(raised, "exc", None) or raised).__name__ in row.error


@pytest.mark.parametrize(
    ("notes", "outcome"),
    [
        ([True], "reused"),
        ([True, True], "reused"),
        ([True, False], "ok"),  # one master reused, another rendered: work was done
        ([False, True], "ok"),
        ([], "ok"),
    ],
)
def test_it_says_reused_only_when_all_of_the_step_was(notes, outcome):
    with VideoAnalytics.track_step("render"):
        VideoAnalytics.note_step(provider="moviepy")
        for reused in notes:
            VideoAnalytics.note_step(reused=reused)

    row = StepPerformance.objects.get()
    assert (row.outcome, row.provider) == (outcome, "moviepy")


def test_it_marks_a_task_of_a_replaced_run_skipped(alice):
    project = make_project(alice)
    VideoProject.objects.filter(pk=project.pk).update(run_number=3, run_kind="render")

    with VideoAnalytics.track_step("media", project_id=project.pk, run=2):
        pass
    with VideoAnalytics.track_step("media", project_id=project.pk + 1000, run=1):  # deleted
        pass

    replaced, deleted = StepPerformance.objects.order_by("id")
    assert (replaced.project, replaced.outcome) == (project, "skipped")
    assert (deleted.project, deleted.outcome) == (None, "skipped")


def test_it_never_fails_a_step_because_the_log_could_not_be_written(monkeypatch, caplog):
    def broken(**fields):
        raise DatabaseError("disk full")

    monkeypatch.setattr(StepPerformance.objects, "create", broken)

    with VideoAnalytics.track_step("voice"):
        answer = 42

    assert answer == 42
    assert "not recorded" in caplog.text
