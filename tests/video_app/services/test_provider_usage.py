"""Paid provider calls, recorded against the project the pipeline was working on."""

import pytest

from tests.video_app.factories import make_project
from video_app.engine.core import usage
from video_app.models import ProviderCall

pytestmark = pytest.mark.django_db


def test_it_records_each_paid_call_against_its_project(alice):
    project = make_project(alice)

    with usage.attributed(project_id=project.pk):
        usage.record(usage.CallRecord("Pexels", "media", 1, "requests", "ok", 0.25))
    usage.record(usage.CallRecord("Amazon Polly", "voice", 120, "characters", "refused", 0.1))

    pexels, polly = ProviderCall.objects.order_by("id")
    assert (pexels.provider, pexels.project, pexels.outcome) == ("Pexels", project, "ok")
    assert (polly.units, polly.unit, polly.project) == (120, "characters", None)
