"""The OpenAI-compatible script writer (OpenAI, Ollama, vLLM) against recorded exchanges: a script
from a good answer, patience when the server is busy, exactly one repair request for a bad answer,
plain JSON where a server has no JSON schema mode, and no key for a local server."""

import json

import pytest

from tests.video_app.engine.recordings import replay
from tests.video_app.engine.script.chat_servers import OPENAI_KEY, SOLAR, sent, server_label, tokens
from video_app.engine.core.errors import ProviderFailed, ProviderRefused
from video_app.engine.script import write_script
from video_app.engine.script.chat import MODEL_SCHEMA
from video_app.engine.script.openai_compatible import openai_label


def test_it_writes_a_script_from_openais_answer(openai, calls):
    replay(openai, "openai/ok")

    draft = write_script(SOLAR, provider="openai")

    assert draft.provider == "openai"
    assert draft.title == "How solar panels power a home"
    assert len(draft.scenes) == 5
    [(request, _response)] = openai.log
    assert request.path == "/v1/chat/completions"
    assert request.headers["Authorization"] == f"Bearer {OPENAI_KEY}"
    [body] = sent(openai)
    assert body["model"] == "gpt-4o-mini"
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "video_script", "strict": True, "schema": MODEL_SCHEMA},
    }
    system, user = body["messages"]
    assert system["role"] == "system"
    assert json.dumps(MODEL_SCHEMA, separators=(",", ":")) in system["content"]
    assert user["role"] == "user"
    assert "Topic: solar panels" in user["content"]
    assert "Platform: tiktok" in user["content"]
    assert [(call.provider, call.unit, call.units) for call in calls] == [
        (server_label(openai), "requests", 1),
        (server_label(openai), "tokens", 734),
    ]


def test_it_waits_as_long_as_a_rate_limited_openai_asks(openai, waits):
    replay(openai, "openai/rate_limited")

    draft = write_script(SOLAR, provider="openai")

    assert len(draft.scenes) == 5
    assert waits == [2.0]


def test_it_gives_up_when_openai_stays_unavailable(openai, waits):
    replay(openai, "openai/unavailable")

    with pytest.raises(ProviderFailed) as failure:
        write_script(SOLAR, provider="openai")

    assert not isinstance(failure.value, ProviderRefused)
    assert failure.value.message.startswith(f"{server_label(openai)} is not answering right now.")
    assert len(openai.log) == 4


def test_it_asks_openai_once_to_repair_an_answer_that_is_not_json(openai, calls):
    replay(openai, "openai/prose_then_ok")

    draft = write_script(SOLAR, provider="openai")

    assert len(draft.scenes) == 5
    repair = sent(openai)[1]
    _system, _request, answer, correction = repair["messages"]
    assert answer["role"] == "assistant"
    assert answer["content"].startswith("Sure! Here is a script about solar panels.")
    assert correction["role"] == "user"
    assert "not JSON" in correction["content"]
    assert tokens(calls) == [538, 796]


def test_it_fails_clearly_when_openai_answers_badly_twice(openai):
    replay(openai, "openai/unusable_twice")

    with pytest.raises(ProviderFailed) as failure:
        write_script(SOLAR, provider="openai")

    assert failure.value.message.startswith(
        f"{server_label(openai)} wrote a script that could not be used"
    )
    assert len(openai.log) == 2


def test_it_stops_at_once_when_openai_refuses_the_key(openai, waits):
    replay(openai, "openai/bad_key")

    with pytest.raises(ProviderRefused) as refusal:
        write_script(SOLAR, provider="openai")

    assert refusal.value.message == (
        f"{server_label(openai)} refused our key. Ask your administrator to check the API key."
    )
    assert len(openai.log) == 1
    assert waits == []
    assert OPENAI_KEY not in refusal.value.message + refusal.value.detail


def test_it_asks_for_plain_json_where_json_schema_is_not_supported(openai):
    replay(openai, "openai/json_schema_rejected")

    draft = write_script(SOLAR, provider="openai")

    assert len(draft.scenes) == 5
    rejected, accepted = sent(openai)
    assert rejected["response_format"]["type"] == "json_schema"
    assert accepted["response_format"] == {"type": "json_object"}
    assert accepted["messages"] == rejected["messages"]


def test_it_talks_to_a_local_server_without_a_key(openai, settings, calls):
    settings.OPENAI_API_KEY = ""
    settings.OPENAI_MODEL = "llama3.2"
    replay(openai, "openai/ollama_ok")

    draft = write_script(SOLAR, provider="openai")

    assert len(draft.scenes) == 5
    [(request, _response)] = openai.log
    assert "Authorization" not in request.headers
    assert sent(openai)[0]["model"] == "llama3.2"
    assert calls[0].provider == server_label(openai)
    assert tokens(calls) == [911]


@pytest.mark.parametrize(
    ("base_url", "label"),
    [
        ("https://api.openai.com/v1", "OpenAI"),
        ("http://127.0.0.1:11434/v1", "The model server at 127.0.0.1:11434"),
        ("https://user:secret@llm.example.com/v1", "The model server at llm.example.com"),
    ],
)
def test_it_names_the_server_it_talks_to(base_url, label):
    assert openai_label(base_url) == label
