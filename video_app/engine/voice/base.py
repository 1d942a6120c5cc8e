"""What every voice provider shares: the Voice and provider protocol, the lazy table of providers
(settings AI_PROVIDERS["voice"]), and the text and audio helpers they speak and assemble with.
The stage's entry (`video_app.engine.voice`) chooses a voice and calls a provider through it."""

import difflib
import itertools
import logging
import math
import re
import unicodedata
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import av
import numpy as np

from ..core.errors import InvalidInput
from ..core.ffmpeg import atomic_output
from ..core.registry import ProviderRegistry
from ..core.types import Speech, WordTiming

logger = logging.getLogger(__name__)

# A scene's narration; longer text belongs in more scenes (and would hold a worker for minutes).
MAX_TEXT_CHARS = 5_000
MIN_SPEED, MAX_SPEED = 0.5, 2.0
# Pauses we insert, at normal speed: the synthesisers stop abruptly at the end of what they got.
# A voice is made once for every platform of a project, so its pause is short form's: with
# Piper's own ~0.2 s of breath, about a quarter of a second between sentences (short-form
# pacing; render.Pacing sets the pauses between scenes per platform family).
SENTENCE_PAUSE_S = 0.08
PHRASE_PAUSE_S = 0.05
# Sentences longer than this are cut at a comma (or, failing that, at the maximum): captions and
# the voice's phrasing both need breath.
LONG_SENTENCE_WORDS = 25
MAX_SENTENCE_WORDS = 40
ABBREVIATIONS = frozenset({"mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "vs.", "e.g.", "i.e."})

# Levels: anything quieter or shorter than this holds no speech.
SILENCE_DBFS = -60.0
MIN_AUDIBLE_S = 0.1
DBFS_FLOOR = -120.0  # digital silence, kept finite so stats can be stored and compared
TRIM_THRESHOLD = 0.01  # of full scale: espeak's lead-in and tail are below this

# Han ideographs and kana are written without spaces: each character is a caption word.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
TOKEN = re.compile(rf"[^\w\s]*[{CJK}][^\w\s]*|[^\s{CJK}]+")
SENTENCE_END = re.compile(r"[.!?…。！？؟]+[\"'”’»)\]」』]*$")
CLAUSE_END = re.compile(r"[,;:，、；：—]+[\"'”’»)\]」』]*$")
# Emoji, dingbats and trademark signs: the voices would read out their Unicode names.
UNSPOKEN_CATEGORIES = frozenset({"So", "Sk", "Cs", "Co", "Cn"})


@dataclass(frozen=True)
class Voice:
    id: str  # "piper:en_US-joe-medium", "espeak:en-us", "espeak:es", ...
    provider: str  # "piper" | "espeak"
    label: str  # for the UI: "Joe (US English, neural)"
    language: str  # BCP-47-ish: "en-US", "es", ...
    quality: str  # "neural" | "basic"
    # Languages the voice also serves, best first ("cmn" serves "zh"): used to pick a default.
    other_languages: tuple[str, ...] = ()


class VoiceProvider(Protocol):
    name: str

    def available(self) -> bool: ...

    def voices(self) -> list[Voice]: ...

    def synthesize(self, text: str, *, voice_id: str, speed: float, out_path: Path) -> Speech: ...


voice_providers = ProviderRegistry[VoiceProvider](
    "voice",
    default="piper",
    providers={
        "piper": "video_app.engine.voice.piper.PiperVoiceProvider",
        "kokoro": "video_app.engine.voice.kokoro.KokoroVoiceProvider",
        "espeak": "video_app.engine.voice.espeak.EspeakVoiceProvider",
        "polly": "video_app.engine.voice.polly.PollyVoiceProvider",
        "coqui": "video_app.engine.voice.coqui.CoquiVoiceProvider",
    },
)


# --- The installed voices ----------------------------------------------------------------------


def available_voices() -> list[Voice]:
    """Voices of every available provider, the configured provider's first."""
    configured = voice_providers.configured_name()
    voices: list[Voice] = []
    for name in sorted(voice_providers.names(), key=lambda name: name != configured):
        provider = voice_providers.get(name)
        if provider.available():
            voices.extend(provider.voices())
    return voices


def not_installed(voice_id: str) -> InvalidInput:
    installed = [voice.id for voice in available_voices()]
    listed = ", ".join(installed[:8]) or "none"
    if len(installed) > 8:
        listed += f" and {len(installed) - 8} more"
    return InvalidInput(f"Voice '{voice_id}' is not installed. Available: {listed}.")


def clamped_speed(speed: float) -> float:
    return min(MAX_SPEED, max(MIN_SPEED, speed))


# --- Text: words as written, grouped into sentences and phrases ----------------------------------


@dataclass(frozen=True)
class Word:
    text: str  # as written, for captions
    start: int  # character offsets in the narration, to hand the voice the original wording
    end: int


def sentences_to_speak(text: str) -> list[list[Word]]:
    """The narration's sentences, or InvalidInput when there is nothing a voice could say."""
    length = len(text.strip())
    if not length:
        raise InvalidInput("There is no text to speak.")
    if length > MAX_TEXT_CHARS:
        raise InvalidInput(
            f"This narration is {length:,} characters long; a scene can hold at most "
            f"{MAX_TEXT_CHARS:,}. Split it over more scenes."
        )
    if not _pronounceable_chars(text):
        raise InvalidInput("This text has no words to speak, only symbols or emoji.")
    return _sentences(text)


def _pronounceable_chars(text: str) -> int:
    return sum(unicodedata.category(char)[0] in "LN" for char in text)


def _sentences(text: str) -> list[list[Word]]:
    """Words grouped into sentences. A token with nothing to say (an emoji, a dash) stays on the
    word before it, so captions show it without it taking time of its own."""
    sentences: list[list[Word]] = []
    current: list[Word] = []
    leading: Word | None = None  # symbols before the first word
    last_spoken = ""  # the last token with something to say, without symbols merged into it
    new_line = False  # a line of its own (a title, a list item) is a sentence
    previous_end = 0
    for match in TOKEN.finditer(text):
        token = Word(match.group(), match.start(), match.end())
        new_line = new_line or "\n" in text[previous_end : token.start]
        previous_end = token.end
        if not _pronounceable_chars(token.text):
            if current:
                current[-1] = _merged_word(text, current[-1], token)
            else:
                leading = token if leading is None else _merged_word(text, leading, token)
            continue
        if current and (new_line or _ends_sentence(last_spoken, token.text, len(current))):
            sentences.append(current)
            current = []
        if leading is not None:
            token, leading = _merged_word(text, leading, token), None
        current.append(token)
        last_spoken, new_line = match.group(), False
    if current:
        sentences.append(current)
    return sentences


def _merged_word(text: str, first: Word, second: Word) -> Word:
    written = " ".join(text[first.start : second.end].split())
    return Word(written, first.start, second.end)


def _ends_sentence(last: str, following: str, words_so_far: int) -> bool:
    """Whether a sentence ends after `last`; "e.g. this" and "U.S. adults" go on."""
    first_letter = next((char for char in following if char.isalpha()), "")
    if SENTENCE_END.search(last) and last.lower() not in ABBREVIATIONS:
        return not first_letter.islower()
    if words_so_far >= LONG_SENTENCE_WORDS and CLAUSE_END.search(last):
        return True
    return words_so_far >= MAX_SENTENCE_WORDS


def phrases(sentence: list[Word]) -> list[list[Word]]:
    phrases: list[list[Word]] = [[]]
    for word in sentence:
        phrases[-1].append(word)
        if CLAUSE_END.search(word.text) and word is not sentence[-1]:
            phrases.append([])
    return phrases


def spoken_text(text: str, words: list[Word]) -> str:
    """The original wording of `words`, minus what a voice would misread."""
    return speakable(text[words[0].start : words[-1].end])


def speakable(spoken: str) -> str:
    spoken = "".join(
        " " if unicodedata.category(char) in UNSPOKEN_CATEGORIES else char for char in spoken
    )
    # "[[...]]" is raw phoneme input to espeak; brackets are never spoken anyway.
    spoken = spoken.replace("[", " ").replace("]", " ")
    # espeak runs the words around an ellipsis together; a comma keeps the pause and the words.
    spoken = re.sub(r"\.{2,}|…", ", ", spoken)
    return " ".join(spoken.split())


# --- Assembling a voiceover from spoken pieces ---------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A sentence or phrase as spoken: its samples and where each of its words lies in them."""

    audio: np.ndarray  # int16 mono
    sample_rate: int
    words: list[Word]
    spans: list[tuple[int, int]]  # per word, sample offsets into `audio`
    aligned: bool  # spans come from the synthesiser, not from spreading by length
    pause_after_s: float


def word_bounds(
    expected: list[str], heard: list[str], word_starts: list[int], *, min_ratio: float
) -> list[int] | None:
    """Where each word begins among the phonemes a voice said: bounds over `heard` (0 first,
    len(heard) last, pairwise one word each), from aligning them with the phonemes `expected`
    for the text (`word_starts`: each word's first index in `expected`). None when the two
    differ too much to trust. A changed stretch ("ˈeɪ" said as "ɐ") maps proportionally, a
    dropped one to where it would have been; phonemes heard before the first match belong to
    the first word."""
    matcher = difflib.SequenceMatcher(None, expected, heard, autojunk=False)
    if not heard or matcher.ratio() < min_ratio:
        return None
    heard_at = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "insert":
            heard_at += [j1 + (i - i1) * (j2 - j1) // (i2 - i1) for i in range(i1, i2)]
    # The extra end position serves a last word that has no phonemes of its own.
    heard_at.append(len(heard))
    return [0, *(heard_at[index] for index in word_starts[1:]), len(heard)]


def spread(words: list[Word], start: int, end: int) -> list[tuple[int, int]]:
    """Word spans over [start, end) in proportion to how much each word has to say."""
    weights = [max(1, _pronounceable_chars(word.text)) for word in words]
    total = sum(weights)
    done = itertools.accumulate(weights)
    bounds = [start, *(start + round((end - start) * part / total) for part in done)]
    return list(itertools.pairwise(bounds))


def save_speech(segments: list[Segment], *, out_path: Path, provider: str, voice_id: str) -> Speech:
    audio, words = _on_one_track(segments)
    sample_rate = segments[0].sample_rate
    if _measure(audio.astype(np.float32) / 32768, sample_rate).is_silent:
        raise InvalidInput("The voice could not say any of this text; please rephrase it.")
    _write_wav(out_path, audio, sample_rate)
    aligned = all(segment.aligned for segment in segments)
    return Speech(
        path=out_path,
        duration_s=len(audio) / sample_rate,
        words=tuple(words),
        provider=provider,
        voice_id=voice_id,
        timing_precision="word" if aligned else "phrase",
    )


def _on_one_track(segments: list[Segment]) -> tuple[np.ndarray, list[WordTiming]]:
    """The segments on one track with their pauses, and the time of every word on it."""
    sample_rate = segments[0].sample_rate
    parts: list[np.ndarray] = []
    words: list[WordTiming] = []
    cursor = 0
    for segment in segments:
        for word, (start, end) in zip(segment.words, segment.spans, strict=True):
            start_s, end_s = (cursor + start) / sample_rate, (cursor + end) / sample_rate
            words.append(WordTiming(word.text, start_s, end_s))
        pause = np.zeros(round(segment.pause_after_s * sample_rate), np.int16)
        parts += [segment.audio, pause]
        cursor += len(segment.audio) + len(pause)
    return np.concatenate(parts[:-1]), words  # no pause after the last


def _write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    with atomic_output(path) as partial, wave.open(str(partial), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(audio.astype("<i2").tobytes())


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), "<i2"), wav.getframerate()


# --- Levels --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AudioStats:
    duration_s: float
    peak_dbfs: float
    rms_dbfs: float

    @property
    def is_silent(self) -> bool:
        """Nothing to hear: empty, a blip too short to be a word, or only noise floor."""
        return self.duration_s < MIN_AUDIBLE_S or self.rms_dbfs < SILENCE_DBFS


class _LevelMeter:
    """Peak and RMS over samples that arrive in pieces, so long files are never held whole."""

    def __init__(self):
        self.count = 0
        self.peak = 0.0
        self.sum_of_squares = 0.0

    def add(self, samples: np.ndarray) -> None:
        if samples.size:
            samples = samples.astype(np.float64, copy=False)
            self.count += samples.size
            self.peak = max(self.peak, float(np.max(np.abs(samples))))
            self.sum_of_squares += float(np.dot(samples, samples))

    def stats(self, sample_rate: int) -> AudioStats:
        rms = math.sqrt(self.sum_of_squares / self.count) if self.count else 0.0
        return AudioStats(
            duration_s=self.count / sample_rate if sample_rate else 0.0,
            peak_dbfs=_dbfs(self.peak),
            rms_dbfs=_dbfs(rms),
        )


def _dbfs(level: float) -> float:
    return max(DBFS_FLOOR, 20 * math.log10(level)) if level > 0 else DBFS_FLOOR


def _measure(samples: np.ndarray, sample_rate: int) -> AudioStats:
    meter = _LevelMeter()
    meter.add(samples)
    return meter.stats(sample_rate)


def inspect_audio(path: Path) -> AudioStats:
    """Length and levels of a sound file (any format FFmpeg reads), mixed down to mono."""
    meter = _LevelMeter()
    try:
        with av.open(str(path)) as container:
            stream = next(iter(container.streams.audio), None)
            if stream is None:
                raise InvalidInput(f"{path.name} has no sound in it.")
            resampler = av.AudioResampler(format="flt", layout="mono", rate=stream.rate)
            for frame in itertools.chain(container.decode(stream), [None]):
                for mono in resampler.resample(frame):
                    meter.add(mono.to_ndarray().ravel())
            sample_rate = stream.rate
    except (av.FFmpegError, OSError, ValueError) as error:
        raise InvalidInput(
            f"{path.name} is not a sound file that can be read.", detail=repr(error)
        ) from error
    return meter.stats(sample_rate)


def bcp47(code: str) -> str:
    """Tags as BCP 47 writes them: "en_US" -> "en-US", "cmn-latn-pinyin" -> "cmn-Latn-pinyin"."""
    parts = code.replace("_", "-").split("-")
    tidy = [parts[0].lower()]
    for part in parts[1:]:
        if "x" in tidy:
            tidy.append(part.lower())  # private use: as written
        elif len(part) == 2:
            tidy.append(part.upper())
        elif len(part) == 4 and part.isalpha():
            tidy.append(part.title())
        else:
            tidy.append(part.lower())
    return "-".join(tidy)


# --- Pacing and trimming, for voices that speak one phrase at a time (espeak-ng, Coqui) -------

# Debian's espeak-ng: the last-resort voice, and Kokoro's phonemiser.
ESPEAK_BINARY = "espeak-ng"


def paced_phrases(sentences: list[list[Word]], speed: float) -> Iterator[tuple[list[Word], float]]:
    for sentence in sentences:
        sentence_phrases = phrases(sentence)
        for index, phrase in enumerate(sentence_phrases):
            last = index == len(sentence_phrases) - 1
            yield phrase, (SENTENCE_PAUSE_S if last else PHRASE_PAUSE_S) / speed


def trim_silence(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Cut the lead-in and tail below the threshold, keeping 10 ms so consonants are not clipped."""
    loud = np.flatnonzero(np.abs(audio.astype(np.int32)) > TRIM_THRESHOLD * 32768)
    if not loud.size:
        return audio[:0]
    margin = sample_rate // 100
    return audio[max(0, loud[0] - margin) : loud[-1] + 1 + margin]
