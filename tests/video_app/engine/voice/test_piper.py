"""Piper, the offline default voice: real speech with word timings from the voice's alignment."""

import pytest

from tests.video_app.engine.voice.conftest import (
    JOE,
    assert_timings_fit,
    read_wav,
    rms_dbfs,
    written_without_spaces,
)
from video_app.engine import voice


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
