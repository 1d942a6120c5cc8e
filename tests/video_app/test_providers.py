"""The product's side of cloud providers: keys kept in admin, paid calls recorded per project,
and the providers a creator may choose."""

import pytest

from tests.video_app.factories import make_project
from video_app.engine.core import credentials, usage
from video_app.forms import ProjectForm
from video_app.models import ProviderCall, ProviderKey

pytestmark = pytest.mark.django_db


def test_it_uses_a_key_kept_in_admin_when_the_environment_has_none(settings):
    settings.PEXELS_API_KEY = ""
    assert credentials.get("PEXELS_API_KEY") == ""

    ProviderKey.objects.create(name="PEXELS_API_KEY", value="admin-key")

    assert credentials.get("PEXELS_API_KEY") == "admin-key"


def test_it_prefers_the_environment_s_key(settings):
    ProviderKey.objects.create(name="PEXELS_API_KEY", value="admin-key")
    settings.PEXELS_API_KEY = "env-key"

    assert credentials.get("PEXELS_API_KEY") == "env-key"


def test_it_forgets_a_deleted_key_at_once(settings):
    settings.STABILITY_API_KEY = ""
    key = ProviderKey.objects.create(name="STABILITY_API_KEY", value="admin-key")
    assert credentials.get("STABILITY_API_KEY") == "admin-key"

    key.delete()

    assert credentials.get("STABILITY_API_KEY") == ""


def test_it_never_shows_a_saved_key_in_admin(admin_client):
    key = ProviderKey.objects.create(name="PIXABAY_API_KEY", value="very-secret-pixabay-key")

    for url in ("/admin/video_app/providerkey/", f"/admin/video_app/providerkey/{key.pk}/change/"):
        page = admin_client.get(url).content.decode()
        assert "PIXABAY_API_KEY" in page
        assert "very-secret-pixabay-key" not in page


def test_it_records_each_paid_call_against_its_project(alice):
    project = make_project(alice)

    with usage.attributed(project_id=project.pk):
        usage.record(usage.CallRecord("Pexels", "media", 1, "requests", "ok", 0.25))
    usage.record(usage.CallRecord("Amazon Polly", "voice", 120, "characters", "refused", 0.1))

    pexels, polly = ProviderCall.objects.order_by("id")
    assert (pexels.provider, pexels.project, pexels.outcome) == ("Pexels", project, "ok")
    assert (polly.units, polly.unit, polly.project) == (120, "characters", None)


def test_it_offers_only_the_providers_configured_here(settings):
    settings.GEMINI_API_KEY = ""
    settings.STABILITY_API_KEY = "set"

    form = ProjectForm()

    scripts = [name for name, _ in form.fields["script_provider"].choices]
    media = [name for name, _ in form.fields["media_provider"].choices]
    assert "gemini" not in scripts and "structured" in scripts
    assert "stability" in media and "procedural" in media
