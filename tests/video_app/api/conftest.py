"""Fixtures of the API tests: callers with a token, and a cache of each test's own (the rate
limits count in it). Alice's world (a project after a failed render, with scenes, files and a
library upload) is the one the pages' access tests use."""

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.video_app.test_access import (  # noqa: F401  (fixtures)
    bob_client,
    bob_project,
    enqueued,
    render_cache,
    staff,
    world,
)


@pytest.fixture(autouse=True)
def own_cache(settings, request):
    """API calls counted in a cache no other test (or process) shares."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"api-{request.node.nodeid}",
        }
    }
    yield
    cache.clear()


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def alice_api(alice):
    return token_client(alice)


@pytest.fixture
def bob_api(bob):
    return token_client(bob)
