"""espeak-ng, the last-resort voice: real speech in many languages with phrase timings."""

import pytest

from tests.video_app.engine.voice.conftest import (
    JOE,
    assert_timings_fit,
    read_wav,
    written_without_spaces,
)
from video_app.engine import voice


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
