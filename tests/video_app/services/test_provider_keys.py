"""Provider keys kept by staff in admin: used when the environment has none, forgotten at once
when deleted, never shown again."""

import pytest

from video_app.engine.core import credentials
from video_app.models import ProviderKey

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
