import itertools

import pytest

from video_app.engine import voice
from video_app.engine.core.errors import InvalidInput
from video_app.engine.voice.recognition import (
    number_in_words,
    transcribe,
    word_error_rate,
)

# Whisper listens for real.
pytestmark = pytest.mark.slow

SAID = "The museum opens at nine in the morning and closes at six."


@pytest.fixture(scope="module")
def joe_speech(tmp_path_factory):
    out = tmp_path_factory.mktemp("joe") / "museum.wav"
    return voice.synthesize(SAID, voice_id="piper:en_US-joe-medium", out_path=out)


def test_it_hears_what_the_piper_voice_said_with_word_times(joe_speech):
    words = transcribe(joe_speech.path, "en-US")

    heard = " ".join(word.text for word in words)
    assert word_error_rate(SAID, heard) <= 0.1
    assert all(0 <= word.start_s <= word.end_s <= joe_speech.duration_s + 0.1 for word in words)
    assert all(a.start_s <= b.start_s for a, b in itertools.pairwise(words))


def test_it_refuses_a_file_that_is_not_sound(tmp_path):
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not a wav at all")

    with pytest.raises(InvalidInput, match="could not be transcribed"):
        transcribe(junk, "en")


@pytest.mark.parametrize(
    ("reference", "hypothesis", "rate"),
    [
        ("The cat sat.", "the cat sat", 0.0),
        ("Hello, world!", "hello world", 0.0),
        ("Don't stop now", "dont stop now", 0.0),
        ("one two three four", "one two four", 0.25),  # a word dropped
        ("one two three four", "one two three four five", 0.25),  # one added
        ("one two three four", "one too three four", 0.25),  # one changed
        ("", "", 0.0),
        ("", "something", 1.0),
    ],
)
def test_it_counts_words_changed_dropped_and_added_ignoring_case_and_punctuation(
    reference, hypothesis, rate
):
    assert word_error_rate(reference, hypothesis) == pytest.approx(rate)


def test_it_keeps_accents_but_not_case():
    assert word_error_rate("Él está aquí", "él esta aquí", language="es") == pytest.approx(1 / 3)
    assert word_error_rate("ÉL ESTÁ AQUÍ", "él está aquí", language="es") == 0.0


@pytest.mark.parametrize(
    ("reference", "hypothesis", "language"),
    [
        ("We shipped 42 updates.", "We shipped forty-two updates.", "en"),
        ("It costs 1,500 dollars", "it costs one thousand five hundred dollars", "en"),
        ("Prices rose by 15%", "prices rose by fifteen percent", "en"),
        ("Publicó 42 mejoras", "publicó cuarenta y dos mejoras", "es"),
        ("Subieron un 15 por ciento", "subieron un 15%", "es"),
        ("Costó 1.500 euros", "costó mil quinientos euros", "es"),
    ],
)
def test_it_compares_numbers_in_digits_and_in_words_alike(reference, hypothesis, language):
    assert word_error_rate(reference, hypothesis, language=language) == 0.0


@pytest.mark.parametrize(
    ("number", "language", "words"),
    [
        (0, "en", "zero"),
        (13, "en", "thirteen"),
        (90, "en", "ninety"),
        (101, "en", "one hundred one"),
        (2025, "en", "two thousand twenty five"),
        (3_000_000, "en", "three million"),
        (21, "es", "veintiuno"),
        (100, "es", "cien"),
        (115, "es", "ciento quince"),
        (1000, "es", "mil"),
        (2500, "es", "dos mil quinientos"),
        (1_000_000, "es", "un millón"),
        (42, "de", "42"),
    ],
)
def test_it_says_numbers_in_english_and_spanish(number, language, words):
    assert number_in_words(number, language) == words
