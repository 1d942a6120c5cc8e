"""What the fault tests share: a worker restarted with faults switched on, the emails it sent,
and what a finished run must leave behind exactly once."""

import email
import time
from email import policy
from pathlib import Path

import pytest
from django.conf import settings

from payments_app.models import RenderUsage
from video_app.models import RenderedVideo, TaskInHand, VideoProject

FILE_EMAIL = "django.core.mail.backends.filebased.EmailBackend"


def wait_until(condition, *, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout_s:.0f} s")
        time.sleep(0.2)


def emails_sent(outbox: Path) -> list[str]:
    """The subjects of the emails the worker sent. Django's file backend writes a file per
    connection, each message followed by a line of 79 dashes."""
    if not outbox.exists():
        return []
    messages = [
        text
        for path in sorted(outbox.iterdir())
        for text in path.read_text().split("-" * 79)
        if text.strip()
    ]
    parsed = (email.message_from_string(text, policy=policy.default) for text in messages)
    return [str(message["Subject"]) for message in parsed]


def partial_files() -> list[Path]:
    """Half-written files: encodes and stored files are written under a temporary name first."""
    roots = (Path(settings.RENDER_CACHE_DIR), Path(settings.MEDIA_ROOT))
    return [path for root in roots if root.exists() for path in root.rglob("*.partial-*")]


def assert_finished_once(project: VideoProject, outbox: Path) -> None:
    """One video per platform, one render counted, one email, nothing left in hand."""
    assert project.status == VideoProject.Status.COMPLETED, project.error_detail
    in_hand = TaskInHand.objects.filter(project=project)
    # The run's last task lets go of its record just after the run is shown finished, and the
    # email goes by a task of its own once that has committed.
    wait_until(
        lambda: emails_sent(outbox) and not in_hand.exists(),
        timeout_s=120,
        what="the email and the end of every task",
    )
    time.sleep(3)  # room for a second email, were one on its way
    # The killed worker's task comes back once its lease runs out (BROKER_LEASE_S), possibly
    # after the run finished: that late copy must do nothing (counted below) and let go.
    wait_until(lambda: not in_hand.exists(), timeout_s=60, what="late copies of tasks to end")
    videos = RenderedVideo.objects.filter(project=project)
    assert sorted(video.platform for video in videos) == sorted(project.platforms)
    for video in videos:
        assert Path(video.file.path).stat().st_size > 0
    assert RenderUsage.objects.filter(project_id=project.pk).count() == 1
    [subject] = emails_sent(outbox)
    assert subject.endswith(f"Your video “{project.title}” is ready")


@pytest.fixture
def outbox(tmp_path) -> Path:
    return tmp_path / "outbox"


@pytest.fixture
def fault_worker(celery_worker_process, outbox):
    """The session's worker, sending email to `outbox`; put back as it was afterwards."""
    worker = celery_worker_process
    usual_env = worker.env
    worker.restart({**usual_env, "EMAIL_BACKEND": FILE_EMAIL, "EMAIL_FILE_PATH": str(outbox)})
    since = len(worker.output)
    try:
        yield worker
    finally:
        # Shown by pytest only when the test failed: what the worker did meanwhile.
        print("".join(worker.output[since:][-300:]))
        worker.restart(usual_env)
