"""Work handed to Celery by task name: each name is a task the workers know, called with the
arguments it takes, at the priority of the plan and the step."""

import inspect

import pytest
from celery import current_app

from payments_app import services as quotas
from payments_app.models import Plan
from tests.video_app.factories import make_project
from video_app import tasks
from video_app.services import dispatch

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr(
        dispatch.current_app, "send_task", lambda name, **options: calls.append((name, options))
    )
    return calls


def call_fits(task_name: str, args: tuple) -> None:
    """`args` bind to the registered task's own parameters (a renamed task or parameter fails)."""
    task = current_app.tasks[task_name]
    inspect.signature(task.run).bind(*args)


def test_it_queues_a_run_s_start_with_its_arguments(alice, sent):
    project = make_project(alice)

    dispatch.queue_run(project=project, run=3, scene_ids=[7, 8], force=True)

    [(name, options)] = sent
    assert name == dispatch.START_RUN == tasks.start_run_task.name
    assert options["args"] == (project.pk, 3, [7, 8], True)
    call_fits(name, options["args"])


def test_it_queues_a_run_s_email(sent):
    dispatch.queue_run_email(project_id=5, run=2, outcome="done")

    [(name, options)] = sent
    assert name == dispatch.SEND_RUN_EMAIL == tasks.run_email_task.name
    call_fits(name, options["args"])


def test_it_puts_a_paid_plan_s_runs_and_a_run_s_later_steps_first(alice, bob):
    studio = Plan.objects.create(slug="studio", name="Studio", price_label="Test", queue_priority=9)
    quotas.grant_plan(user=bob, plan=studio)

    # Redis serves priority 0 first.
    assert dispatch.task_priority(alice, "export") < dispatch.task_priority(alice, "script")
    assert dispatch.task_priority(bob, "script") < dispatch.task_priority(alice, "script")
    assert dispatch.task_priority(alice, "script") <= 9
