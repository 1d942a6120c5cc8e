"""The Celery pipeline end to end: a real worker, the run mode's broker and database, real
FFmpeg output checked like a viewer would."""

import time

import pytest
from django.urls import reverse

from payments_app import services as quotas
from payments_app.models import Plan, RenderUsage
from tests.video_app.factories import make_project
from video_app.engine.core.ffmpeg import probe
from video_app.models import PipelineStep, RenderedVideo, Scene, TaskInHand, VideoProject
from video_app.services import files, projects

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def wait_for_run(project, timeout_s=240):
    """Until the run is over and its tasks have let go of their records (the last task does
    so just after the run is shown finished)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        project.refresh_from_db()
        in_hand = TaskInHand.objects.filter(project=project, run_number=project.run_number)
        if not project.is_busy and not in_hand.exists():
            return project
        time.sleep(0.5)
    raise AssertionError(
        f"run still {project.run_state} after {timeout_s} s, "
        f"tasks in hand: {list(in_hand.values_list('task_name', flat=True))}"
    )


def test_it_renders_a_project_from_script_to_exported_video(alice, celery_worker_process):
    project = make_project(alice, platforms=("instagram_square",))

    projects.run_start(project=project, kind="render")
    wait_for_run(project)

    assert project.status == VideoProject.Status.COMPLETED, project.error_detail
    assert project.run_state == VideoProject.RunState.SUCCEEDED
    scenes = list(Scene.objects.filter(script__project=project).select_related("media", "audio"))
    assert len(scenes) == 3
    assert all(scene.media and scene.audio for scene in scenes)
    [video] = RenderedVideo.objects.filter(project=project)
    info = probe(files.local_path(video.file), decode=True)
    assert (info.width, info.height) == (720, 720)  # the Free plan's resolution
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    spoken_s = sum(scene.audio.duration_s for scene in scenes)
    assert spoken_s < info.duration_s < spoken_s + 12  # voices plus title, outro and pauses
    assert video.duration_s == pytest.approx(info.duration_s, abs=0.1)
    assert files.local_path(video.vtt_file).read_text().startswith("WEBVTT")
    assert "Every morning" in files.local_path(video.srt_file).read_text()
    assert files.local_path(video.thumbnail).stat().st_size > 5000
    steps = PipelineStep.objects.filter(project=project, run_number=project.run_number)
    assert {step.state for step in steps} == {"done"}
    assert [step.name for step in steps] == [
        "script",
        "scenes",
        "media",
        "voice",
        "render",
        "export",
    ]


DIALOGUE = (
    "ANNA: Shall we walk to the lighthouse before lunch?\n\n"
    "BEN: Only if we are back before the tide comes in.\n\n"
    "ANNA: Then we leave right now."
)


def test_it_gives_each_speaker_of_a_dialogue_a_voice_of_their_own(
    alice, client, celery_worker_process
):
    project = make_project(alice, script=DIALOGUE)
    client.force_login(alice)

    client.post(reverse("video_app:scenes_make", args=[project.pk]))
    wait_for_run(project)
    client.post(reverse("video_app:voice", args=[project.pk]))
    wait_for_run(project)

    assert project.run_state == VideoProject.RunState.SUCCEEDED, project.error_detail
    scenes = Scene.objects.filter(script__project=project).select_related("audio")
    voices = {}
    for scene in scenes:
        voices.setdefault(scene.speaker, set()).add(scene.audio.voice_id)
    assert voices.keys() == {"ANNA", "BEN"}
    assert all(len(voice) == 1 for voice in voices.values())  # a speaker keeps one voice
    assert voices["ANNA"] != voices["BEN"]
    assert all(scene.audio.duration_s > 1 for scene in scenes)


def test_it_fails_with_a_readable_cause_and_resumes_on_retry(alice, celery_worker_process):
    long_script = "\n\n".join(
        f"Paragraph {n} says a great deal about the tides and the moon and the shells. " * 3
        for n in range(14)
    )
    project = make_project(alice, script=long_script, platforms=("tiktok", "youtube_shorts"))
    projects.run_start(project=project, kind="render")
    wait_for_run(project)

    assert project.status == VideoProject.Status.FAILED
    assert project.failed_step == "scenes"
    assert "accepts at most" in project.error_message
    assert not RenderedVideo.objects.filter(project=project).exists()

    projects.script_save(project=project, text="A short tale of shells. It ends well.")
    projects.project_retry(project=project)
    wait_for_run(project)

    assert project.status == VideoProject.Status.COMPLETED, project.error_detail
    videos = RenderedVideo.objects.filter(project=project)
    platforms = sorted(videos.values_list("platform", flat=True))
    assert platforms == ["tiktok", "youtube_shorts"]
    # One 9:16 master serves both platforms.
    assert list(project.masters) == ["9:16"]


def test_it_reuses_unchanged_work_when_rendering_again(alice, celery_worker_process):
    project = make_project(alice)
    projects.run_start(project=project, kind="render")
    wait_for_run(project)
    first = {
        scene.pk: (scene.media.file.name, scene.audio.file.name)
        for scene in Scene.objects.filter(script__project=project).select_related("media", "audio")
    }
    scene = Scene.objects.filter(script__project=project).order_by("position").first()
    scene.text = "Every evening the tide takes some shells back."
    scene.save()

    projects.run_start(project=project, kind="render")
    wait_for_run(project)

    assert project.status == VideoProject.Status.COMPLETED, project.error_detail
    second = {
        scene.pk: (scene.media.file.name, scene.audio.file.name)
        for scene in Scene.objects.filter(script__project=project).select_related("media", "audio")
    }
    changed = {pk for pk in first if first[pk] != second[pk]}
    assert changed == {scene.pk}


def test_it_renders_at_the_plan_s_resolution_and_counts_each_finished_render(
    alice, celery_worker_process
):
    project = make_project(alice)
    projects.run_start(project=project, kind="render")
    wait_for_run(project)
    free_master = project.masters["1:1"]

    quotas.grant_plan(user=alice, plan=Plan.objects.get(slug="pro"))
    projects.run_start(project=project, kind="render")
    wait_for_run(project)

    assert project.status == VideoProject.Status.COMPLETED, project.error_detail
    [video] = RenderedVideo.objects.filter(project=project)
    info = probe(files.local_path(video.file), decode=True)
    assert (info.width, info.height) == (1080, 1080)
    # The paid master is a new render (no watermark, more pixels), not the Free one reused.
    assert project.masters["1:1"]["input_hash"] != free_master["input_hash"]
    assert RenderUsage.objects.filter(user=alice).count() == 2


def test_it_finishes_the_render_asked_for_first_before_starting_the_next_one_s(
    alice, bob, celery_worker_process
):
    first = make_project(alice, title="Tides")
    second = make_project(bob, title="Dunes")
    projects.run_start(project=first, kind="render")
    projects.run_start(project=second, kind="render")
    wait_for_run(first)
    wait_for_run(second)

    assert first.status == second.status == VideoProject.Status.COMPLETED
    # One worker: the first run's later steps went ahead of the second's earlier ones, rather
    # than every scene of both runs before either render.
    second_render = PipelineStep.objects.get(
        project=second, run_number=second.run_number, name="render"
    )
    assert first.run_finished_at <= second_render.started_at
