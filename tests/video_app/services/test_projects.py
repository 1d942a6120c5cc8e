"""The project's stages and runs: which moves the state machine allows, starting a run, marking
one failed, and duplicating a project."""

import pytest

from tests.video_app.factories import SHORT_SCRIPT, make_project
from video_app.models import PipelineStep, Scene, VideoProject
from video_app.services import projects, storyboard
from video_app.services.projects import NoScript, NothingToRetry, ProjectBusy

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_progress_news")]

Status = VideoProject.Status


# --- the state machine --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (Status.DRAFT, Status.COMPLETED),
        (Status.DRAFT, Status.STORYBOARD),
        (Status.SCRIPTING, Status.MEDIA),
        (Status.COMPLETED, Status.FAILED),
        (Status.FAILED, Status.COMPLETED),
        (Status.MEDIA, Status.DRAFT),
    ],
)
def test_it_refuses_moves_the_wizard_never_makes(start, end):
    project = VideoProject(status=start)

    with pytest.raises(ValueError, match=f"A project cannot go from {start} to {end}."):
        project.move_to(end)

    assert project.status == start


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (Status.DRAFT, Status.SCRIPTING),
        (Status.SCRIPTING, Status.STORYBOARD),
        (Status.STORYBOARD, Status.MEDIA),
        (Status.MEDIA, Status.VOICE),
        (Status.VOICE, Status.STORYBOARD),
        (Status.VOICE, Status.RENDERING),
        (Status.RENDERING, Status.COMPLETED),
        (Status.RENDERING, Status.FAILED),
        (Status.FAILED, Status.RENDERING),
        (Status.FAILED, Status.MEDIA),
        (Status.COMPLETED, Status.SCRIPTING),
        (Status.MEDIA, Status.MEDIA),
    ],
)
def test_it_allows_the_wizards_moves(start, end):
    project = VideoProject(status=start)

    project.move_to(end)

    assert project.status == end


def test_it_lets_every_stage_render_and_a_render_finish_fail_or_go_back_when_cancelled():
    for status in Status.values:
        project = VideoProject(status=status)
        assert project.can_move_to(Status.RENDERING)
    stages_before = {Status.DRAFT, Status.SCRIPTING, Status.STORYBOARD, Status.MEDIA, Status.VOICE}
    assert VideoProject.TRANSITIONS[Status.RENDERING] == {
        Status.COMPLETED,
        Status.FAILED,
        *stages_before,
    }


# --- runs ---------------------------------------------------------------------------------------


def test_it_records_a_run_and_its_steps(alice, queued, django_capture_on_commit_callbacks):
    project = make_project(alice)

    with django_capture_on_commit_callbacks(execute=True):
        run = projects.run_start(project=project, kind="voice", scene_ids=(7, 8), force=True)

    assert run == project.run_number == 1
    assert (project.run_kind, project.run_state) == ("voice", "queued")
    assert project.run_started_at is not None
    assert project.status == Status.SCRIPTING  # only a render changes the stage
    assert [step.name for step in project.steps.all()] == ["voice"]
    assert queued == [(project.pk, 1, [7, 8], True)]


def test_it_refuses_a_run_while_another_is_busy(alice, queued, django_capture_on_commit_callbacks):
    project = make_project(alice)
    projects.run_start(project=project, kind="render")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ProjectBusy),
    ):
        projects.run_start(project=project, kind="media")

    project.refresh_from_db()
    assert (project.run_number, project.run_kind) == (1, "render")
    assert PipelineStep.objects.filter(project=project).count() == 6
    assert callbacks == []
    assert "already being worked on" in ProjectBusy.message


def test_it_refuses_a_run_seen_busy_in_the_database_though_stale_in_memory(alice):
    project = make_project(alice)
    stale = VideoProject.objects.get(pk=project.pk)
    projects.run_start(project=project, kind="render")

    with pytest.raises(ProjectBusy):
        projects.run_start(project=stale, kind="render")


def test_it_starts_a_new_run_after_the_last_one_finished(alice):
    project = make_project(alice)
    projects.run_start(project=project, kind="script")
    VideoProject.objects.filter(pk=project.pk).update(run_state="succeeded")

    run = projects.run_start(project=project, kind="render")

    assert run == 2
    assert project.status == Status.RENDERING
    assert PipelineStep.objects.filter(project=project, run_number=2).count() == 6


@pytest.mark.parametrize(
    ("kind", "stage"),
    [
        ("script", Status.SCRIPTING),
        ("scenes", Status.STORYBOARD),
        ("media", Status.MEDIA),
        ("voice", Status.VOICE),
        ("render", Status.RENDERING),
    ],
)
def test_it_goes_back_to_the_runs_stage_after_a_failed_render(alice, kind, stage):
    project = make_project(alice)
    projects.run_start(project=project, kind="render")
    projects.project_mark_failed(project=project, reason="Stopped.")

    projects.run_start(project=project, kind=kind)

    assert project.status == stage
    assert (project.error_message, project.failed_step) == ("", "")


def test_it_retries_the_kind_of_run_that_failed(alice, queued, django_capture_on_commit_callbacks):
    project = make_project(alice)
    projects.run_start(project=project, kind="render")
    projects.project_mark_failed(project=project, reason="Stopped.")
    project.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        run = projects.project_retry(project=project)

    assert (run, project.run_kind, project.status) == (2, "render", Status.RENDERING)
    assert queued == [(project.pk, 2, [], False)]


