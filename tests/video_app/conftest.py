"""Fixtures for the product's page and service tests (not the real-worker ones)."""

import types

import pytest

from video_app import tasks
from video_app.services import progress


@pytest.fixture
def media_root(settings, tmp_path):
    """Stored files in this test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def no_progress_news(monkeypatch):
    """Progress is stored as usual, but not announced over the channel layer."""
    monkeypatch.setattr(progress, "publish", lambda project_id: None)


@pytest.fixture
def queued(monkeypatch):
    """The runs handed to Celery, as (project id, run, scene ids, force); none really queued."""
    runs = []
    fake_task = types.SimpleNamespace(delay=lambda *args: runs.append(args))
    monkeypatch.setattr(tasks, "process_video_project", fake_task)
    return runs
