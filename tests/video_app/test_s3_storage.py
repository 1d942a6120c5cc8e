"""Media on S3, as production stores it: django-storages against a local S3 server (moto) with the
settings that `project_core/settings/base.py` makes of a production environment. Files reach the
bucket, workers read them through their render cache, people get short-lived presigned links
only after the usual owner checks, and deleted rows take their objects with them."""

import shutil
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse

from tests.video_app.conftest import REGION
from tests.video_app.factories import VIDEO_BYTES, add_video, add_voice, make_project, png_bytes
from video_app.models import AudioAsset, MediaAsset, RenderedVideo, Scene, VideoProject
from video_app.services import files, pipeline, projects

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def downloads(bucket):
    """Keys this process fetched from the bucket (GetObject calls of the default storage)."""
    fetched = []
    events = default_storage.connection.meta.client.meta.events
    events.register(
        "before-call.s3.GetObject", lambda params, **kwargs: fetched.append(params["url_path"])
    )
    return fetched


def stored_picture(user, content: bytes, name: str = "shell.png") -> MediaAsset:
    asset = MediaAsset(
        user=user,
        kind=MediaAsset.Kind.IMAGE,
        source=MediaAsset.Source.UPLOAD,
        provider="upload",
        title="Shell photo",
        width=96,
        height=80,
    )
    asset.file.save(name, ContentFile(content), save=False)
    asset.thumbnail.save("shell-thumb.png", ContentFile(png_bytes((48, 40))), save=False)
    asset.save()
    return asset


# --- storing and reading back -------------------------------------------------------------------


def test_it_stores_files_in_the_bucket_with_their_type(alice, bucket):
    picture = png_bytes()

    asset = stored_picture(alice, picture)

    head = bucket.head(asset.file.name)
    assert (head["ContentLength"], head["ContentType"]) == (len(picture), "image/png")
    assert bucket.keys() == {asset.file.name, asset.thumbnail.name}


def test_it_downloads_a_stored_file_once_for_the_engine(alice, bucket, downloads, settings):
    picture = png_bytes()
    asset = stored_picture(alice, picture)

    first = files.local_path(asset.file)
    second = files.local_path(asset.file)

    assert first == second
    assert first.is_relative_to(settings.RENDER_CACHE_DIR)
    assert first.read_bytes() == picture
    assert len(downloads) == 1


def test_it_reads_a_new_file_stored_under_a_reused_name(
    alice, bucket, django_capture_on_commit_callbacks
):
    # Once a file is deleted its name is free again: a worker must not hand out the old copy.
    old = stored_picture(alice, png_bytes(colour=(200, 0, 0)))
    files.local_path(old.file)
    with django_capture_on_commit_callbacks(execute=True):
        old.delete()

    new_picture = png_bytes(colour=(0, 200, 0))
    new = stored_picture(alice, new_picture)

    assert new.file.name == old.file.name
    assert files.local_path(new.file).read_bytes() == new_picture


# --- serving: presigned redirects after the owner check -----------------------------------------


@dataclass
class Stored:
    project: VideoProject
    scene: Scene
    upload: MediaAsset
    audio: AudioAsset
    video: RenderedVideo


@pytest.fixture
def stored(alice, bucket):
    """Alice's project with a voice, a rendered video and a library upload, all on S3."""
    project = make_project(alice)
    scene = Scene.objects.create(
        script=project.script, position=0, text="Shells.", estimated_duration_s=2.0
    )
    audio = add_voice(scene)
    video = add_video(project)
    return Stored(
        project=project,
        scene=scene,
        upload=stored_picture(alice, png_bytes()),
        audio=audio,
        video=video,
    )


def file_urls(s: Stored) -> dict[str, object]:
    """Every view that serves one of alice's files, with the file it serves."""
    rendered = {
        kind: reverse("video_app:rendered_file", args=[s.project.pk, s.video.pk, kind])
        for kind in ("video", "thumbnail", "srt", "vtt")
    }
    return {
        rendered["video"]: s.video.file,
        rendered["thumbnail"]: s.video.thumbnail,
        rendered["srt"]: s.video.srt_file,
        rendered["vtt"]: s.video.vtt_file,
        reverse("video_app:media_file", args=[s.upload.pk, "file"]): s.upload.file,
        reverse("video_app:media_file", args=[s.upload.pk, "thumbnail"]): s.upload.thumbnail,
        reverse("video_app:scene_audio", args=[s.project.pk, s.scene.pk]): s.audio.file,
        reverse("video_app:stored_file", args=[s.video.file.name]): s.video.file,
        reverse("video_app:stored_file", args=[s.upload.file.name]): s.upload.file,
        reverse("video_app:stored_file", args=[s.audio.file.name]): s.audio.file,
    }


