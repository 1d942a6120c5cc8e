"""Analytics: every pipeline task leaves a measured row (how a step is measured:
analytics/test_tracking.py), pages record how creators use them, and staff read both on the
admin's analytics page, charts drawn from static files only."""

import re
import time
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.video_app.factories import add_video, make_project
from tests.video_app.services.test_pipeline import wait_for_run
from video_app import tasks
from video_app.analytics.selectors import analytics_report, percentile
from video_app.analytics.tracking import WIZARD_STEPS
from video_app.engine.core.errors import RenderFailed
from video_app.models import StepPerformance, UserInteraction
from video_app.services import pipeline, projects

pytestmark = pytest.mark.django_db

ANALYTICS_URL = "/admin/video_app/stepperformance/analytics/"


# --- the hook in PipelineTask -------------------------------------------------------------------


@pytest.fixture
def rendering(alice, media_root, no_progress_news, django_capture_on_commit_callbacks):
    """A render run recorded, its tasks called here one by one (no worker)."""
    project = make_project(alice)
    with django_capture_on_commit_callbacks(execute=False):  # queue nothing
        projects.run_start(project=project, kind="render")
    project.refresh_from_db()
    return project


def test_each_pipeline_task_logs_its_step_subject_and_outcome(rendering):
    project_id, run = rendering.pk, rendering.run_number

    tasks.script_task(project_id, run, False)  # the creator's script: kept
    tasks.scenes_task(project_id, run)
    scene_ids = pipeline.scene_ids(rendering)
    for scene_id in scene_ids:
        tasks.media_task(project_id, run, scene_id, False)
        tasks.voice_task(project_id, run, scene_id, False)
    tasks.voice_task(project_id, run, scene_ids[0], False)  # once more: reused

    logged = StepPerformance.objects.filter(project=rendering).order_by("id")
    rows = [(row.step, row.subject, row.outcome, row.provider) for row in logged]
    voice = rows[3][3]
    assert voice in ("piper", "espeak")
    assert rows == [
        ("script", "", "reused", ""),  # written by the creator, not a provider
        ("scenes", "", "ok", ""),
        ("media", "scene 1", "ok", "illustrated"),
        ("voice", "scene 1", "ok", voice),
        ("media", "scene 2", "ok", "illustrated"),
        ("voice", "scene 2", "ok", voice),
        ("media", "scene 3", "ok", "illustrated"),
        ("voice", "scene 3", "ok", voice),
        ("voice", "scene 1", "reused", voice),
    ]
    assert StepPerformance.objects.filter(run=run, cpu_s__gt=0, wall_s__gt=0).count() >= 7


@pytest.mark.django_db(databases="__all__")  # a failed run notifies the user's pages
def test_it_logs_each_retry_then_the_failure_at_its_step(rendering, monkeypatch):
    def export_fails(project_id, run, platform):
        raise RenderFailed("The export stopped.", detail="ffmpeg exit 1")

    monkeypatch.setattr(pipeline, "export_platform", export_fails)

    result = tasks.export_task.apply(args=(rendering.pk, rendering.run_number, "instagram_square"))

    assert result.failed()
    rows = list(StepPerformance.objects.filter(project=rendering).order_by("id"))
    assert [row.outcome for row in rows] == ["retry", "retry", "failed"]  # max_retries=2
    assert {(row.step, row.subject) for row in rows} == {("export", "instagram_square")}
    assert "ffmpeg exit 1" in rows[-1].error
    rendering.refresh_from_db()
    assert rendering.failed_step == "export"


# --- what pages record --------------------------------------------------------------------------


@pytest.fixture
def video(alice, media_root):
    """Alice's project with a rendered video (its files are stand-ins)."""
    project = make_project(alice)
    video = add_video(project, width=720, height=720)
    return video


def interactions(action: str) -> list[tuple]:
    return list(
        UserInteraction.objects.filter(action=action)
        .order_by("id")
        .values_list("user__username", "project_id", "detail")
    )


