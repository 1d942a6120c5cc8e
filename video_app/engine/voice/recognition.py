"""Speech recognition (offline): Whisper base hears a voiceover back, word by word.

It measures the voices: the share of words Whisper mishears (word error rate) is how
tests/bench_voices.py ranks them, and how voice.PREFERRED_VOICES was chosen.
"""

import functools
import logging
import re
import threading
import time
import unicodedata
from pathlib import Path

from django.conf import settings
from faster_whisper import WhisperModel

from ..core import packaged_models
from ..core.errors import InvalidInput
from ..core.types import WordTiming

logger = logging.getLogger(__name__)

# --- Hearing a recording -------------------------------------------------------------------------


def transcribe(path: Path, language: str) -> list[WordTiming]:
    """The words spoken in the recording at `path`, with when each is said."""
    spoken_in = language.replace("_", "-").split("-")[0].lower()  # Whisper knows "es", not "es-MX"
    model = _model()
    try:
        segments, _info = model.transcribe(str(path), language=spoken_in, word_timestamps=True)
        return [
            WordTiming(word.word.strip(), word.start, word.end)
            for segment in segments
            for word in segment.words or ()
        ]
    except (OSError, ValueError) as error:  # PyAV cannot read it, or Whisper knows no such language
        raise InvalidInput(
            f"{path.name} could not be transcribed in '{language}'.", detail=repr(error)
        ) from error


_model_lock = threading.Lock()


@functools.cache
def _cached_model() -> WhisperModel:
    started = time.monotonic()
    folder = packaged_models.require("whisper-base")
    model = WhisperModel(
        str(folder), device="cpu", compute_type="int8", cpu_threads=settings.WHISPER_THREADS
    )
    logger.info("Loaded Whisper base in %.1f s", time.monotonic() - started)
    return model


def _model() -> WhisperModel:
    """Loading takes a second and ~200 MB, so once per process (and one thread at a time)."""
    with _model_lock:
        return _cached_model()


# --- Word error rate -----------------------------------------------------------------------------


def word_error_rate(reference: str, hypothesis: str, *, language: str = "en") -> float:
    """Words substituted, dropped or added to turn `reference` into `hypothesis`, per reference
    word, after both are normalised (case, punctuation, numbers said as words)."""
    expected = normalised_words(reference, language=language)
    heard = normalised_words(hypothesis, language=language)
    if not expected:
        return float(bool(heard))
    return _edit_distance(expected, heard) / len(expected)


def normalised_words(text: str, *, language: str = "en") -> list[str]:
    """Words as compared: case-folded, accents kept ("está" is not "esta"), punctuation and
    symbols gone, numbers in digits read out in words ("42" and "forty-two" are alike)."""
    spoken_in = language.split("-")[0].lower()
    text = unicodedata.normalize("NFC", text).casefold()
    text = re.sub(r"(?<=\d)[,.](?=\d{3}\b)", "", text)  # thousands separators: 1,000 and 1.000
    text = text.replace("%", f" {PERCENT.get(spoken_in, '%')} ")
    text = re.sub(r"['’]", "", text)  # "don't" and "dont" are one word, as Whisper may write it
    text = "".join(
        " " if unicodedata.category(char)[0] in "PSZ" or char.isspace() else char for char in text
    )
    words = []
    for word in text.split():
        words += number_in_words(int(word), spoken_in).split() if word.isdigit() else [word]
    return words


def _edit_distance(expected: list[str], heard: list[str]) -> int:
    previous = list(range(len(heard) + 1))
    for row, word in enumerate(expected, start=1):
        current = [row]
        for column, other in enumerate(heard, start=1):
            current.append(
                min(previous[column] + 1, current[-1] + 1, previous[column - 1] + (word != other))
            )
        previous = current
    return previous[-1]


# --- Numbers in words, as the voices read them ---------------------------------------------------

PERCENT = {"en": "percent", "es": "por ciento"}
ENGLISH_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
ENGLISH_TENS = [
    "_",
    "_",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
]
SPANISH_UNITS = [
    "cero",
    "uno",
    "dos",
    "tres",
    "cuatro",
    "cinco",
    "seis",
    "siete",
    "ocho",
    "nueve",
    "diez",
    "once",
    "doce",
    "trece",
    "catorce",
    "quince",
    "dieciséis",
    "diecisiete",
    "dieciocho",
    "diecinueve",
    "veinte",
    "veintiuno",
    "veintidós",
    "veintitrés",
    "veinticuatro",
    "veinticinco",
    "veintiséis",
    "veintisiete",
    "veintiocho",
    "veintinueve",
]
SPANISH_TENS = [
    "_",
    "_",
    "_",
    "treinta",
    "cuarenta",
    "cincuenta",
    "sesenta",
    "setenta",
    "ochenta",
    "noventa",
]
SPANISH_HUNDREDS = [
    "_",
    "ciento",
    "doscientos",
    "trescientos",
    "cuatrocientos",
    "quinientos",
    "seiscientos",
    "setecientos",
    "ochocientos",
    "novecientos",
]
MAX_NUMBER_IN_WORDS = 999_999_999


def number_in_words(number: int, language: str) -> str:
    """ "42" as English or Spanish says it; other languages and larger numbers stay digits."""
    if number > MAX_NUMBER_IN_WORDS or language not in {"en", "es"}:
        return str(number)
    return _english(number) if language == "en" else _spanish(number)


def _english(number: int) -> str:
    if number < 20:
        return ENGLISH_UNITS[number]
    if number < 100:
        tens, units = divmod(number, 10)
        return ENGLISH_TENS[tens] + (f" {ENGLISH_UNITS[units]}" if units else "")
    for size, name in ((1_000_000, "million"), (1_000, "thousand"), (100, "hundred")):
        if number >= size:
            high, rest = divmod(number, size)
            return f"{_english(high)} {name}" + (f" {_english(rest)}" if rest else "")
    raise AssertionError(number)


def _spanish(number: int) -> str:
    if number < 30:
        return SPANISH_UNITS[number]
    if number < 100:
        tens, units = divmod(number, 10)
        return SPANISH_TENS[tens] + (f" y {SPANISH_UNITS[units]}" if units else "")
    if number < 1_000:
        hundreds, rest = divmod(number, 100)
        if number == 100:
            return "cien"
        return SPANISH_HUNDREDS[hundreds] + (f" {_spanish(rest)}" if rest else "")
    if number < 1_000_000:
        thousands, rest = divmod(number, 1_000)
        # "mil", not "uno mil"; "veintiún mil" is close enough to "veintiuno mil" to compare.
        high = "mil" if thousands == 1 else f"{_spanish(thousands)} mil"
        return high + (f" {_spanish(rest)}" if rest else "")
    millions, rest = divmod(number, 1_000_000)
    high = "un millón" if millions == 1 else f"{_spanish(millions)} millones"
    return high + (f" {_spanish(rest)}" if rest else "")
