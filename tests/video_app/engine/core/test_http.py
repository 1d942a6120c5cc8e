"""The shared HTTP client of cloud providers: retries, Retry-After, refusals, masking, usage."""

import httpx
import pytest

from tests.video_app.engine.recordings import replay
from video_app.engine.core import http, usage
from video_app.engine.core.errors import ProviderFailed, ProviderRefused


@pytest.fixture
def client(httpserver):
    return http.ProviderHttp(
        label="Example", capability="media", base_url=httpserver.url_for(""), timeout_s=5
    )


def test_it_returns_a_successful_answer_and_records_the_call(client, httpserver, calls):
    replay(httpserver, "example/ok")

    with usage.attributed(project_id=7):
        response = client.request(
            "GET", "/v1/things", params={"q": "ocean"}, units=1, unit="images"
        )

    assert response.json() == {"things": ["shell"]}
    [call] = calls
    assert (call.provider, call.units, call.unit, call.outcome) == ("Example", 1, "images", "ok")
    assert call.context == {"project_id": 7}
    httpserver.check_assertions()


def test_it_waits_as_long_as_the_service_asks_then_retries(client, httpserver, waits):
    replay(httpserver, "example/rate_limited")

    assert client.request("GET", "/v1/things").status_code == 200
    assert waits == [7.0]


def test_it_gives_up_after_its_attempts_with_a_plain_message(client, httpserver, waits, calls):
    replay(httpserver, "example/unavailable")

    with pytest.raises(ProviderFailed) as failure:
        client.request("GET", "/v1/things", subject="scene 3")

    assert failure.value.message == (
        "Example is not answering right now for scene 3. Try again in a few minutes."
    )
    assert "HTTP 504 after 4 attempts" in failure.value.detail
    assert len(waits) == 3 and all(0 <= wait <= 20 for wait in waits)
    assert calls[-1].outcome == "error"
    assert not isinstance(failure.value, ProviderRefused)  # the pipeline may try again later


def test_it_does_not_sleep_through_an_hour_long_retry_after(client, httpserver, waits):
    replay(httpserver, "example/long_retry_after")

    with pytest.raises(ProviderFailed):
        client.request("GET", "/v1/things")

    assert waits == []


def test_it_fails_at_once_on_a_refused_key_and_never_shows_it(client, httpserver, waits, calls):
    replay(httpserver, "example/unauthorized")

    with pytest.raises(ProviderRefused) as refusal:
        client.request("GET", "/v1/things", params={"key": "sk-secret-123"}, subject="scene 1")

    assert refusal.value.message == (
        "Example refused our key for scene 1. Ask your administrator to check the API key."
    )
    assert "sk-secret-123" not in refusal.value.message + refusal.value.detail
    assert "key=***" in refusal.value.detail
    assert waits == [] and len(httpserver.log) == 1
    assert calls[-1].outcome == "refused"


def test_it_passes_on_the_service_s_reason_for_a_bad_request(client, httpserver):
    replay(httpserver, "example/bad_request")

    with pytest.raises(ProviderRefused) as refusal:
        client.request("POST", "/v1/things", json={"prompt": ""})

    assert refusal.value.message == "Example refused the request: prompt: cannot be blank"


def test_it_retries_when_the_service_cannot_be_reached(waits):
    unreachable = http.ProviderHttp(
        label="Example", capability="media", base_url="http://127.0.0.1:9", timeout_s=1
    )

    with pytest.raises(ProviderFailed) as failure:
        unreachable.request("GET", "/v1/things")

    assert "ConnectError" in failure.value.detail
    assert len(waits) == 3


def test_it_streams_a_download_to_disk_and_stops_past_the_cap(client, httpserver, tmp_path):
    httpserver.expect_request("/files/clip.mp4").respond_with_data(b"x" * 5000)
    target = http.FileTarget(tmp_path / "clip.mp4", 10_000, lambda: ProviderFailed("too big"))

    response = client.request("GET", "/files/clip.mp4", to_file=target)

    assert target.path.read_bytes() == b"x" * 5000
    assert response.is_success

    # A body with no Content-Length is counted as it arrives.
    unsized = httpx.Response(200, content=iter([b"y" * 6000, b"y" * 6000]))
    with pytest.raises(ProviderFailed, match="too big"):
        target.write(unsized)
