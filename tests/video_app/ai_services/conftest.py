"""Fixtures for the engine's tests. The engine has no database: its tests run it without the
product's hooks (keys kept in admin, cost records stored as rows), which the product's own tests
cover (tests/video_app/test_providers.py)."""

import pytest

from video_app.ai_services import credentials, http, usage


@pytest.fixture(autouse=True)
def engine_without_product_hooks(monkeypatch):
    monkeypatch.setattr(credentials, "_lookups", [])
    monkeypatch.setattr(usage, "_sinks", [])


@pytest.fixture
def waits(monkeypatch):
    """The pauses the HTTP client would have slept between retries (it doesn't, in tests)."""
    slept = []
    monkeypatch.setattr(http, "sleep", slept.append)
    return slept


@pytest.fixture
def calls():
    """The usage records of provider calls made during the test."""
    records = []
    usage.add_sink(records.append)
    yield records
    usage.remove_sink(records.append)
