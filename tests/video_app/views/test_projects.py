"""Projects as their owner sees them: creating one, the dashboard, rendering, the result and its
downloads, and retry, duplicate and delete. Runs are checked as far as the queue: the worker's
side is in services/test_pipeline.py."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.video_app.factories import (
    SRT_TEXT,
    VIDEO_BYTES,
    VTT_TEXT,
    add_video,
    add_voice,
    make_project,
    page_of,
    png_bytes,
    wav_bytes,
)
from video_app.models import (
    AudioAsset,
    MediaAsset,
    PipelineStep,
    RenderedVideo,
    Scene,
    VideoProject,
    VideoTemplate,
)
from video_app.security.content_validator import ContentValidator
from video_app.services import projects, storyboard

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root", "no_progress_news")]


def set_run_state(project, state):
    VideoProject.objects.filter(pk=project.pk).update(run_state=state)
    project.refresh_from_db()


# --- creating a project -------------------------------------------------------------------------


def form_data(**fields):
    return {
        "title": "Tides explained",
        "description": "Why the sea comes and goes",
        "template": VideoTemplate.objects.get(slug="explainer").pk,
        "platforms": ["youtube"],
        "style": "modern",
        "voice_id": "",
        "language": "en",
        **fields,
    }


def test_it_creates_a_project_from_the_form(alice_client, alice):
    response = alice_client.post("/projects/new/", form_data(), follow=True)

    project = VideoProject.objects.get(user=alice)
    assert response.redirect_chain == [(f"/projects/{project.pk}/script/", 302)]
    assert "Project created." in page_of(response)
    assert project.title == "Tides explained"
    assert project.template.slug == "explainer"
    assert project.status == VideoProject.Status.DRAFT
    assert project.script.text == ""


def test_it_keeps_the_platforms_in_listed_order(alice_client, alice):
    alice_client.post("/projects/new/", form_data(platforms=["instagram_square", "youtube"]))

    project = VideoProject.objects.get(user=alice)
    assert project.platforms == ["youtube", "instagram_square"]


@pytest.mark.parametrize(
    ("fields", "field"), [({"platforms": []}, "platforms"), ({"title": ""}, "title")]
)
def test_it_shows_form_errors_and_creates_nothing(alice_client, fields, field):
    response = alice_client.post("/projects/new/", form_data(**fields))

    page = page_of(response)
    assert response.context["form"].errors[field] == ["This field is required."]
    assert "This field is required." in page
    assert 'id="project-form"' in page
    assert not VideoProject.objects.exists()


# --- the dashboard ------------------------------------------------------------------------------


def dashboard_cards(page: str) -> int:
    return page.count('class="card h-100 project-card"')


def test_it_lists_only_the_users_projects_with_their_status(alice_client, alice, bob):
    make_project(alice, title="Shells on the beach")
    failed = make_project(alice, title="Tides explained")
    VideoProject.objects.filter(pk=failed.pk).update(status="failed", error_message="No voice.")
    make_project(bob, title="Bob's lighthouses")

    page = page_of(alice_client.get("/dashboard/"))

    assert dashboard_cards(page) == 2
    assert "Shells on the beach" in page and "Tides explained" in page
    assert "lighthouses" not in page
    assert ">\n                Script</span>" in page
    assert "Failed</span>" in page
    assert "No voice." in page


def test_it_searches_projects_by_title(alice_client, alice):
    make_project(alice, title="Shells on the beach")
    make_project(alice, title="Tides explained", description="The moon pulls")

    page = page_of(alice_client.get("/dashboard/", {"q": "shells"}))

    assert dashboard_cards(page) == 1
    assert "Shells on the beach" in page
    assert "Tides explained" not in page


def test_it_filters_projects_by_status(alice_client, alice):
    make_project(alice, title="Shells on the beach")
    completed = make_project(alice, title="Tides explained")
    VideoProject.objects.filter(pk=completed.pk).update(status="completed")

    page = page_of(alice_client.get("/dashboard/", {"status": "completed"}))

    assert dashboard_cards(page) == 1
    assert "Tides explained" in page


def test_it_says_when_no_project_matches(alice_client, alice):
    make_project(alice)

    page = page_of(alice_client.get("/dashboard/", {"q": "volcanoes"}))

    assert "No project matches" in page


def test_it_pages_the_dashboard(alice_client, alice):
    for number in range(30):
        make_project(alice, title=f"Episode {number}", script="")

    first = page_of(alice_client.get("/dashboard/"))
    second = page_of(alice_client.get("/dashboard/", {"page": 2}))

    assert dashboard_cards(first) == 24
    assert "1 / 2" in first
    assert 'href="?page=2&q=&status="' in first
    assert dashboard_cards(second) == 6
    assert "Episode 0<" in second  # the least recently updated come last


def test_it_shows_the_dashboard_in_the_same_number_of_queries_however_many_projects(
    alice_client, alice, django_assert_max_num_queries
):
    def make_rendered_projects(count):
        for number in range(count):
            project = make_project(alice, title=f"Episode {number}", script="")
            RenderedVideo.objects.bulk_create(
                RenderedVideo(
                    project=project,
                    platform=platform,
                    file=f"{platform}.mp4",
                    thumbnail=f"{platform}.jpg",
                    width=1080,
                    height=1080,
                    duration_s=10,
                    input_hash="x",
                )
                for platform in ("youtube", "tiktok")
            )

    def dashboard_queries():
        with django_assert_max_num_queries(10) as captured:
            page = page_of(alice_client.get("/dashboard/"))
        assert "/thumbnail/" in page
        return len(captured)

    make_rendered_projects(3)
    few = dashboard_queries()
    make_rendered_projects(27)
    many = dashboard_queries()

    assert few == many


# --- deleting -----------------------------------------------------------------------------------


def make_finished_project(user):
    """A project with what a render leaves: a generated picture, a picture picked from the user's
    library, a voice, a rendered video and its master."""
    project = make_project(user)
    first = storyboard.scene_add(project=project, text="Every morning the tide brings shells.")
    second = storyboard.scene_add(project=project, text="Children collect them.")
    generated = MediaAsset(
        user=user, scene=first, kind="image", source="procedural", provider="procedural"
    )
    generated.file.save("scene-1.png", ContentFile(png_bytes()), save=False)
    generated.thumbnail.save("scene-1-thumb.jpg", ContentFile(png_bytes()), save=False)
    generated.save()
    Scene.objects.filter(pk=first.pk).update(media=generated)
    upload = ContentValidator().validate(SimpleUploadedFile("beach.png", png_bytes()))
    storyboard.media_upload(user=user, upload=upload, scene=second)
    add_voice(first)
    add_video(project)
    master = default_storage.save(
        f"projects/{user.pk}/{project.pk}/masters/1x1.mp4", ContentFile(b"master")
    )
    project.masters = {"1:1": {"file": master, "input_hash": "0" * 32}}
    project.save(update_fields=["masters"])
    return project


def stored_names(project) -> set[str]:
    names = {project.masters["1:1"]["file"]}
    for asset in MediaAsset.objects.filter(scene__script__project=project):
        names |= {asset.file.name, asset.thumbnail.name}
    for audio in AudioAsset.objects.filter(scene__script__project=project):
        names.add(audio.file.name)
    for video in project.videos.all():
        names |= {video.file.name, video.thumbnail.name, video.srt_file.name, video.vtt_file.name}
    return names


def test_it_asks_before_deleting_a_project(alice_client, alice):
    project = make_project(alice)

    page = page_of(alice_client.get(f"/projects/{project.pk}/delete/"))

    assert "Delete “Shells on the beach”?" in page
    assert 'id="confirm-delete"' in page
    assert VideoProject.objects.filter(pk=project.pk).exists()


def test_it_deletes_a_project_with_its_rows_and_files_but_keeps_the_library(
    alice_client, alice, django_capture_on_commit_callbacks
):
    project = make_finished_project(alice)
    [library] = MediaAsset.objects.filter(user=alice, source=MediaAsset.Source.UPLOAD)
    # The scene showing the upload has a row of its own sharing the upload's files.
    made_files = stored_names(project) - {library.file.name, library.thumbnail.name}
    assert len(made_files) == 8
    assert all(default_storage.exists(name) for name in made_files)

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/projects/{project.pk}/delete/", follow=True)

    assert response.redirect_chain == [("/dashboard/", 302)]
    assert "“Shells on the beach” and its files were deleted." in page_of(response)
    assert not VideoProject.objects.filter(pk=project.pk).exists()
    assert not Scene.objects.exists()
    assert not AudioAsset.objects.exists()
    assert not RenderedVideo.objects.exists()
    assert list(MediaAsset.objects.all()) == [library]
    assert [name for name in made_files if default_storage.exists(name)] == []
    assert default_storage.exists(library.file.name)


def test_it_keeps_the_library_pictures_thumbnail_when_deleting_a_project(
    alice_client, alice, django_capture_on_commit_callbacks
):
    project = make_finished_project(alice)
    [library] = MediaAsset.objects.filter(user=alice, source=MediaAsset.Source.UPLOAD)

    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(f"/projects/{project.pk}/delete/")

    assert default_storage.exists(library.thumbnail.name)


def test_it_refuses_to_delete_a_busy_project(alice_client, alice):
    project = make_project(alice)
    set_run_state(project, VideoProject.RunState.RUNNING)

    response = alice_client.post(f"/projects/{project.pk}/delete/", follow=True)

    assert response.redirect_chain == [(f"/projects/{project.pk}/", 302)]
    assert "wait for it to finish first" in page_of(response)
    assert VideoProject.objects.filter(pk=project.pk).exists()


# --- duplicate and retry ------------------------------------------------------------------------


def test_it_duplicates_the_script_and_scenes_without_the_files(alice_client, alice):
    project = make_finished_project(alice)

    response = alice_client.post(f"/projects/{project.pk}/duplicate/", follow=True)

    copy = VideoProject.objects.exclude(pk=project.pk).get()
    assert response.redirect_chain == [(f"/projects/{copy.pk}/storyboard/", 302)]
    assert "“Shells on the beach (copy)” created from “Shells on the beach”." in page_of(response)
    assert copy.duplicated_from == project
    assert copy.status == VideoProject.Status.STORYBOARD
    assert copy.script.text == project.script.text
    texts = list(Scene.objects.filter(script=copy.script).values_list("text", flat=True))
    assert texts == ["Every morning the tide brings shells.", "Children collect them."]
    assert not Scene.objects.filter(script=copy.script, media__isnull=False).exists()
    assert not MediaAsset.objects.filter(scene__script=copy.script).exists()
    assert not AudioAsset.objects.filter(scene__script=copy.script).exists()
    assert not copy.videos.exists()
    assert copy.masters == {}


def test_it_retries_a_failed_run_after_commit(
    alice_client, alice, queued, django_capture_on_commit_callbacks
):
    project = make_project(alice)
    projects.run_start(project=project, kind="media")
    projects.project_mark_failed(project=project, reason="The picture service was down.")

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/projects/{project.pk}/retry/", follow=True)

    project.refresh_from_db()
    assert "Trying again from the step that failed" in page_of(response)
    assert (project.run_number, project.run_kind, project.run_state) == (2, "media", "queued")
    assert project.error_message == ""
    assert queued == [(project.pk, 2, [], False)]


def test_it_retries_nothing_when_the_last_run_did_not_fail(
    alice_client, alice, queued, django_capture_on_commit_callbacks
):
    project = make_project(alice)

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/projects/{project.pk}/retry/", follow=True)

    assert "Nothing to retry: the last run did not fail." in page_of(response)
    project.refresh_from_db()
    assert project.run_number == 0
    assert queued == []


# --- rendering ----------------------------------------------------------------------------------


def test_it_starts_a_render_and_queues_it_after_commit(
    alice_client, alice, queued, django_capture_on_commit_callbacks
):
    project = make_project(alice)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = alice_client.post(f"/projects/{project.pk}/render/")
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{project.pk}/render/"
    assert queued == []  # nothing reaches the worker before the run's rows are committed
    for callback in callbacks:
        callback()

    project.refresh_from_db()
    assert project.run_number == 1
    assert project.run_state == VideoProject.RunState.QUEUED
    assert project.status == VideoProject.Status.RENDERING
    steps = PipelineStep.objects.filter(project=project, run_number=1)
    assert [step.name for step in steps] == [
        "script",
        "scenes",
        "media",
        "voice",
        "render",
        "export",
    ]
    assert {step.state for step in steps} == {"pending"}
    assert queued == [(project.pk, 1, [], False)]


def test_it_starts_nothing_while_the_project_is_busy(
    alice_client, alice, queued, django_capture_on_commit_callbacks
):
    project = make_project(alice)
    alice_client.post(f"/projects/{project.pk}/render/")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = alice_client.post(f"/projects/{project.pk}/render/", follow=True)

    assert "already being worked on" in page_of(response)
    assert callbacks == []
    project.refresh_from_db()
    assert project.run_number == 1
    assert PipelineStep.objects.filter(project=project).count() == 6


def test_it_reports_the_run_as_json(alice_client, alice):
    project = make_project(alice)
    projects.run_start(project=project, kind="render")

    state = alice_client.get(f"/projects/{project.pk}/status/").json()

    assert {"status", "step", "progress", "error"} <= set(state)
    assert (state["status"], state["step"], state["progress"], state["error"]) == (
        "rendering",
        "script",
        0.0,
        "",
    )


def test_it_reports_the_failure_as_json(alice_client, alice):
    project = make_project(alice)
    projects.run_start(project=project, kind="render")
    projects.project_mark_failed(project=project, reason="Stopped by our staff.")

    state = alice_client.get(f"/projects/{project.pk}/status/").json()

    assert (state["status"], state["error"]) == ("failed", "Stopped by our staff.")


# --- the result ---------------------------------------------------------------------------------


def test_it_shows_the_video_and_a_download_per_platform(alice_client, alice):
    project = make_project(alice, platforms=("youtube", "tiktok"))
    youtube, tiktok = add_video(project, "youtube"), add_video(project, "tiktok")

    page = page_of(alice_client.get(f"/projects/{project.pk}/"))

    assert 'id="result-video"' in page
    assert 'id="not-rendered"' not in page
    for video in (youtube, tiktok):
        base = f"/projects/{project.pk}/videos/{video.pk}"
        assert f'href="{base}/video/?download=1"' in page
        assert f'href="{base}/srt/?download=1"' in page
        assert f'href="{base}/vtt/?download=1"' in page
    assert 'data-platform="youtube"' in page and 'data-platform="tiktok"' in page


def test_it_plays_the_main_platforms_video(alice_client, alice):
    project = make_project(alice, platforms=("youtube", "tiktok"))
    youtube, _ = add_video(project, "youtube"), add_video(project, "tiktok")

    page = page_of(alice_client.get(f"/projects/{project.pk}/"))

    assert f'<source src="/projects/{project.pk}/videos/{youtube.pk}/video/"' in page


def test_it_credits_the_music_and_says_when_the_procedural_bed_played(alice_client, alice):
    project = make_project(alice)
    add_video(project)
    credit = 'Music: "calm_acoustic_1" from immich-memories-music 0.1.0 (MIT)'
    project.masters = {"1:1": {"file": "m.mp4", "music": {"credit": credit, "note": ""}}}
    project.save(update_fields=["masters"])

    page = page_of(alice_client.get(f"/projects/{project.pk}/"))
    assert credit.replace('"', "&quot;") in page
    assert 'id="music-note"' not in page

    note = "The calm music track could not be played; procedural music played."
    project.masters["1:1"]["music"] = {"credit": "", "note": note}
    project.save(update_fields=["masters"])
    page = page_of(alice_client.get(f"/projects/{project.pk}/"))
    assert note in page


def test_it_says_when_nothing_is_rendered_yet(alice_client, alice):
    project = make_project(alice)

    page = page_of(alice_client.get(f"/projects/{project.pk}/"))

    assert 'id="not-rendered"' in page
    assert 'id="result-video"' not in page


def read(response) -> bytes:
    # Read to the end: the test client then closes the file without ending the test's
    # transaction (response.close() here would close the database connection).
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("video", VIDEO_BYTES),
        ("srt", SRT_TEXT.encode()),
        ("vtt", VTT_TEXT.encode()),
    ],
)
def test_it_downloads_each_file_as_an_attachment(alice_client, alice, kind, expected):
    project = make_project(alice, platforms=("youtube",))
    video = add_video(project, "youtube")
    url = f"/projects/{project.pk}/videos/{video.pk}/{kind}/"

    download = alice_client.get(url, {"download": "1"})
    inline = alice_client.get(url)

    assert download["Content-Disposition"].startswith("attachment; filename=")
    # Named after the project and platform, whatever name storage gave the file.
    assert "shells-on-the-beach.youtube." in download["Content-Disposition"]
    assert read(download) == expected
    assert inline["Content-Disposition"].startswith("inline")
    assert read(inline) == expected


def test_it_serves_a_scenes_picture_and_voice(alice_client, alice):
    project = make_finished_project(alice)
    scene = Scene.objects.get(script__project=project, position=0)

    thumbnail = alice_client.get(f"/library/{scene.media.pk}/thumbnail/")
    voice = alice_client.get(f"/projects/{project.pk}/scenes/{scene.pk}/voice.wav")

    assert read(thumbnail) == scene.media.thumbnail.open("rb").read()
    assert read(voice) == wav_bytes()


def test_it_answers_404_for_an_unknown_file_kind(alice_client, alice):
    project = make_project(alice)
    video = add_video(project)

    response = alice_client.get(f"/projects/{project.pk}/videos/{video.pk}/exe/")

    assert response.status_code == 404
