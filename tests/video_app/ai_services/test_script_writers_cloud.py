"""The language-model script writers (Gemini, OpenAI-compatible servers) against recorded
exchanges: a script from a good answer, patience when the service is busy, exactly one repair
request for a bad answer, and a sentence for the creator when the key or request is refused."""

import json

import pytest

from video_app.ai_services import usage
from video_app.ai_services.errors import ProviderFailed, ProviderRefused
from video_app.ai_services.script_writers_cloud import MODEL_SCHEMA, openai_label
from video_app.ai_services.text_generation import ScriptRequest, write_script

from .recordings import replay

GEMINI_KEY = "test-gemini-key"
OPENAI_KEY = "sk-test-0123456789abcdef"
SOLAR = ScriptRequest(
    topic="solar panels",
    description="Rooftop solar panels power the house; a home battery keeps the lights on at "
    "night, and net metering sells the extra power to the grid.",
    platform="tiktok",
)


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


def server_label(server) -> str:
    # How the messages name an OpenAI-compatible server that is not api.openai.com.
    return f"The model server at localhost:{server.port}"


def sent(server) -> list[dict]:
    return [request.get_json() for request, _response in server.log]


def tokens(calls: list[usage.CallRecord]) -> list[float]:
    return [call.units for call in calls if call.unit == "tokens"]


# --- Gemini ----------------------------------------------------------------------------------


def test_it_writes_a_script_from_geminis_answer(gemini, calls):
    replay(gemini, "gemini/ok")

    draft = write_script(SOLAR, provider="gemini")

    assert draft.provider == "gemini"
    assert not draft.template_based
    assert draft.title == "How solar panels power a home"
    assert len(draft.scenes) == 5
    assert draft.scenes[2].narration == "A home battery keeps the lights on after dark."
    [(request, _response)] = gemini.log
    assert request.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert request.headers["x-goog-api-key"] == GEMINI_KEY
    [body] = sent(gemini)
    assert body["generationConfig"] == {
        "responseMimeType": "application/json",
        "responseJsonSchema": MODEL_SCHEMA,
    }
    [turn] = body["contents"]
    assert turn["role"] == "user"
    assert "Topic: solar panels" in turn["parts"][0]["text"]
    assert "net metering" in turn["parts"][0]["text"]
    assert "about 30 seconds" in turn["parts"][0]["text"]
    assert '"scenes"' in body["systemInstruction"]["parts"][0]["text"]


def test_it_reports_geminis_calls_and_tokens(gemini, calls):
    replay(gemini, "gemini/ok")

    write_script(SOLAR, provider="gemini")

    assert [(call.provider, call.unit, call.units, call.outcome) for call in calls] == [
        ("Gemini", "requests", 1, "ok"),
        ("Gemini", "tokens", 1015, "ok"),
    ]
    assert all(call.capability == "script" for call in calls)


def test_it_waits_as_long_as_a_rate_limited_gemini_asks(gemini, waits):
    replay(gemini, "gemini/rate_limited")

    draft = write_script(SOLAR, provider="gemini")

    assert draft.title == "How solar panels power a home"
    assert waits == [3.0]
    assert len(gemini.log) == 2


def test_it_reads_geminis_retry_delay_from_the_error(gemini, waits):
    replay(gemini, "gemini/retry_info")

    write_script(SOLAR, provider="gemini")

    assert waits == [7.0]


def test_it_gives_up_when_gemini_stays_unavailable(gemini, waits, calls):
    replay(gemini, "gemini/unavailable")

    with pytest.raises(ProviderFailed) as failure:
        write_script(SOLAR, provider="gemini")

    assert not isinstance(failure.value, ProviderRefused)
    assert failure.value.message.startswith("Gemini is not answering right now.")
    assert len(gemini.log) == 4
    assert len(waits) == 3
    assert [call.outcome for call in calls] == ["error"]


def test_it_asks_gemini_once_to_repair_a_cut_off_answer(gemini, calls):
    replay(gemini, "gemini/truncated_then_ok")

    draft = write_script(SOLAR, provider="gemini")

    assert len(draft.scenes) == 5
    _first, repair = sent(gemini)
    assert [turn["role"] for turn in repair["contents"]] == ["user", "model", "user"]
    assert repair["contents"][1]["parts"][0]["text"].startswith(
        '{\n  "title": "How solar panels power a home"'
    )
    assert "not JSON" in repair["contents"][2]["parts"][0]["text"]
    assert repair["generationConfig"]["responseJsonSchema"] == MODEL_SCHEMA
    assert tokens(calls) == [412 + 80 + 372, 700 + 231 + 372]


def test_it_fails_clearly_when_gemini_answers_badly_twice(gemini):
    replay(gemini, "gemini/unusable_twice")

    with pytest.raises(ProviderFailed) as failure:
        write_script(SOLAR, provider="gemini")

    assert failure.value.message.startswith("Gemini wrote a script that could not be used")
    assert "template-based writer" in failure.value.message
    assert "scenes" in failure.value.detail
    assert len(gemini.log) == 2
    repair = sent(gemini)[1]["contents"][2]["parts"][0]["text"]
    assert "List should have at least 1 item" in repair


@pytest.mark.parametrize("recording", ["gemini/bad_key", "gemini/unauthenticated"])
def test_it_stops_at_once_when_gemini_refuses_the_key(gemini, waits, calls, recording):
    replay(gemini, recording)

    with pytest.raises(ProviderRefused) as refusal:
        write_script(SOLAR, provider="gemini")

    assert refusal.value.message == (
        "Gemini refused our key. Ask your administrator to check the API key."
    )
    assert len(gemini.log) == 1
    assert waits == []
    assert GEMINI_KEY not in refusal.value.message + refusal.value.detail
    assert [call.outcome for call in calls] == ["refused"]


def test_it_says_why_gemini_refused_the_request(gemini):
    replay(gemini, "gemini/bad_request")

    with pytest.raises(ProviderRefused) as refusal:
        write_script(SOLAR, provider="gemini")

    assert refusal.value.message.startswith(
        "Gemini refused the request: Invalid JSON payload received. Unknown name"
    )


def test_it_says_when_gemini_declines_the_topic(gemini):
    replay(gemini, "gemini/blocked")

    with pytest.raises(ProviderRefused) as refusal:
        write_script(SOLAR, provider="gemini")

    assert refusal.value.message.startswith(
        "Gemini declined to write this script (prohibited content)."
    )
    assert len(gemini.log) == 1


def test_it_asks_for_a_gemini_key_before_calling(gemini, settings):
    settings.GEMINI_API_KEY = ""

    with pytest.raises(ProviderRefused, match="Gemini has no API key"):
        write_script(SOLAR, provider="gemini")

    assert gemini.log == []


# --- OpenAI-compatible servers ---------------------------------------------------------------


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
