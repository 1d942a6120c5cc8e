"""Recorded model servers for the script writers' tests: a local HTTP server that must be asked
for every exchange it was given, with Gemini or an OpenAI-compatible writer pointed at it."""

import pytest

from tests.video_app.engine.script.chat_servers import GEMINI_KEY, OPENAI_KEY


@pytest.fixture
def server(httpserver):
    yield httpserver
    httpserver.check_assertions()
    assert not httpserver.ordered_handlers, "a recorded exchange was never requested"


@pytest.fixture
def gemini(settings, server):
    settings.GEMINI_API_KEY = GEMINI_KEY
    settings.GEMINI_MODEL = "gemini-2.5-flash"
    settings.GEMINI_BASE_URL = server.url_for("/")
    return server


@pytest.fixture
def openai(settings, server):
    settings.OPENAI_API_KEY = OPENAI_KEY
    settings.OPENAI_MODEL = "gpt-4o-mini"
    settings.OPENAI_BASE_URL = server.url_for("/v1")
    return server