def test_it_records_each_wizard_step_an_owner_reaches_once_a_day(alice_client, video):
    project = video.project
    pages = [
        "script",
        "script",
        "storyboard",
        "media",
        "voice",
        "render",
        "project_detail",
        "project_detail",
        "script",
    ]

    for page in pages:
        assert alice_client.get(reverse(f"video_app:{page}", args=[project.pk])).status_code == 200

    assert sorted(interactions("wizard_step")) == sorted(
        ("alice", project.pk, step) for step in WIZARD_STEPS
    )
    UserInteraction.objects.update(created_at=timezone.now() - timedelta(days=1))
    alice_client.get(reverse("video_app:script", args=[project.pk]))
    assert [row[2] for row in interactions("wizard_step")].count("script") == 2


def test_it_takes_a_play_beacon_from_the_owner_only_and_only_known_actions(client, bob, video):
    project = video.project
    url = reverse("video_app:interaction_beacon", args=[project.pk])
    played = {"action": "preview_played", "platform": "instagram_square"}

    assert client.post(url, played).status_code == 302  # anonymous: to log in
    client.force_login(bob)
    assert client.post(url, played).status_code == 404
    client.force_login(project.user)
    assert client.post(url, {"action": "download"}).status_code == 400
    assert client.post(url, {"action": "anything"}).status_code == 400
    assert client.get(url).status_code == 405
    assert client.post(url, played).status_code == 204
    assert client.post(url, {**played, "platform": "myspace"}).status_code == 204

    assert interactions("preview_played") == [
        ("alice", project.pk, "instagram_square"),
        ("alice", project.pk, ""),
    ]
    assert interactions("download") == []


def test_the_result_page_gives_its_script_what_the_beacon_needs(alice, video):
    browser = Client(enforce_csrf_checks=True)  # as a browser: the token is checked
    browser.force_login(alice)
    page = browser.get(reverse("video_app:project_detail", args=[video.project.pk]))
    html = page.content.decode()
    beacon_url = re.search(r'data-beacon-url="([^"]+)"', html)[1]
    token = re.search(r'data-csrf-token="([^"]+)"', html)[1]

    assert '<script src="/static/js/interactions.js">' in html
    assert browser.post(beacon_url, {"action": "preview_played"}).status_code == 403
    answer = browser.post(beacon_url, {"action": "preview_played", "csrfmiddlewaretoken": token})
    assert answer.status_code == 204


def test_it_records_the_owner_s_downloads_by_kind_and_platform(alice_client, admin_client, video):
    def fetch(client, kind, **query):
        url = reverse("video_app:rendered_file", args=[video.project.pk, video.pk, kind])
        response = client.get(url, query)
        b"".join(response.streaming_content)
        return response.status_code

    for kind in ("video", "srt", "vtt", "thumbnail"):
        assert fetch(alice_client, kind, download=1) == 200
    assert fetch(alice_client, "video") == 200  # watched in the page, not downloaded
    assert fetch(admin_client, "video", download=1) == 200  # staff's download is not alice's

    assert [row[2] for row in interactions("download")] == [
        "mp4:instagram_square",
        "srt:instagram_square",
        "vtt:instagram_square",
        "thumbnail:instagram_square",
    ]


# --- the analytics page -------------------------------------------------------------------------


class Tables(HTMLParser):
    """The text of every table cell, by the id of the section the table is in."""

    def __init__(self, html: str):
        super().__init__()
        self.rows: dict[str, list[list[str]]] = {}
        self.section = ""
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.section = dict(attrs).get("id", "")
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.rows.setdefault(self.section, []).append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)

    def by_first_cell(self, section: str) -> dict[str, list[str]]:
        return {row[0]: row[1:] for row in self.rows.get(section, [])[1:]}


def test_it_shows_the_analytics_page_to_staff_only(client, alice, admin_client):
    assert client.get(ANALYTICS_URL).status_code == 302
    assert client.get(ANALYTICS_URL).url.startswith("/admin/login/")
    client.force_login(alice)
    assert client.get(ANALYTICS_URL).status_code == 302
    assert client.get(ANALYTICS_URL).url.startswith("/admin/login/")

    page = admin_client.get(ANALYTICS_URL)

    assert page.status_code == 200
    assert "Renders per day" in page.content.decode()
    assert reverse("admin:video_app_analytics") == ANALYTICS_URL


def test_it_is_linked_from_the_admin_index_and_the_step_log(admin_client):
    for url in ("/admin/", reverse("admin:video_app_stepperformance_changelist")):
        assert f'href="{ANALYTICS_URL}"' in admin_client.get(url).content.decode(), url


