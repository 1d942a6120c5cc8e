"""The content-keyed cache: costly work done once for the same inputs, by one builder even when
several ask at once, and files that vanished made again. Runs on whichever cache the settings
name (files in the embedded default, Redis in the stack pass): no test assumes a backend.

Keys carry a fresh namespace per test, since the embedded cache outlives a test session."""

import threading
import time
import uuid
from pathlib import Path

import pytest
from django.core.cache.backends.base import BaseCache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from tests.video_app.factories import make_project
from video_app.engine import voice
from video_app.engine.core.ffmpeg import probe, run_ffmpeg
from video_app.models import AudioAsset, RenderedVideo, Scene, VideoProject
from video_app.services import cache_service, pipeline, projects
from video_app.services.cache_service import VideoCacheService

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root", "no_progress_news")]


@pytest.fixture
def namespace():
    return f"test-{uuid.uuid4().hex[:12]}"


class Builder:
    """A build that counts its calls and takes a moment, like real work."""

    def __init__(self, value="built", seconds=0.0):
        self.value, self.seconds, self.calls = value, seconds, 0
        self.lock = threading.Lock()

    def __call__(self, *args):
        with self.lock:
            self.calls += 1
        time.sleep(self.seconds)
        if args:  # stored_file: write the file
            args[0].write_bytes(self.value.encode())
        return self.value


def test_it_builds_a_remembered_value_once(namespace):
    build = Builder({"duration_s": 2.5})
    cache = VideoCacheService()

    first = cache.remember(namespace, ("scene", 1), build)
    second = cache.remember(namespace, ("scene", 1), build)

    assert first == second == {"duration_s": 2.5}
    assert build.calls == 1
    assert cache.remember(namespace, ("scene", 2), build) == {"duration_s": 2.5}
    assert build.calls == 2  # other inputs, other work


def test_it_works_on_the_cache_backend_itself_not_on_djangos_proxy():
    # Claiming a build is atomic only through the backend's own means (SET NX for Redis): the
    # service must hold the backend, not Django's proxy.
    backend = VideoCacheService().cache

    assert isinstance(backend, BaseCache)
    assert type(backend).__name__ in {"RedisCache", "LocMemCache"}


def test_it_builds_once_when_two_threads_ask_at_once(namespace):
    build = Builder("the value", seconds=0.5)
    start = threading.Barrier(2)
    answers = []

    def ask():
        start.wait()
        answers.append(VideoCacheService().remember(namespace, ("same",), build))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert answers == ["the value", "the value"]
    assert build.calls == 1


def test_it_builds_a_stored_file_once_and_again_when_it_was_deleted(namespace):
    build = Builder("RIFF sample")
    cache = VideoCacheService()

    name = cache.stored_file(namespace, ("voice",), build, suffix=".wav")
    assert cache.stored_file(namespace, ("voice",), build, suffix=".wav") == name
    assert build.calls == 1
    assert default_storage.open(name).read() == b"RIFF sample"

    default_storage.delete(name)
    again = cache.stored_file(namespace, ("voice",), build, suffix=".wav")

    assert build.calls == 2
    assert default_storage.exists(again)


def test_it_misses_a_step_result_whose_file_is_gone(alice):
    cache = VideoCacheService()
    input_hash = uuid.uuid4().hex
    name = default_storage.save(f"voices/{alice.pk}/scene.wav", ContentFile(b"RIFF"))
    cache.cache_step_result(alice.pk, "voice", input_hash, {"file": name, "duration_s": 1.0})

    assert cache.step_result(alice.pk, "voice", input_hash) == {"file": name, "duration_s": 1.0}
    assert cache.step_result(alice.pk + 1, "voice", input_hash) is None  # another owner's

    default_storage.delete(name)

    assert cache.step_result(alice.pk, "voice", input_hash) is None


def test_it_treats_a_failing_cache_as_a_miss(alice, monkeypatch):
    cache = VideoCacheService()

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache.cache, "get", broken)
    monkeypatch.setattr(cache.cache, "set", broken)

    assert cache.step_result(alice.pk, "voice", "0" * 32) is None
    cache.cache_step_result(alice.pk, "voice", "0" * 32, {"file": "x"})  # no error


# --- step results in the pipeline ---------------------------------------------------------------


def run_steps(project, kind: str, django_capture_on_commit_callbacks):
    """A run of `kind` recorded, its steps done here (no worker), the run then over."""
    with django_capture_on_commit_callbacks(execute=False):  # queue nothing
        run = projects.run_start(project=project, kind=kind)
    if kind == "scenes":
        pipeline.split_project_script(project.pk, run)
    for scene_id in pipeline.scene_ids(project) if kind != "scenes" else ():
        step = pipeline.make_scene_voice if kind == "voice" else pipeline.make_scene_media
        step(project.pk, run, scene_id)
    VideoProject.objects.filter(pk=project.pk).update(run_state=VideoProject.RunState.SUCCEEDED)
    project.refresh_from_db()


@pytest.fixture
def spoken(monkeypatch):
    """The texts the speech engine was asked to read (it still reads them)."""
    texts = []
    real = voice.synthesize

    def synthesize(text, **options):
        texts.append(text)
        return real(text, **options)

    monkeypatch.setattr(voice, "synthesize", synthesize)
    return texts


def audio_of(project) -> list[AudioAsset]:
    return [
        scene.audio
        for scene in Scene.objects.filter(script__project=project)
        .select_related("audio")
        .order_by("position")
    ]


