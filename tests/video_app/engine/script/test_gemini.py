"""The Gemini script writer against recorded exchanges: a script from a good answer, patience when
the service is busy, exactly one repair request for a bad answer, and a sentence for the creator
when the key or request is refused."""

import pytest

from tests.video_app.engine.recordings import replay
from tests.video_app.engine.script.chat_servers import GEMINI_KEY, SOLAR, sent, tokens
from video_app.engine.core.errors import ProviderFailed, ProviderRefused
from video_app.engine.script import write_script
from video_app.engine.script.chat import MODEL_SCHEMA


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
