"""A whole video with every cloud provider configured: the script from Gemini, pictures from
Pexels, voices from Amazon Polly, every file in S3. The services answer from recorded exchanges
on a local server (and moto's local S3): the product's code runs exactly as against the real
ones, with only base URLs changed."""

import pytest

from payments_app import services as quotas
from payments_app.models import Plan
from tests.video_app.engine.recordings import replay, serve_always
from tests.video_app.engine.voice.test_polly import fake_polly
from tests.video_app.factories import make_project
from video_app.engine.core.errors import ProviderRefused
from video_app.engine.core.ffmpeg import probe
from video_app.engine.voice import polly as polly_voices
from video_app.models import AudioAsset, MediaAsset, ProviderCall, RenderedVideo, VideoProject
from video_app.services import files, pipeline, projects

# Real transactions: the render reports progress from threads, as a worker does.
pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture
def cloud(httpserver, settings, monkeypatch, bucket, waits):
    settings.AI_PROVIDERS = {
        **settings.AI_PROVIDERS,
        "script": "gemini",
        "media": "pexels",
        "voice": "polly",
    }
    base = httpserver.url_for("").rstrip("/")
    settings.GEMINI_API_KEY, settings.GEMINI_BASE_URL = "test-gemini-key", base
    settings.PEXELS_API_KEY, settings.PEXELS_BASE_URL = "test-pexels-key", base
    settings.POLLY_ENDPOINT_URL = base
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    polly_voices._cache.clear()
    replay(httpserver, "gemini/ok")
    serve_always(httpserver, "pexels/photos_search")
    serve_always(httpserver, "pexels/photo_download")
    serve_always(httpserver, "pexels/photo_download_other")
    serve_always(httpserver, "polly/voices_ok")
    httpserver.expect_request("/v1/speech", method="POST").respond_with_handler(fake_polly)
    yield httpserver
    polly_voices._cache.clear()


@pytest.mark.slow  # a whole render
def test_it_renders_a_complete_video_with_every_cloud_provider(alice, cloud, bucket, queued):
    project = make_project(
        alice,
        title="Solar power at home",
        script="",
        platforms=("instagram_square",),
        voice_id="polly:Joanna",
    )
    quotas.grant_plan(user=alice, plan=Plan.objects.get(slug="creator"))  # 1080p, no watermark
    run = projects.run_start(project=project, kind="render")  # queued: the steps run here

    pipeline.write_project_script(project.pk, run)
    pipeline.split_project_script(project.pk, run)
    for scene_id in pipeline.scene_ids(project):
        pipeline.make_scene_media(project.pk, run, scene_id)
        pipeline.make_scene_voice(project.pk, run, scene_id)
    pipeline.render_masters(project.pk, run)
    for platform in project.platforms:
        pipeline.export_platform(project.pk, run, platform)
    pipeline.finish_run(project.pk, run)

    project.refresh_from_db()
    assert project.status == VideoProject.Status.COMPLETED
    assert project.script.provider == "gemini" and not project.script.template_based
    assert "roof" in project.script.text
    pictures = MediaAsset.objects.filter(scene__script__project=project)
    assert pictures and {(p.provider, p.source) for p in pictures} == {("pexels", "stock")}
    assert all("Pexels" in picture.attribution and not picture.note for picture in pictures)
    assert all(
        picture.details["page_url"].startswith("https://www.pexels.com/") for picture in pictures
    )
    voices = AudioAsset.objects.filter(scene__script__project=project)
    assert voices.count() == pictures.count()
    assert {voice.provider for voice in voices} == {"polly"}
    [video] = RenderedVideo.objects.filter(project=project)
    in_bucket = bucket.keys()
    assert {video.file.name, *(picture.file.name for picture in pictures)} <= in_bucket
    info = probe(files.local_path(video.file), decode=True)
    assert (info.width, info.height, info.video_codec, info.audio_codec) == (
        1080,
        1080,
        "h264",
        "aac",
    )
    spoken_s = sum(voice.duration_s for voice in voices)
    assert spoken_s < info.duration_s < spoken_s + 15
    assert "roof" in files.local_path(video.srt_file).read_text().lower()
    calls = ProviderCall.objects.filter(project=project)
    providers = set(calls.values_list("provider", flat=True))
    assert {"Gemini", "Pexels", "Amazon Polly"} <= providers


@pytest.fixture
def failing_cloud(httpserver, settings, waits):
    """Every cloud provider configured, and every one of them refusing our key."""
    settings.AI_PROVIDERS = {**settings.AI_PROVIDERS, "script": "gemini", "media": "pexels"}
    base = httpserver.url_for("").rstrip("/")
    settings.GEMINI_API_KEY, settings.GEMINI_BASE_URL = "test-gemini-key", base
    settings.PEXELS_API_KEY, settings.PEXELS_BASE_URL = "test-pexels-key", base
    serve_always(httpserver, "gemini/unauthenticated")
    serve_always(httpserver, "pexels/unauthorized")
    return httpserver


def run_steps(project):
    run = projects.run_start(project=project, kind="render")
    pipeline.write_project_script(project.pk, run)
    pipeline.split_project_script(project.pk, run)
    for scene_id in pipeline.scene_ids(project):
        pipeline.make_scene_media(project.pk, run, scene_id)


def test_it_falls_back_to_the_offline_default_scene_by_scene_when_allowed(
    alice, failing_cloud, queued, media_root
):
    project = make_project(alice, script="", platforms=("instagram_square",))
    assert project.allow_provider_fallback  # the default

    run_steps(project)

    project.refresh_from_db()
    assert project.script.provider == "structured" and project.script.template_based
    assert project.script.note.startswith("Gemini refused our key")
    pictures = MediaAsset.objects.filter(scene__script__project=project)
    assert {picture.source for picture in pictures} == {"procedural"}
    assert all(picture.note.startswith("Pexels refused our key for scene") for picture in pictures)
    assert all(
        picture.note.endswith("A designed picture was used instead.") for picture in pictures
    )


def test_it_stops_with_the_provider_s_reason_when_fallback_is_not_allowed(
    alice, failing_cloud, queued, media_root
):
    project = make_project(alice, script="", platforms=("instagram_square",))
    project.allow_provider_fallback = False
    project.save()

    with pytest.raises(ProviderRefused) as refusal:
        run_steps(project)

    assert refusal.value.message.startswith("Gemini refused our key")
    assert MediaAsset.objects.filter(scene__script__project=project).count() == 0


def test_it_reads_a_scene_with_an_offline_voice_when_polly_refuses(
    alice, httpserver, settings, monkeypatch, queued, media_root, tmp_path
):
    settings.AI_PROVIDERS = {**settings.AI_PROVIDERS, "voice": "polly"}
    settings.POLLY_ENDPOINT_URL = httpserver.url_for("").rstrip("/")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    polly_voices._cache.clear()
    serve_always(httpserver, "polly/voices_ok")
    serve_always(httpserver, "polly/credentials_refused")
    project = make_project(alice, voice_id="polly:Joanna")
    run = projects.run_start(project=project, kind="render")
    pipeline.split_project_script(project.pk, run)
    [first, *_] = pipeline.scene_ids(project)

    pipeline.make_scene_voice(project.pk, run, first)

    voice = AudioAsset.objects.get(scene_id=first)
    assert voice.provider == "piper" and voice.duration_s > 1
    assert voice.note.startswith("Amazon Polly refused our credentials")
    assert voice.note.endswith("read this scene instead.")
    assert voice.input_hash == ""  # the next run asks Polly again
    polly_voices._cache.clear()
