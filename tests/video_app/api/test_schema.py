"""The OpenAPI schema (/api/schema/) describes every operation of the API, its docs are served
from static/ (no CDN), and the API answers requests generated from that schema (schemathesis)
without a server error."""

import re
from collections import Counter
from types import SimpleNamespace

import hypothesis
import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.urls import reverse
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from payments_app import services as quotas
from payments_app.models import Plan
from tests.video_app.api.test_access import CALLS
from tests.video_app.factories import make_storyboard
from video_app.models import VideoProject, VideoScript

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 25  # in each generation mode: valid, then invalid input


def schema_of(client) -> dict:
    response = client.get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations_of_the_router() -> set[tuple[str, str]]:
    """(method, path template) of every routed call, e.g. ("get", "/api/v1/projects/{id}/")."""
    ids_only = SimpleNamespace(project=SimpleNamespace(pk=1111), scenes=[SimpleNamespace(pk=2222)])
    operations = set()
    for call in CALLS:
        if not call.name.startswith("project"):
            continue
        kwargs = call.ids(ids_only)
        path = reverse(f"api:{call.name}", kwargs=kwargs)
        for name, value in kwargs.items():
            path = path.replace(f"/{value}/", "/{%s}/" % ("id" if name == "pk" else name))
        operations.add((call.method, path))
    return operations


def test_it_describes_every_operation_of_the_api(client):
    schema = schema_of(client)

    described = {(method, path) for path, item in schema["paths"].items() for method in item}
    assert described == operations_of_the_router()
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"
    render = schema["paths"]["/api/v1/projects/{id}/render/"]["post"]["responses"]
    assert {"202", "403", "409", "401", "404", "429"} <= set(render)


def test_it_serves_the_docs_from_static_files(client):
    page = client.get(reverse("api:docs")).content.decode()

    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets
    assert not [asset for asset in assets if "//" in asset]  # nothing from another host
    for asset in assets:
        if asset.startswith("/static/"):
            assert finders.find(asset.removeprefix("/static/")), asset
    assert reverse("api:schema") in page


# --- fuzzing ------------------------------------------------------------------------------------


@pytest.fixture
def wsgi_app():
    """The product's WSGI application, run in this test's thread and database transaction. As
    Django's test client does, the connection is not closed at the end of each request."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def fuzz(operation, mode, *, headers: dict, own_ids: dict, answers: Counter) -> None:
    """Call `operation` with cases generated in `mode`; half reach the caller's own objects."""

    @hypothesis.settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode), own=st.booleans())
    def call(case, own):
        if own and case.path_parameters:
            case.path_parameters = {name: own_ids[name] for name in case.path_parameters}
        with transaction.atomic():  # each case starts from the same rows
            response = case.call(headers=headers)
            transaction.set_rollback(True)
        case.validate_response(response, checks=[not_a_server_error])
        answers[response.status_code // 100 * 100] += 1

    call()


def test_it_answers_requests_generated_from_its_schema_without_a_server_error(
    alice, wsgi_app, enqueued
):
    quotas.grant_plan(user=alice, plan=Plan.objects.get(slug="pro"))  # calls to spare
    project = make_storyboard(alice)
    scene = project.script.scenes.first()
    # A script a writer wrote: a variation of another length may replace it without being told
    # (a creator's own script needs replace_script: true, which most generated bodies lack).
    VideoScript.objects.filter(project=project).update(provider="structured")
    # After a failed render, so that every action (retry too) has something to do.
    VideoProject.objects.filter(pk=project.pk).update(
        status="failed", run_number=1, run_kind="render", run_state="failed", failed_step="render"
    )
    headers = {"Authorization": f"Token {Token.objects.create(user=alice).key}"}
    schema = schemathesis.openapi.from_wsgi(reverse("api:schema"), wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    answers = {operation.label: Counter() for operation in operations}

    for operation in operations:
        own_ids = {
            "project_pk": project.pk,
            "id": scene.pk if "{project_pk}" in operation.path else project.pk,
        }
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            fuzz(
                operation, mode, headers=headers, own_ids=own_ids, answers=answers[operation.label]
            )

    assert len(answers) == len(operations_of_the_router())
    # Every operation was called, and answered both valid calls (2xx) and refused ones (4xx).
    # Cancel has nothing to stop in a failed project (its 2xx: tests/video_app/test_run_cancel.py).
    answered_2xx = set(answers) - {"POST /api/v1/projects/{id}/cancel/"}
    assert {label for label, seen in answers.items() if seen[200]} >= answered_2xx, answers
    assert {label for label, seen in answers.items() if seen[400]} == set(answers), answers