def test_it_lists_the_logs_read_only(admin_client, alice):
    project = make_project(alice)
    log = StepPerformance.objects.create(
        project=project,
        run=1,
        step="voice",
        subject="scene 1",
        outcome="ok",
        started_at=timezone.now(),
        wall_s=1.0,
        cpu_s=0.5,
        peak_memory_mb=300,
    )
    UserInteraction.objects.create(user=alice, project=project, action="download", detail="srt:x")

    for model in ("stepperformance", "userinteraction"):
        changelist = reverse(f"admin:video_app_{model}_changelist")
        assert admin_client.get(changelist).status_code == 200
        assert admin_client.get(changelist, {"o": "1"}).status_code == 200
        assert admin_client.get(reverse(f"admin:video_app_{model}_add")).status_code == 403
    filtered = admin_client.get(
        reverse("admin:video_app_stepperformance_changelist"), {"step": "voice", "outcome": "ok"}
    )
    assert "scene 1" in filtered.content.decode()
    change = admin_client.get(reverse("admin:video_app_stepperformance_change", args=[log.pk]))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()


def log_run(project, run, *, render_s=None, fail_at=None, when=None, scenes=2):
    """The rows a render run leaves, as the hook writes them."""
    when = when or timezone.now()

    def row(step, subject="", outcome="ok", wall_s=0.5):
        StepPerformance.objects.create(
            project=project,
            run=run,
            step=step,
            subject=subject,
            outcome=outcome,
            started_at=when,
            wall_s=wall_s,
            cpu_s=wall_s / 2,
            peak_memory_mb=200,
        )

    row("script", "render run start", wall_s=0.01)
    for step in ("script", "scenes"):
        if fail_at == step:
            return row(step, outcome="failed")
        row(step)
    for number in range(1, scenes + 1):
        row("media", f"scene {number}")
        row("voice", f"scene {number}", outcome="failed" if fail_at == "voice" else "ok")
    if fail_at == "voice":
        return None
    row("render", wall_s=render_s)
    row("export", "youtube")
    row("export", "render run end", wall_s=0.01)
    return None


def test_it_computes_the_figures_from_the_logs(alice, bob):
    shells, bikes, tides = (
        make_project(alice, title="Shells"),
        make_project(bob, title="Bikes"),
        make_project(alice, title="Tides"),
    )
    for run, render_s in enumerate(range(1, 21), start=1):  # 20 renders of 1 s .. 20 s
        log_run(shells, run, render_s=float(render_s))
    log_run(bikes, 1, render_s=100.0)
    log_run(bikes, 2, render_s=3.0)  # the last render counts, not the slowest
    log_run(tides, 1, fail_at="voice")
    log_run(tides, 2, fail_at="scenes")
    old = make_project(bob, title="Long ago")
    log_run(old, 1, render_s=500.0, when=timezone.now() - timedelta(days=40))  # out of the window
    StepPerformance.objects.create(
        project=tides,
        run=3,
        step="script",
        subject="script run start",
        outcome="ok",
        started_at=timezone.now(),
        wall_s=0.1,
        cpu_s=0,
        peak_memory_mb=1,
    )  # a script run: not a render

    report = analytics_report()

    today = report.days[-1]
    assert (today.day, today.completed, today.failed) == (timezone.localdate(), 22, 2)
    assert len(report.days) == 30 and sum(day.completed for day in report.days) == 22
    steps = {step.step: step for step in report.steps}
    assert list(steps) == ["script", "scenes", "media", "voice", "render", "export"]
    assert (steps["render"].median_s, steps["render"].p95_s) == (10.5, 20.0)
    assert (steps["render"].ok, steps["render"].failed) == (22, 0)
    assert steps["voice"].failed == 2 and steps["voice"].failure_rate == pytest.approx(2 / 46)
    assert steps["scenes"].failure_rate == pytest.approx(1 / 24)
    assert steps["script"].ok == 24  # the bookkeeping rows are not the step's work
    assert [(p.title, p.run, p.failed) for p in report.slowest] == [
        ("Shells", 20, False),
        ("Bikes", 2, False),
        ("Tides", 2, True),
    ]
    assert report.slowest[0].wall_s == pytest.approx(0.01 + 2 * 0.5 + 4 * 0.5 + 20 + 0.5 + 0.01)


