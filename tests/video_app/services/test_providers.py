"""The providers a creator may choose: only those configured here (keys kept in admin:
test_provider_keys.py; paid calls recorded: test_provider_usage.py)."""

import pytest

from video_app.forms import ProjectForm

pytestmark = pytest.mark.django_db


def test_it_offers_only_the_providers_configured_here(settings):
    settings.GEMINI_API_KEY = ""
    settings.STABILITY_API_KEY = "set"

    form = ProjectForm()

    scripts = [name for name, _ in form.fields["script_provider"].choices]
    media = [name for name, _ in form.fields["media_provider"].choices]
    assert "gemini" not in scripts and "structured" in scripts
    assert "stability" in media and "procedural" in media
