"""Amazon Polly voices through boto3 against a local server replaying Polly's answers: word
timings from speech marks, narration in chunks Polly accepts, markup escaped, and clear errors
when Polly throttles, fails or refuses our credentials."""

import json
import re
import socket
import wave
from xml.etree import ElementTree

import pytest
from botocore.retries.standard import ExponentialBackoff
from werkzeug import Response

from tests.video_app.engine.recordings import RECORDINGS, replay
from video_app.engine import voice
from video_app.engine.core.errors import InvalidInput, ProviderFailed, ProviderRefused
from video_app.engine.voice import polly as polly_voices

ACCESS_KEY_ID = "AKIATESTPOLLYKEY0000"
SECRET_ACCESS_KEY = "test-secret-for-polly-recordings"
PCM = (RECORDINGS / "files" / "polly" / "coffee.pcm").read_bytes()
COFFEE = "Coffee grew in Ethiopia. Then it travelled the world."  # what speech_ok recorded
PAUSE_SAMPLES = round(voice.SENTENCE_PAUSE_S * polly_voices.SAMPLE_RATE)


@pytest.fixture(autouse=True)
def aws(monkeypatch, tmp_path):
    """Credentials from the environment only: no profile, no instance role, no real keys."""
    for name in (
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
    # botocore's retries, without its backoff's sleeping.
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
    polly_voices._cache.clear()
    yield
    polly_voices._cache.clear()


@pytest.fixture
def polly(httpserver, settings):
    settings.AI_PROVIDERS = {**settings.AI_PROVIDERS, "voice": "polly"}  # the operator's choice
    settings.POLLY_ENDPOINT_URL = httpserver.url_for("")
    settings.POLLY_REGION = "us-east-1"
    settings.PROVIDER_TIMEOUT_S = 5
    yield httpserver
    httpserver.check_assertions()


def speech_requests(server) -> list[dict]:
    return [
        json.loads(request.get_data()) for request, _ in server.log if request.path == "/v1/speech"
    ]


def parsed(ssml: str) -> ElementTree.Element:
    return ElementTree.fromstring(ssml)  # noqa: S314 - our own request, checked to be well-formed


def spoken(ssml: str) -> str:
    return "".join(parsed(ssml).itertext())


def assert_timings_fit(speech):
    previous_end = 0.0
    for word in speech.words:
        assert previous_end <= word.start_s <= word.end_s <= speech.duration_s, word
        previous_end = word.end_s


def wav_samples(path) -> tuple[int, int, int]:
    with wave.open(str(path), "rb") as wav:
        return wav.getnchannels(), wav.getframerate(), wav.getnframes()


def fake_polly(request) -> Response:
    """Polly as its documentation describes it, for texts no recording holds: the recorded PCM,
    or a word mark for every word of the SSML (UTF-8 byte offsets), spread over that audio."""
    body = request.get_json()
    if body["OutputFormat"] == "pcm":
        return Response(PCM, headers={"Content-Type": "audio/pcm"})
    document = body["Text"].encode()
    words = [
        m for m in re.finditer(rb"<[^>]*>|[^<\s]+", document) if not m.group().startswith(b"<")
    ]
    step_ms = (len(PCM) / 2 / polly_voices.SAMPLE_RATE * 1000 - 200) / len(words)
    marks = [
        {
            "time": round(100 + index * step_ms),
            "type": "word",
            "start": word.start(),
            "end": word.end(),
            "value": word.group().decode(),
        }
        for index, word in enumerate(words)
    ]
    lines = "".join(json.dumps(mark, separators=(",", ":")) + "\n" for mark in marks)
    return Response(lines, headers={"Content-Type": "application/x-json-stream"})


# --- Voices --------------------------------------------------------------------------------------


def test_it_lists_polly_neural_voices_with_labels_and_languages(polly):
    replay(polly, "polly/voices_ok")
    provider = voice.voice_providers.get("polly")

    voices = provider.voices()

    by_id = {choice.id: choice for choice in voices}
    assert set(by_id) == {
        "polly:Joanna",
        "polly:Matthew",
        "polly:Kajal",
        "polly:Lucia",
        "polly:Zhiyu",
    }
    assert by_id["polly:Joanna"].label == "Joanna (US English, neural)"
    assert (by_id["polly:Joanna"].language, by_id["polly:Joanna"].quality) == ("en-US", "neural")
    assert by_id["polly:Lucia"].label == "Lucia (Castilian Spanish, neural)"
    assert by_id["polly:Kajal"].other_languages == ("hi-IN",)
    assert by_id["polly:Zhiyu"].other_languages == ("zh-CN",)  # Mandarin serves "zh"
    assert provider.voices() == voices
    assert len(polly.log) == 1  # listed once, then cached


def test_it_follows_the_voice_list_over_pages(polly):
    replay(polly, "polly/voices_paged")

    voices = voice.voice_providers.get("polly").voices()

    assert [choice.id for choice in voices] == ["polly:Joanna", "polly:Lucia"]


def test_it_picks_a_polly_voice_for_a_language_when_polly_is_configured(polly):
    replay(polly, "polly/voices_ok")

    assert voice.default_voice_for("es").id == "polly:Lucia"
    assert voice.default_voice_for("zh").id == "polly:Zhiyu"


def test_it_is_available_only_when_aws_credentials_resolve_without_calling_polly(
    polly, monkeypatch
):
    provider = voice.voice_providers.get("polly")
    assert provider.available()

    polly_voices._cache.clear()
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    assert not provider.available()
    assert provider.voices() == []
    assert "polly:Joanna" not in {choice.id for choice in voice.available_voices()}
    assert polly.log == []


def test_it_is_not_offered_until_the_operator_chooses_it(polly, settings):
    settings.AI_PROVIDERS = {**settings.AI_PROVIDERS, "voice": "piper"}

    assert not voice.voice_providers.get("polly").available()
    assert not any(choice.id.startswith("polly:") for choice in voice.available_voices())
    assert polly.log == []


def test_it_offers_no_polly_voices_while_polly_refuses_to_list_them(polly, caplog):
    replay(polly, "polly/voices_refused")
    provider = voice.voice_providers.get("polly")

    assert provider.voices() == []
    assert provider.voices() == []  # not asked again at once

    assert len(polly.log) == 1
    assert "AccessDeniedException" in caplog.text


# --- Speaking ------------------------------------------------------------------------------------


def test_it_speaks_with_word_timings_from_polly_speech_marks(polly, tmp_path):
    replay(polly, "polly/voices_ok", "polly/speech_ok")
    out = tmp_path / "scene.wav"

    speech = voice.synthesize(COFFEE, voice_id="polly:Joanna", out_path=out)

    assert (speech.provider, speech.voice_id, speech.path) == ("polly", "polly:Joanna", out)
    assert wav_samples(out) == (1, 16_000, len(PCM) // 2)
    assert speech.duration_s == pytest.approx(len(PCM) / 2 / 16_000)
    assert speech.timing_precision == "word"
    assert [word.text for word in speech.words] == COFFEE.split()
    assert_timings_fit(speech)
    assert speech.words[0].start_s == pytest.approx(0.046)  # the first mark's time
    assert speech.words[4].start_s == pytest.approx(2.123)  # "Then", after the pause
    assert speech.words[3].end_s < 2.0  # "Ethiopia." ends with its sound, not at "Then"
    audio, marks = speech_requests(polly)
    assert audio == {
        "Engine": "neural",
        "OutputFormat": "pcm",
        "SampleRate": "16000",
        "Text": marks["Text"],
        "TextType": "ssml",
        "VoiceId": "Joanna",
    }
    assert (marks["OutputFormat"], marks["SpeechMarkTypes"]) == ("json", ["word"])
    assert spoken(audio["Text"]) == COFFEE.replace(". ", ".")  # one <s> per sentence


def test_it_reports_the_characters_polly_billed_for_each_request(polly, tmp_path, calls):
    replay(polly, "polly/voices_ok", "polly/speech_ok")

    voice.synthesize(COFFEE, voice_id="polly:Joanna", out_path=tmp_path / "a.wav")

    billed = [
        (call.provider, call.capability, call.units, call.unit, call.outcome) for call in calls
    ]
    assert billed == [("Amazon Polly", "voice", 52, "characters", "ok")] * 2  # audio, marks


def test_it_asks_polly_to_speak_at_the_chosen_speed(polly, tmp_path):
    replay(polly, "polly/voices_ok", "polly/speech_ok")

    speech = voice.synthesize(COFFEE, voice_id="polly:Joanna", speed=1.25, out_path=tmp_path / "a")

    texts = [request["Text"] for request in speech_requests(polly)]
    assert all(text.startswith('<speak><prosody rate="125%">') for text in texts)
    assert speech.timing_precision == "word"


def test_it_escapes_markup_and_quotes_so_polly_reads_them_as_text(polly, tmp_path):
    replay(polly, "polly/voices_ok")
    polly.expect_request("/v1/speech", method="POST").respond_with_handler(fake_polly)
    text = """Say <script>alert("hi")</script> & 'quotes' now."""

    speech = voice.synthesize(text, voice_id="polly:Joanna", out_path=tmp_path / "a.wav")

    ssml = speech_requests(polly)[0]["Text"]
    assert [element.tag for element in parsed(ssml).iter()] == ["speak", "prosody", "s"]
    assert spoken(ssml) == text
    assert "&amp; &apos;quotes&apos;" in ssml and "alert(&quot;hi&quot;)" in ssml
    assert [word.text for word in speech.words] == [
        "Say",
        """<script>alert("hi")</script> &""",
        "'quotes'",
        "now.",
    ]
    assert speech.timing_precision == "word"
    assert_timings_fit(speech)


def test_it_splits_long_narration_into_requests_polly_accepts(polly, tmp_path):
    replay(polly, "polly/voices_ok")
    polly.expect_request("/v1/speech", method="POST").respond_with_handler(fake_polly)
    sentences = [f"Sentence {n} tells a little more about where coffee grew." for n in range(75)]
    text = " ".join(sentences)
    assert 4_000 < len(text) < voice.MAX_TEXT_CHARS

    speech = voice.synthesize(text, voice_id="polly:Joanna", out_path=tmp_path / "a.wav")

    requests = speech_requests(polly)
    assert [request["OutputFormat"] for request in requests] == ["pcm", "json"] * 2
    chunks = [request["Text"] for request in requests[::2]]
    assert [request["Text"] for request in requests[1::2]] == chunks
    for chunk in chunks:
        assert len(spoken(chunk)) <= 3_000 and len(chunk) <= 6_000
    # Whole sentences, in order, one <s> each: never cut mid-sentence or mid-word.
    assert [s for chunk in chunks for s in re.findall(r"<s>(.*?)</s>", chunk)] == sentences
    assert [word.text for word in speech.words] == text.split()
    assert_timings_fit(speech)
    chunk_samples = len(PCM) // 2
    assert speech.duration_s == pytest.approx((2 * chunk_samples + PAUSE_SAMPLES) / 16_000)
    first_of_second = sum(len(s.split()) for s in re.findall(r"<s>(.*?)</s>", chunks[0]))
    assert speech.words[first_of_second].start_s == pytest.approx(
        (chunk_samples + PAUSE_SAMPLES) / 16_000 + 0.1  # chunk 1, the pause, the first mark
    )
    assert speech.words[0].start_s == pytest.approx(0.1)


def test_it_cuts_a_sentence_too_long_for_one_request_between_words(polly, tmp_path):
    replay(polly, "polly/voices_ok")
    polly.expect_request("/v1/speech", method="POST").respond_with_handler(fake_polly)
    words = [f"{n:02d}" + "x" * 98 for n in range(40)]  # one sentence of 4,039 characters

    speech = voice.synthesize(" ".join(words), voice_id="polly:Joanna", out_path=tmp_path / "a")

    chunks = [request["Text"] for request in speech_requests(polly)[::2]]
    assert len(chunks) == 2 and all(len(spoken(chunk)) <= 3_000 for chunk in chunks)
    assert " ".join(spoken(chunk) for chunk in chunks).split() == words
    assert [word.text for word in speech.words] == words


def test_it_refuses_a_word_longer_than_polly_can_say_at_once(polly, tmp_path):
    replay(polly, "polly/voices_ok")

    with pytest.raises(InvalidInput, match="a word of 3,100 characters"):
        voice.synthesize("x" * 3_100, voice_id="polly:Joanna", out_path=tmp_path / "a.wav")

    assert speech_requests(polly) == []


def test_it_retries_when_polly_throttles_and_then_speaks(polly, tmp_path, calls):
    replay(polly, "polly/voices_ok", "polly/throttled", "polly/speech_ok")

    speech = voice.synthesize(COFFEE, voice_id="polly:Joanna", out_path=tmp_path / "a.wav")

    assert len(speech_requests(polly)) == 3  # throttled, retried, then the speech marks
    assert speech.path.exists()
    assert [call.outcome for call in calls] == ["ok", "ok"]


def test_it_gives_up_when_polly_keeps_failing(polly, tmp_path, calls):
    replay(polly, "polly/voices_ok", "polly/server_errors")
    out = tmp_path / "a.wav"

    with pytest.raises(ProviderFailed) as raised:
        voice.synthesize(COFFEE, voice_id="polly:Joanna", out_path=out)

    assert not isinstance(raised.value, ProviderRefused)  # worth trying again later
    assert (
        raised.value.message == "Amazon Polly is not answering right now. Try again in a "
        "few minutes."
    )
    assert "ServiceFailureException" in raised.value.detail
    assert len(speech_requests(polly)) == polly_voices.ATTEMPTS == 4
    assert [call.outcome for call in calls] == ["error"]
    assert not out.exists()


def test_it_rejects_speech_marks_that_are_not_json_lines(polly, tmp_path):
    replay(polly, "polly/voices_ok", "polly/marks_malformed")
    out = tmp_path / "a.wav"

    with pytest.raises(ProviderFailed, match="word timings we could not read"):
        voice.synthesize(COFFEE, voice_id="polly:Joanna", out_path=out)

    assert not out.exists()


@pytest.mark.parametrize("recording", ["polly/credentials_refused", "polly/signature_refused"])
def test_it_reports_refused_credentials_once_without_revealing_them(
    polly, tmp_path, calls, recording
):
    replay(polly, "polly/voices_ok", recording)

    with pytest.raises(ProviderRefused) as raised:
        voice.synthesize(COFFEE, voice_id="polly:Joanna", out_path=tmp_path / "a.wav")

    assert "refused our credentials" in raised.value.message
    assert len(speech_requests(polly)) == 1  # not retried
    for secret in (ACCESS_KEY_ID, SECRET_ACCESS_KEY):
        assert secret not in raised.value.message and secret not in raised.value.detail
    assert "403" in raised.value.detail
    assert [call.outcome for call in calls] == ["refused"]


def test_it_refuses_a_voice_polly_does_not_have(polly, tmp_path):
    replay(polly, "polly/voices_ok")

    with pytest.raises(InvalidInput, match="'polly:Nobody' is not installed"):
        voice.synthesize(COFFEE, voice_id="polly:Nobody", out_path=tmp_path / "a.wav")

    assert speech_requests(polly) == []


def test_it_reports_polly_unreachable(settings, tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.POLLY_ENDPOINT_URL = f"http://127.0.0.1:{port}"

    with pytest.raises(ProviderFailed) as raised:
        voice.synthesize(COFFEE, voice_id="polly:Joanna", out_path=tmp_path / "a.wav")

    assert (
        raised.value.message == "Amazon Polly is not answering right now. Try again in a "
        "few minutes."
    )
    assert "EndpointConnectionError" in raised.value.detail