def test_percentiles_are_values_that_were_measured():
    assert percentile([], 95) is None
    assert percentile([3.0], 95) == 3.0
    assert percentile([float(n) for n in range(1, 101)], 95) == 95.0
    assert percentile([5.0, 1.0, 4.0, 2.0, 3.0], 50) == 3.0


def test_its_queries_do_not_grow_with_the_logs(admin_client, alice, django_assert_max_num_queries):
    project = make_project(alice)
    for run in range(1, 4):
        log_run(project, run, render_s=2.0)
    admin_client.get(ANALYTICS_URL)  # warm: session and user lookups
    with django_assert_max_num_queries(20) as few:
        admin_client.get(ANALYTICS_URL)
    for run in range(4, 40):
        log_run(project, run, render_s=2.0, scenes=5)
    UserInteraction.objects.bulk_create(
        UserInteraction(user=alice, project=project, action="wizard_step", detail=step)
        for step in WIZARD_STEPS * 20
    )

    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get(ANALYTICS_URL)


def test_it_draws_its_charts_with_static_files_only(admin_client):
    html = admin_client.get(ANALYTICS_URL).content.decode()

    scripts = re.findall(r'<script[^>]* src="([^"]+)"', html)
    assert "/static/vendor/chartjs/chart.umd.min.js" in scripts
    assert "/static/js/analytics.js" in scripts
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)  # nothing from another site
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", html)  # no inline JS
    assert '<script id="analytics-data" type="application/json">' in html
    assert finders.find("vendor/chartjs/chart.umd.min.js") and finders.find("js/analytics.js")


# --- real renders -------------------------------------------------------------------------------

TOO_LONG = "\n\n".join(
    f"Paragraph {n} says a great deal about the tides and the moon and the shells. " * 3
    for n in range(14)
)


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_the_analytics_page_shows_real_figures_after_a_few_renders(
    alice, bob, admin_client, celery_worker_process
):
    shells = make_project(alice, title="Shells on the beach")
    bikes = make_project(
        bob, title="Bikes in the rain", script="Bikes shine in the rain. Puddles hold the lights."
    )
    too_long = make_project(
        alice, title="Too long for TikTok", script=TOO_LONG, platforms=("tiktok", "youtube_shorts")
    )
    # The Free plan renders one video at a time per user: alice's second waits for her first.
    for project in (shells, bikes):
        projects.run_start(project=project, kind="render")
    wait_for_run(shells)
    projects.run_start(project=too_long, kind="render")
    for project in (bikes, too_long):
        wait_for_run(project)
    # A task's row is written as it ends: the run's last one, just after the run shows finished.
    ends = StepPerformance.objects.filter(project__in=(shells, bikes), subject="render run end")
    deadline = time.monotonic() + 60
    while ends.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert (shells.status, bikes.status) == ("completed", "completed"), shells.error_detail
    assert (too_long.status, too_long.failed_step) == ("failed", "scenes")

    rows = StepPerformance.objects.filter(project=shells)
    assert {row.step for row in rows} == {"script", "scenes", "media", "voice", "render", "export"}
    assert {
        "render run start",
        "fan-out",
        "render run end",
        "scene 1",
        "scene 3",
        "instagram_square",
    } <= {row.subject for row in rows}
    worker_name = celery_worker_process.name.split("@")[0]
    assert {row.worker.split("@")[0] for row in rows} == {worker_name}
    [render] = rows.filter(step="render")
    assert render.outcome == "ok" and render.cpu_s > 0.5 and render.peak_memory_mb > 50
    [failure] = StepPerformance.objects.filter(project=too_long, outcome="failed")
    assert failure.step == "scenes" and "InvalidInput" in failure.error

    page = Tables(admin_client.get(ANALYTICS_URL).content.decode())

    today = page.by_first_cell("renders-per-day")[timezone.localdate().strftime("%a %-d %b")]
    assert today == ["2", "1"]
    steps = page.by_first_cell("steps")
    median_s, p95_s = (float(cell.removesuffix(" s")) for cell in steps["Render"][5:7])
    assert 0 < median_s <= p95_s
    assert steps["Render"][3] == "0"  # failed
    assert float(steps["Scenes"][4].removesuffix(" %")) > 0  # failure rate
    slowest = page.by_first_cell("slowest")
    assert {"Shells on the beach", "Bikes in the rain"} <= set(slowest)
    assert slowest["Too long for TikTok"][-1] == "failed"