def test_it_retries_only_a_run_that_failed(alice, queued, django_capture_on_commit_callbacks):
    project = make_project(alice)
    projects.run_start(project=project, kind="script")
    VideoProject.objects.filter(pk=project.pk).update(run_state="succeeded")
    project.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NothingToRetry):
        projects.project_retry(project=project)

    project.refresh_from_db()
    assert project.run_number == 1
    assert queued == []


def test_it_refuses_to_split_a_project_without_a_script(alice, queued):
    project = make_project(alice, script="")

    with pytest.raises(NoScript):
        projects.run_start(project=project, kind="scenes")

    project.refresh_from_db()
    assert project.run_number == 0
    assert not PipelineStep.objects.filter(project=project).exists()


def test_a_render_writes_the_missing_script_unless_told_not_to(alice):
    project = make_project(alice, script="")

    with pytest.raises(NoScript):
        projects.run_start(project=project, kind="render", write_script=False)
    run = projects.run_start(project=project, kind="render")

    assert run == 1
    assert project.status == Status.RENDERING


# --- marking failed -----------------------------------------------------------------------------


def test_it_marks_a_stuck_render_failed(alice):
    project = make_project(alice)
    projects.run_start(project=project, kind="render")

    projects.project_mark_failed(project=project, reason="Stopped by our staff.")

    project.refresh_from_db()
    assert project.status == Status.FAILED
    assert project.run_state == VideoProject.RunState.FAILED
    assert project.error_message == "Stopped by our staff."
    assert project.failed_step == "render"
    assert project.failed_step_label == "Render"
    assert project.run_finished_at is not None
    assert not project.is_busy


def test_it_marks_a_stuck_step_failed_without_leaving_its_stage(alice):
    project = make_project(alice)
    projects.run_start(project=project, kind="media")

    projects.project_mark_failed(project=project, reason="Stopped.")

    project.refresh_from_db()
    assert project.status == Status.SCRIPTING
    assert (project.run_state, project.failed_step) == ("failed", "media")


def test_it_keeps_the_step_that_really_failed(alice):
    project = make_project(alice)
    projects.run_start(project=project, kind="render")
    VideoProject.objects.filter(pk=project.pk).update(failed_step="voice")

    projects.project_mark_failed(project=project, reason="Stopped.")

    project.refresh_from_db()
    assert project.failed_step == "voice"


# --- the script ---------------------------------------------------------------------------------


def test_it_leaves_the_stage_alone_when_the_script_did_not_change(alice):
    project = make_project(alice)
    VideoProject.objects.filter(pk=project.pk).update(status=Status.MEDIA)
    project.refresh_from_db()

    projects.script_save(project=project, text=f"  {SHORT_SCRIPT}\n")

    project.refresh_from_db()
    assert project.status == Status.MEDIA


def test_it_takes_the_creators_words_over_a_providers(alice):
    project = make_project(alice, script="")
    project.script.provider, project.script.template_based = "template", True
    project.script.save()

    projects.script_save(project=project, text="My own words.")

    project.script.refresh_from_db()
    assert (project.script.text, project.script.provider) == ("My own words.", "")
    assert project.script.template_based is False


# --- duplicating --------------------------------------------------------------------------------


def test_it_duplicates_settings_script_and_scenes(alice):
    project = make_project(
        alice, platforms=("tiktok", "youtube"), style="bold", language="fr", voice_id="espeak:fr"
    )
    VideoProject.objects.filter(pk=project.pk).update(voice_speed=1.2, status=Status.COMPLETED)
    project.refresh_from_db()
    first = storyboard.scene_add(project=project, text="Les coquillages arrivent.")
    storyboard.scene_set_voice(scene=first, voice_id="espeak:fr", speed=0.8)
    storyboard.scene_update(scene=first, text=first.text, visual_direction="la plage")
    storyboard.scene_add(project=project, text="Les enfants les ramassent.")

    copy = projects.project_duplicate(project=project)

    assert copy.pk != project.pk
    assert copy.user == alice
    assert copy.title == "Shells on the beach (copy)"
    assert copy.duplicated_from == project
    assert (copy.platforms, copy.style, copy.language, copy.voice_id, copy.voice_speed) == (
        ["tiktok", "youtube"],
        "bold",
        "fr",
        "espeak:fr",
        1.2,
    )
    assert copy.template == project.template
    assert copy.script.text == SHORT_SCRIPT
    copied = list(Scene.objects.filter(script=copy.script).order_by("position"))
    originals = list(Scene.objects.filter(script=project.script).order_by("position"))
    assert [
        (s.position, s.text, s.visual_direction, s.keywords, s.voice_id, s.voice_speed)
        for s in copied
    ] == [
        (s.position, s.text, s.visual_direction, s.keywords, s.voice_id, s.voice_speed)
        for s in originals
    ]
    assert copy.status == Status.STORYBOARD
    assert (copy.run_number, copy.run_state, copy.masters) == (0, "idle", {})


def test_it_duplicates_a_project_without_scenes_into_the_script_stage(alice):
    project = make_project(alice)

    copy = projects.project_duplicate(project=project, title="Another take")

    assert copy.title == "Another take"
    assert copy.status == Status.SCRIPTING
    assert not copy.script.scenes.exists()


def test_it_duplicates_an_empty_project_as_a_draft(alice):
    project = make_project(alice, script="")

    copy = projects.project_duplicate(project=project)

    assert copy.status == Status.DRAFT


def test_it_keeps_a_long_titles_copy_within_the_limit(alice):
    project = make_project(alice, title="T" * 200)

    copy = projects.project_duplicate(project=project)

    assert len(copy.title) == 200
    copy.full_clean()
