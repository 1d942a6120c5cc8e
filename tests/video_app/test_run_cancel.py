"""Cancel with a real worker and a real FFmpeg: from the render page (a form with its CSRF token)
and from the API, mid-render. The encode stops within seconds, no FFmpeg is left, the project
goes back to its stage, nothing is charged, and a new render then finishes once."""

import re
import time

import psutil
import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from payments_app.models import RenderUsage
from tests.video_app.services.test_pipeline import wait_for_run
from tests.video_app.test_lost_workers import start_render
from tests.video_app.test_pipeline_resilience import wait_for_step
from video_app.models import RenderedVideo, VideoProject
from video_app.services import projects

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def ffmpeg_of(worker) -> list[psutil.Process]:
    main = psutil.Process(worker.process.pid)
    return [p for p in main.children(recursive=True) if "ffmpeg" in p.name()]


def wait_for_ffmpeg(worker, timeout_s=120) -> None:
    deadline = time.monotonic() + timeout_s
    while not ffmpeg_of(worker):
        assert time.monotonic() < deadline, "no FFmpeg ever ran"
        time.sleep(0.05)


def wait_until_no_ffmpeg(worker, timeout_s=10) -> float:
    started = time.monotonic()
    while ffmpeg_of(worker):
        assert time.monotonic() - started < timeout_s, "FFmpeg still running"
        time.sleep(0.05)
    return time.monotonic() - started


def assert_cancelled_cleanly(project) -> None:
    project.refresh_from_db()
    assert project.run_state == VideoProject.RunState.CANCELLED
    # It left the script stage; the storyboard the run made before the render step is kept.
    assert project.status == VideoProject.Status.STORYBOARD
    assert not RenderUsage.objects.filter(project_id=project.pk).exists()
    assert not RenderedVideo.objects.filter(project=project).exists()
    assert projects.busy_renders(project.user) == 0


def render_again_finishes_once(project) -> None:
    projects.run_start(project=project, kind="render")
    wait_for_run(project)
    assert project.status == VideoProject.Status.COMPLETED, project.error_detail
    assert RenderedVideo.objects.filter(project=project).count() == len(project.platforms)
    assert RenderUsage.objects.filter(project_id=project.pk).count() == 1


def test_it_cancels_a_render_from_the_page(alice, celery_worker_process):
    worker = celery_worker_process
    project = start_render(alice, platforms=("youtube", "tiktok"))
    wait_for_step(project, "render", timeout_s=300)  # a busy machine is slow to get there
    wait_for_ffmpeg(worker)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    page = browser.get(reverse("video_app:render", args=[project.pk])).content.decode()
    form = re.search(
        r'<form method="post" action="([^"]+)" id="progress-cancel".*?'
        r'name="csrfmiddlewaretoken" value="([^"]+)"',
        page,
        re.S,
    )

    response = browser.post(form[1], {"csrfmiddlewaretoken": form[2]})

    assert response.status_code == 302
    assert wait_until_no_ffmpeg(worker) < 5
    assert_cancelled_cleanly(project)
    shown = browser.get(response.url).content.decode()
    assert projects.CANCELLED in shown
    render_again_finishes_once(project)


def test_it_cancels_a_render_from_the_api(alice, celery_worker_process):
    worker = celery_worker_process
    project = start_render(alice, platforms=("youtube", "tiktok"))
    wait_for_step(project, "render", timeout_s=300)  # a busy machine is slow to get there
    wait_for_ffmpeg(worker)
    api = APIClient()
    api.force_authenticate(alice)

    response = api.post(reverse("api:project-cancel", args=[project.pk]))

    assert response.status_code == 200
    assert response.json()["run_state"] == "cancelled"
    assert wait_until_no_ffmpeg(worker) < 5
    assert_cancelled_cleanly(project)
    again = api.post(reverse("api:project-cancel", args=[project.pk]))
    assert again.status_code == 409
    assert again.json()["detail"] == projects.NothingToCancel.message
    render_again_finishes_once(project)
