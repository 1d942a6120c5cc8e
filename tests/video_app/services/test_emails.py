"""A run's email never touches the run: it is queued once the run is over and sent by its own
task, which retries a mail server's failures; one email per run however often the task runs."""

import smtplib

import pytest
from django.core import mail

from payments_app.models import RenderUsage
from tests.video_app.factories import add_video, make_project
from video_app import tasks
from video_app.models import VideoProject
from video_app.services import dispatch, emails, pipeline, projects

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def email_tasks(monkeypatch):
    """The email tasks queued: (project id, run, outcome); run them with `send_queued`."""
    sent = []
    monkeypatch.setattr(
        dispatch,
        "queue_run_email",
        lambda *, project_id, run, outcome: sent.append((project_id, run, outcome)),
    )
    return sent


def send_queued(queued) -> None:
    for args in queued:
        tasks.run_email_task.apply(args=args)


def finished_render(user, title: str, django_capture_on_commit_callbacks) -> VideoProject:
    project = make_project(user, title=title)
    with django_capture_on_commit_callbacks(execute=False):
        projects.run_start(project=project, kind="render")
    project.refresh_from_db()
    add_video(project, width=720, height=720)
    with django_capture_on_commit_callbacks(execute=True):  # the email is queued after commit
        pipeline.finish_run(project.pk, project.run_number)
    return project


def test_it_keeps_a_finished_run_succeeded_when_its_title_has_a_newline(
    alice, email_tasks, django_capture_on_commit_callbacks
):
    title = "Shells\nBcc: everyone@example.com"
    project = finished_render(alice, title, django_capture_on_commit_callbacks)

    send_queued(email_tasks)

    project.refresh_from_db()
    assert project.run_state == VideoProject.RunState.SUCCEEDED
    [email] = mail.outbox
    assert email.subject == "Your video “Shells Bcc: everyone@example.com” is ready"
    assert email.to == ["alice@example.com"] and email.bcc == []
    assert RenderUsage.objects.filter(project_id=project.pk).count() == 1


def test_it_sends_one_email_however_often_the_task_is_delivered(
    alice, email_tasks, django_capture_on_commit_callbacks
):
    finished_render(alice, "Shells", django_capture_on_commit_callbacks)

    send_queued(email_tasks * 3)  # redelivered after a lost acknowledgement, twice

    assert len(mail.outbox) == 1


def test_it_retries_a_failed_email_on_its_own_and_never_charges_again(
    alice, email_tasks, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    project = finished_render(alice, "Shells", django_capture_on_commit_callbacks)
    real_send = emails.send_mail
    answers = iter([smtplib.SMTPServerDisconnected("Connection unexpectedly closed")])

    def flaky_send(*args, **kwargs):
        if error := next(answers, None):
            raise error
        return real_send(*args, **kwargs)

    monkeypatch.setattr(emails, "send_mail", flaky_send)

    result = tasks.run_email_task.apply(args=email_tasks[0])

    assert result.successful()  # the task retried itself (eagerly here) and sent it
    assert len(mail.outbox) == 1
    assert "not sent: SMTPServerDisconnected" in caplog.text
    project.refresh_from_db()
    assert project.run_state == VideoProject.RunState.SUCCEEDED
    assert RenderUsage.objects.filter(project_id=project.pk).count() == 1


def test_it_gives_the_claim_back_when_the_mail_server_fails(
    alice, email_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    project = finished_render(alice, "Shells", django_capture_on_commit_callbacks)
    monkeypatch.setattr(emails, "send_mail", lambda *a, **k: (_ for _ in ()).throw(TimeoutError))

    with pytest.raises(TimeoutError):
        emails.run_email_send(project_id=project.pk, run=project.run_number, outcome="done")

    project.refresh_from_db()
    assert project.emailed_run == 0  # the retry will send it


def test_it_finishes_the_run_when_the_email_can_not_be_queued(
    alice, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(dispatch.current_app, "send_task", broker_down)

    project = finished_render(alice, "Shells", django_capture_on_commit_callbacks)

    project.refresh_from_db()
    assert project.run_state == VideoProject.RunState.SUCCEEDED


def test_it_links_to_the_site_s_address_and_keeps_the_title_as_typed(
    alice, email_tasks, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://videos.example.com/"
    project = finished_render(alice, "Tom's café & bar", django_capture_on_commit_callbacks)

    send_queued(email_tasks)

    [email] = mail.outbox
    assert f"https://videos.example.com/projects/{project.pk}/" in email.body
    assert "“Tom's café & bar”" in email.body
    assert "&amp;" not in email.body and "&#x27;" not in email.body


def test_it_emails_the_failure_with_the_cause_as_written(
    alice, email_tasks, django_capture_on_commit_callbacks
):
    project = make_project(alice, title="Fish & chips")
    with django_capture_on_commit_callbacks(execute=False):
        projects.run_start(project=project, kind="render")
    error = pipeline.InvalidInput("Scene 2's words can't be read aloud.")
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.fail_run(project.pk, 1, "voice", error)

    send_queued(email_tasks)

    [email] = mail.outbox
    assert email.subject == "Your video “Fish & chips” could not be made"
    assert "Scene 2's words can't be read aloud." in email.body


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("Line one\r\nLine two", "Line one Line two"),
        ("Tab\there\x00and\x1bthere\u2028too", "Tab here and there too"),
        ("x" * 300, "x" * 119 + "…"),
    ],
)
def test_it_makes_any_text_a_safe_subject(text, subject):
    assert emails.email_subject(text) == subject
