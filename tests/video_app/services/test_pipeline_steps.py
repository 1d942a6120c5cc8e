"""The pipeline's bookkeeping in-process: failures and successes are told once, superseded runs
do nothing. (test_pipeline.py runs the real thing through a worker.)"""

import pytest
from django.core import mail

from tests.video_app.factories import make_project
from video_app import tasks
from video_app.engine.core.errors import InvalidInput
from video_app.models import PipelineStep, VideoProject
from video_app.services import dispatch, pipeline, projects

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture(autouse=True)
def emails_sent_at_once(monkeypatch):
    """A run's email is queued after commit to its own task: here it runs in this process."""
    monkeypatch.setattr(
        dispatch,
        "queue_run_email",
        lambda **email: tasks.run_email_task.apply(kwargs=email),
    )


@pytest.fixture
def ended(django_capture_on_commit_callbacks):
    """Ends of runs made inside this block queue their emails as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def rendering(alice, django_capture_on_commit_callbacks):
    project = make_project(alice)
    with django_capture_on_commit_callbacks(execute=False):  # queue nothing
        projects.run_start(project=project, kind="render")
    project.refresh_from_db()
    return project


def test_it_marks_the_run_failed_with_the_cause_and_emails_once(rendering, ended):
    error = InvalidInput("Scene 2 has no words.", detail="empty narration")

    with ended():
        pipeline.fail_run(rendering.pk, rendering.run_number, "voice", error)
        pipeline.fail_run(rendering.pk, rendering.run_number, "voice", error)  # a redelivery

    rendering.refresh_from_db()
    assert rendering.status == VideoProject.Status.FAILED
    assert (rendering.failed_step, rendering.error_message) == ("voice", "Scene 2 has no words.")
    assert rendering.error_detail == "empty narration"
    step = PipelineStep.objects.get(
        project=rendering, run_number=rendering.run_number, name="voice"
    )
    assert step.state == PipelineStep.State.FAILED
    [email] = mail.outbox
    assert email.to == ["alice@example.com"]
    assert "could not be made" in email.subject
    assert "Scene 2 has no words." in email.body
    assert f"/projects/{rendering.pk}/" in email.body


def test_it_hides_unexpected_errors_behind_a_plain_message(rendering):
    pipeline.fail_run(rendering.pk, rendering.run_number, "render", KeyError("masters"))

    rendering.refresh_from_db()
    assert rendering.error_message.startswith("Something went wrong while rendering the video.")
    assert "KeyError" in rendering.error_detail and "KeyError" not in rendering.error_message


def test_it_completes_the_run_and_emails_a_link_once(rendering, ended):
    with ended():
        pipeline.finish_run(rendering.pk, rendering.run_number)
        pipeline.finish_run(rendering.pk, rendering.run_number)

    rendering.refresh_from_db()
    assert rendering.status == VideoProject.Status.COMPLETED
    assert rendering.run_state == VideoProject.RunState.SUCCEEDED
    [email] = mail.outbox
    assert "is ready" in email.subject and f"/projects/{rendering.pk}/" in email.body


def test_it_leaves_a_finished_run_finished_when_a_late_copy_of_a_step_runs(rendering, ended):
    # A worker died after a step's work, before the broker heard it finished: the step is handed
    # out again, possibly after the run's end.
    with ended():
        pipeline.finish_run(rendering.pk, rendering.run_number)

    pipeline.split_project_script(rendering.pk, rendering.run_number)

    rendering.refresh_from_db()
    assert rendering.run_state == VideoProject.RunState.SUCCEEDED
    assert not rendering.script.scenes.exists()
    steps = PipelineStep.objects.filter(project=rendering, run_number=rendering.run_number)
    assert {step.state for step in steps} == {PipelineStep.State.DONE}


def test_it_ignores_steps_of_a_superseded_run(rendering, ended):
    old_run = rendering.run_number
    projects.project_mark_failed(project=rendering, reason="Stopped")
    rendering.refresh_from_db()
    projects.script_save(project=rendering, text="Something else entirely. Short.")
    projects.run_start(project=rendering, kind="scenes")

    with ended():
        pipeline.finish_run(rendering.pk, old_run)
        pipeline.fail_run(rendering.pk, old_run, "render", InvalidInput("late"))

    rendering.refresh_from_db()
    assert rendering.run_state == VideoProject.RunState.QUEUED
    assert rendering.error_message == ""
    assert mail.outbox == []


def test_it_emails_again_for_a_later_run(rendering, ended):
    with ended():
        pipeline.fail_run(rendering.pk, rendering.run_number, "render", InvalidInput("Too long."))
    projects.project_retry(project=rendering)
    rendering.refresh_from_db()

    with ended():
        pipeline.finish_run(rendering.pk, rendering.run_number)

    assert [email.subject.split("”")[-1].strip() for email in mail.outbox] == [
        "could not be made",
        "is ready",
    ]
