"""Fixtures for the engine's tests. The engine has no database: its tests run it without the
product's hooks (keys kept in admin, cost records stored as rows), which the product's own tests
cover (tests/video_app/services/test_provider_keys.py, test_provider_usage.py)."""

import pytest

from video_app.engine.core import credentials, usage


@pytest.fixture(autouse=True)
def engine_without_product_hooks(monkeypatch):
    monkeypatch.setattr(credentials, "_lookups", [])
    monkeypatch.setattr(usage, "_sinks", [])