def presigned_query(response) -> dict[str, str]:
    assert response.status_code == 302, response
    query = parse_qs(urlsplit(response["Location"]).query)
    return {key: value for key, [value] in query.items()}


def test_it_sends_the_owner_to_a_short_lived_presigned_link(alice_client, stored, settings):
    for url, field_file in file_urls(stored).items():
        response = alice_client.get(url)

        query = presigned_query(response)
        assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256", url  # SigV4, for the region
        assert f"/{REGION}/s3/" in query["X-Amz-Credential"] and query["X-Amz-Signature"], url
        assert 0 < int(query["X-Amz-Expires"]) <= 3600, url
        assert int(query["X-Amz-Expires"]) == settings.AWS_QUERYSTRING_EXPIRE
        fetched = requests.get(response["Location"], timeout=10)
        assert fetched.status_code == 200, url
        assert fetched.content == field_file.open("rb").read(), url


def test_it_hides_alice_s_files_from_bob(client, bob, stored):
    client.force_login(bob)

    for url in file_urls(stored):
        assert client.get(url).status_code == 404, url


def test_it_names_a_download_in_the_presigned_link(alice_client, stored):
    video = stored.video
    url = reverse("video_app:rendered_file", args=[stored.project.pk, video.pk, "video"])

    response = alice_client.get(url, {"download": "1"})

    disposition = presigned_query(response)["response-content-disposition"]
    assert disposition == 'attachment; filename="shells-on-the-beach.instagram_square.mp4"'
    fetched = requests.get(response["Location"], timeout=10)
    assert fetched.headers["Content-Disposition"] == disposition
    assert fetched.content == VIDEO_BYTES


# --- the pipeline on S3 -------------------------------------------------------------------------


@pytest.mark.slow  # a whole render
@pytest.mark.django_db(transaction=True, databases="__all__")  # the render reports from threads
def test_it_runs_the_pipeline_through_the_bucket_and_deletes_its_objects_after_commit(
    alice, bucket, queued, settings
):
    project = make_project(alice)
    run = projects.run_start(project=project, kind="render")  # queued: the steps run here
    pipeline.split_project_script(project.pk, run)
    scene_ids = pipeline.scene_ids(project)
    for scene_id in scene_ids:
        pipeline.make_scene_media(project.pk, run, scene_id)
        pipeline.make_scene_voice(project.pk, run, scene_id)
    # Each step on another machine: only the bucket is shared.
    shutil.rmtree(settings.RENDER_CACHE_DIR)
    pipeline.render_masters(project.pk, run)
    shutil.rmtree(settings.RENDER_CACHE_DIR)
    for platform in project.platforms:
        pipeline.export_platform(project.pk, run, platform)

    project.refresh_from_db()
    media = MediaAsset.objects.filter(scene__script__project=project)
    voices = AudioAsset.objects.filter(scene__script__project=project)
    [video] = RenderedVideo.objects.filter(project=project)
    assert media.count() == voices.count() == len(scene_ids) > 0
    stored_names = {
        *(name for asset in media for name in (asset.file.name, asset.thumbnail.name)),
        # An illustrated picture's background and moving layers, deleted with it.
        *(asset.details["plate"] for asset in media),
        *(layer["path"] for asset in media for layer in asset.details["layers"]),
        *(voice.file.name for voice in voices),
        *(master["file"] for master in project.masters.values()),
        video.file.name,
        video.thumbnail.name,
        video.srt_file.name,
        video.vtt_file.name,
    }
    assert bucket.keys() == stored_names
    assert not settings.MEDIA_ROOT.exists()  # nothing kept on this machine's disk
    head = bucket.head(video.file.name)
    assert (head["ContentLength"], head["ContentType"]) == (video.size_bytes, "video/mp4")

    with transaction.atomic():
        projects.project_delete(project=project)
        assert bucket.keys() == stored_names  # a rollback would lose nothing

    assert bucket.keys() == set()