def test_a_duplicate_reuses_the_voices_and_remakes_them_once_the_files_are_gone(
    alice, spoken, django_capture_on_commit_callbacks
):
    original = make_project(alice, title=f"Shells {uuid.uuid4().hex[:6]}")
    run_steps(original, "scenes", django_capture_on_commit_callbacks)
    run_steps(original, "voice", django_capture_on_commit_callbacks)
    made = len(spoken)
    assert made == 3

    copy = projects.project_duplicate(project=original)
    run_steps(copy, "voice", django_capture_on_commit_callbacks)

    assert len(spoken) == made  # nothing read again
    for mine, theirs in zip(audio_of(copy), audio_of(original), strict=True):
        assert mine.file.name != theirs.file.name
        assert mine.file.read() == theirs.file.read()
        assert (mine.duration_s, mine.word_timings) == (theirs.duration_s, theirs.word_timings)
        assert mine.input_hash == theirs.input_hash

    with django_capture_on_commit_callbacks(execute=True):  # the files go after commit
        projects.project_delete(project=original)
    second_copy = projects.project_duplicate(project=copy)
    run_steps(second_copy, "voice", django_capture_on_commit_callbacks)

    # The cache pointed at the original's files: gone, so the voices were read again.
    assert len(spoken) == made + 3
    assert all(audio.file and audio.duration_s > 0 for audio in audio_of(second_copy))


def test_a_duplicate_reuses_drawn_pictures(alice, monkeypatch, django_capture_on_commit_callbacks):
    # Typographic cards: illustrated pictures are drawn again (their layers are files per row).
    original = make_project(alice, title=f"Tides {uuid.uuid4().hex[:6]}")
    original.media_provider = "procedural"
    original.save(update_fields=["media_provider"])
    run_steps(original, "scenes", django_capture_on_commit_callbacks)
    run_steps(original, "media", django_capture_on_commit_callbacks)
    drawn = []
    real = pipeline.find_media
    monkeypatch.setattr(pipeline, "find_media", lambda *a, **k: drawn.append(a) or real(*a, **k))

    copy = projects.project_duplicate(project=original)
    run_steps(copy, "media", django_capture_on_commit_callbacks)

    assert drawn == []
    pairs = zip(
        Scene.objects.filter(script__project=copy).order_by("position"),
        Scene.objects.filter(script__project=original).order_by("position"),
        strict=True,
    )
    for mine, theirs in pairs:
        assert mine.media.file.name != theirs.media.file.name
        assert mine.media.file.read() == theirs.media.file.read()
        assert mine.media.thumbnail and mine.media.source == "procedural"


# --- voice samples and previews -----------------------------------------------------------------


def test_it_makes_a_voice_sample_once_and_serves_it(alice_client, spoken):
    url = reverse("video_app:voice_sample")
    voice_id = voice.default_voice_for("en").id

    first = alice_client.get(url, {"voice": voice_id})
    second = alice_client.get(url, {"voice": voice_id})

    body = b"".join(first.streaming_content)
    assert body[:4] == b"RIFF" and body == b"".join(second.streaming_content)
    assert len(spoken) == 1


@pytest.fixture
def rendered(alice, tmp_path):
    """Alice's project with a real 4-second 640x360 video."""
    project = make_project(alice)
    clip = tmp_path / "clip.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=640x360:rate=25",
            "-t",
            "4",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            str(clip),
        ],
        description="test clip",
        timeout_s=60,
    )
    video = RenderedVideo(
        project=project,
        platform="youtube",
        width=640,
        height=360,
        duration_s=4.0,
        input_hash=uuid.uuid4().hex,
        run_number=1,
    )
    video.file.save("clip.mp4", ContentFile(clip.read_bytes()))
    return video


def test_it_makes_a_small_hover_preview_once(alice_client, rendered, monkeypatch, tmp_path):
    made = []
    real = cache_service.preview_clip
    monkeypatch.setattr(
        cache_service, "preview_clip", lambda *a, **k: made.append(a) or real(*a, **k)
    )
    url = reverse("video_app:rendered_file", args=[rendered.project_id, rendered.pk, "preview"])

    bodies = [b"".join(alice_client.get(url).streaming_content) for _ in range(2)]

    assert len(made) == 1
    assert bodies[0] == bodies[1]
    preview = tmp_path / "preview.mp4"
    preview.write_bytes(bodies[0])
    info = probe(preview)
    assert (info.width, info.height) == (320, 180)
    assert not info.has_audio and 2.5 < info.duration_s <= 4.1


def test_it_hides_the_preview_from_others_and_deletes_it_with_the_video(
    client, bob, alice_client, rendered, django_capture_on_commit_callbacks
):
    url = reverse("video_app:rendered_file", args=[rendered.project_id, rendered.pk, "preview"])
    b"".join(alice_client.get(url).streaming_content)
    [preview] = Path(default_storage.location, "cache", "video-preview").iterdir()
    client.force_login(bob)

    assert client.get(url).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        rendered.delete()
    assert not preview.exists()


def test_it_keeps_voice_samples_in_the_bucket_on_s3(alice_client, bucket, spoken):
    url = reverse("video_app:voice_sample")
    voice_id = voice.default_voice_for("en").id

    answers = [alice_client.get(url, {"voice": voice_id}) for _ in range(2)]

    assert [answer.status_code for answer in answers] == [302, 302]  # presigned links
    stored = bucket.keys()  # a method of the test bucket, not a dict
    [key] = [name for name in stored if name.startswith("cache/voice-sample/")]
    assert key.endswith(".wav") and f"/{key}?" in answers[1]["Location"]
    assert len(spoken) == 1
