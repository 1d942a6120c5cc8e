"""Analytics in a real browser: staff's page draws its charts from static files without an error,
the result page reports a play through its beacon, and a dashboard card plays its preview."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.video_app.factories import make_project
from video_app.engine.core.ffmpeg import run_ffmpeg
from video_app.models import RenderedVideo, StepPerformance, UserInteraction

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases="__all__")]


def sign_in(page, user, live_server_stack):
    """The browser carries a session made here (the login form is tested elsewhere)."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server_stack.url,
            }
        ]
    )


def rendered_video(user, tmp_path) -> RenderedVideo:
    """A project with a real 3-second video (with sound) and its thumbnail."""
    project = make_project(user, title="Shells on the beach", platforms=("youtube",))
    clip, poster = tmp_path / "clip.mp4", tmp_path / "poster.jpg"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=640x360:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440",
            "-t",
            "3",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-shortest",
            "-movflags",
            "+faststart",
            str(clip),
        ],
        description="test clip",
        timeout_s=60,
    )
    run_ffmpeg(["-i", str(clip), "-frames:v", "1", str(poster)], description="poster", timeout_s=60)
    video = RenderedVideo(
        project=project,
        platform="youtube",
        width=640,
        height=360,
        duration_s=3.0,
        input_hash="c" * 32,
        run_number=1,
    )
    video.file.save("clip.mp4", ContentFile(clip.read_bytes()), save=False)
    video.thumbnail.save("clip.jpg", ContentFile(poster.read_bytes()), save=False)
    video.save()
    return video


def test_staff_see_the_charts_drawn(page, live_server_stack, alice):
    staff = get_user_model().objects.create_user(
        "sam", "sam@example.com", PASSWORD, is_staff=True, is_superuser=True
    )
    project = make_project(alice)
    for step, wall_s in (("script", 0.2), ("render", 12.0), ("export", 1.5)):
        StepPerformance.objects.create(
            project=project,
            run=1,
            step=step,
            outcome="ok",
            started_at=timezone.now(),
            wall_s=wall_s,
            cpu_s=wall_s,
            peak_memory_mb=300,
        )
    sign_in(page, staff, live_server_stack)

    page.goto("/admin/")
    page.get_by_role("link", name="Analytics").click()

    expect(page.get_by_role("heading", name="Renders per day")).to_be_visible()
    for chart in ("chart-days", "chart-failures", "chart-times", "chart-funnel"):
        drawn = page.wait_for_function(
            f"() => window.Chart && Chart.getChart('{chart}') !== undefined"
        )
        assert drawn
    # Django's admin names no icon, so the browser asks for /favicon.ico: not this page's doing.
    assert [error for error in page.console_errors if "/favicon.ico" not in error] == []


def test_the_result_page_reports_a_play(page, live_server_stack, alice, tmp_path):
    video = rendered_video(alice, tmp_path)
    sign_in(page, alice, live_server_stack)

    page.goto(f"/projects/{video.project_id}/")
    page.evaluate(
        "() => { const v = document.getElementById('result-video'); v.muted = true; "
        "return v.play(); }"
    )

    deadline = time.monotonic() + 10
    while not UserInteraction.objects.filter(action="preview_played").exists():
        assert time.monotonic() < deadline, "no play recorded"
        time.sleep(0.2)
    played = UserInteraction.objects.get(action="preview_played")
    assert (played.user, played.project_id, played.detail) == (alice, video.project_id, "youtube")
    assert page.console_errors == []


def test_a_dashboard_card_plays_its_preview_on_hover(page, live_server_stack, alice, tmp_path):
    video = rendered_video(alice, tmp_path)
    sign_in(page, alice, live_server_stack)
    page.goto("/dashboard/")

    page.locator(f'[data-project="{video.project_id}"]').hover()

    preview = page.locator(f'[data-project="{video.project_id}"] video')
    expect(preview).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('.project-card video').currentTime > 0.3", timeout=15_000
    )
    assert page.evaluate("() => document.querySelector('.project-card video').videoWidth") == 320
    assert page.console_errors == []
