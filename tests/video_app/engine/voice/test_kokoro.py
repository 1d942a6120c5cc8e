import functools
import itertools
import re

import pytest
from django.urls import reverse

from video_app.engine import voice
from video_app.engine.core import packaged_models
from video_app.engine.core.errors import InvalidInput
from video_app.engine.voice import kokoro
from video_app.engine.voice.recognition import transcribe, word_error_rate

# The Kokoro model speaks for real, and a recogniser listens.
pytestmark = pytest.mark.slow

SAID = {
    "es": "Los científicos descubrieron que dormir ayuda al cerebro. ¿Lo sabías?",
    "en": "Scientists found that sleep helps the brain store new memories. Did you know?",
}


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    """Each language read by the Kokoro voice its listeners get by default, or its first one."""
    folder = tmp_path_factory.mktemp("kokoro")
    speeches = {}
    for language, text in SAID.items():
        default = voice.default_voice_for(language)
        chosen = default if default.provider == "kokoro" else kokoro_voice_for(language)
        speeches[language] = voice.synthesize(
            text, voice_id=chosen.id, out_path=folder / f"{language}.wav"
        )
    return speeches


def kokoro_voice_for(language: str) -> voice.Voice:
    return next(
        choice
        for choice in kokoro.KokoroVoiceProvider().voices()
        if choice.language.split("-")[0] == language
    )


@pytest.mark.parametrize("language", SAID)
def test_it_speaks_audibly_at_24_khz_with_a_time_for_every_word(spoken, language):
    speech = spoken[language]

    _audio, sample_rate = voice.read_wav(speech.path)
    assert sample_rate == kokoro.KOKORO_SAMPLE_RATE
    assert not voice.inspect_audio(speech.path).is_silent
    assert speech.provider == "kokoro" and speech.timing_precision == "word"
    assert [word.text for word in speech.words] == SAID[language].split()
    starts = [word.start_s for word in speech.words]
    assert starts == sorted(starts)
    assert all(0 <= word.start_s < word.end_s <= speech.duration_s for word in speech.words)


@pytest.mark.parametrize("language", SAID)
def test_it_is_understood_by_a_speech_recogniser(spoken, language):
    heard = " ".join(word.text for word in transcribe(spoken[language].path, language))

    assert word_error_rate(SAID[language], heard, language=language) <= 0.10


@pytest.mark.parametrize("language", SAID)
def test_it_leaves_headroom_below_full_scale(spoken, language):
    assert voice.inspect_audio(spoken[language].path).peak_dbfs < -1.0


def test_it_reads_spanish_with_a_kokoro_voice_by_default():
    assert voice.default_voice_for("es").provider == "kokoro"


def test_it_labels_voices_by_name_and_language_never_by_id():
    voices = kokoro.KokoroVoiceProvider().voices()

    assert {choice.language for choice in voices} == {"en-US", "es"}
    for choice in voices:
        assert not re.search(r"[_:]|\bj[fm]\b", choice.label), choice.label
        assert ("Spanish" in choice.label) == (choice.language == "es")


def test_it_speaks_a_sentence_too_long_for_the_model_in_pieces(monkeypatch, tmp_path):
    monkeypatch.setattr(kokoro, "MAX_TOKENS", 40)
    text = "El tren salió temprano, cruzó las montañas nevadas y llegó a la costa al anochecer."

    speech = voice.synthesize(text, voice_id=kokoro_voice_for("es").id, out_path=tmp_path / "a.wav")

    assert [word.text for word in speech.words] == text.split()
    gaps = [b.start_s - a.end_s for a, b in itertools.pairwise(speech.words)]
    assert max(gaps) >= voice.PHRASE_PAUSE_S


@pytest.fixture
def fresh_model_cache(monkeypatch):
    """A model cache of its own, so the model loaded for the other tests is not used."""
    uncached = kokoro._cached_model.__wrapped__
    monkeypatch.setattr(kokoro, "_cached_model", functools.cache(uncached))


def test_it_explains_a_missing_model_and_falls_back_to_other_voices(
    settings, tmp_path, fresh_model_cache
):
    settings.PACKAGED_MODELS_DIR = tmp_path

    assert voice.default_voice_for("es").provider == "espeak"
    assert voice.default_voice_for("en").provider == "piper"
    with pytest.raises(packaged_models.ModelUnavailable, match="Kokoro voices is not installed"):
        voice.synthesize("Hola.", voice_id=kokoro_voice_for("es").id, out_path=tmp_path / "a.wav")


def test_it_explains_a_damaged_model(settings, tmp_path, fresh_model_cache):
    installed = packaged_models.require("kokoro")
    damaged = tmp_path / "kokoro"
    damaged.mkdir()
    for name in ("model.onnx", "voices.npz"):
        (damaged / name).symlink_to(installed / name)
    (damaged / "vocab.json").write_text('{"vocab": {}}')
    settings.PACKAGED_MODELS_DIR = tmp_path

    assert not kokoro.KokoroVoiceProvider().available()
    with pytest.raises(InvalidInput, match=r"damaged \(vocab.json"):
        voice.synthesize("Hola.", voice_id=kokoro_voice_for("es").id, out_path=tmp_path / "a.wav")


def test_it_offers_kokoro_voices_by_name_with_a_sample_in_their_language(alice_client):
    spanish = voice.default_voice_for("es")

    form = alice_client.get(reverse("video_app:project_create")).content.decode()
    sample = alice_client.get(reverse("video_app:voice_sample"), {"voice": spanish.id})

    assert f'<option value="{spanish.id}">{spanish.label}</option>' in form
    assert b"".join(sample.streaming_content)[:4] == b"RIFF"
