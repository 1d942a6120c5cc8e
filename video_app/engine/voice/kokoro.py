"""Kokoro neural voices (offline): the Kokoro-82M model reading English and Spanish from espeak-ng
phonemes, word timings from the phoneme durations the model predicts. Listed as "kokoro" in
base.voice_providers.

The packaged style vectors are Japanese speakers'. Read through IPA, a speech recogniser hears
their Spanish far better than espeak-ng's and their English about as well as Piper's Joe
(tests/bench_voices.py), but a listener hears the accent.
"""

import functools
import itertools
import json
import logging
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
from django.conf import settings

from ..core import packaged_models
from ..core.errors import ProviderFailed
from ..core.types import Speech
from .base import (
    ESPEAK_BINARY,
    PHRASE_PAUSE_S,
    SENTENCE_PAUSE_S,
    TRIM_THRESHOLD,
    Segment,
    Voice,
    Word,
    clamped_speed,
    not_installed,
    phrases,
    save_speech,
    sentences_to_speak,
    speakable,
    spoken_text,
    spread,
    word_bounds,
)

logger = logging.getLogger(__name__)

KOKORO_SAMPLE_RATE = 24_000
SAMPLES_PER_FRAME = 600  # the model's durations count 25 ms frames
# One style vector per token count up to 510, two of them taken by the padding tokens.
MAX_TOKENS = 500
# Kokoro runs in this process and cannot be killed, so it is checked between pieces. It takes up
# to a second per second of speech on a busy machine: the longest scene needs about five minutes.
KOKORO_TIME_LIMIT_S = 600
# The duration predictor's rounded frames per token: not an output of the published graph, so it
# is made one when the model is loaded.
DURATIONS_TENSOR = "/encoder/Cast_output_0"
ESPEAK_IPA_TIME_LIMIT_S = 10
# How alike the phonemes of the written words and of the spoken piece must be for word timings.
MIN_ALIGNMENT_RATIO = 0.6


@dataclass(frozen=True)
class _Language:
    espeak_voice: str
    name: str  # for labels
    speakers: tuple[str, ...]  # in voices.npz


# Only languages and speakers Whisper measured intelligible (tests/bench_voices.py, word error
# rate): in English, those as clear as Piper's Joe (0-1.5%; Alpha and Tebukuro 3%); in Spanish
# Kumo (1.5-2.3%) and the clearest female voice (10.5-11.3%; the others 12-13%, espeak-ng 32%).
# Japanese is the speakers' own language, but it needs a front end this engine does not have.
LANGUAGES = {
    "en-US": _Language("en-us", "US English", ("jm_kumo", "jf_gongitsune", "jf_nezumi")),
    "es": _Language("es", "Spanish", ("jm_kumo", "jf_tebukuro")),
}
SPEAKER_NAMES = {
    "jf_alpha": "Alpha",
    "jf_gongitsune": "Gongitsune",
    "jf_nezumi": "Nezumi",
    "jf_tebukuro": "Tebukuro",
    "jm_kumo": "Kumo",
}
# Kumo speaks loudest: its Spanish peaked 1.2 dB above full scale (clipped), its English 0.4 dB
# below; the others 3-5 dB below. Turned down, it stops clipping and matches them.
SPEAKER_GAIN_DB = {"jm_kumo": -3.0}


def _voice(speaker: str, language: str) -> Voice:
    label = f"{SPEAKER_NAMES[speaker]} ({LANGUAGES[language].name}, neural, Japanese accent)"
    return Voice(f"kokoro:{speaker}:{language}", "kokoro", label, language, "neural")


VOICES = {
    voice.id: voice
    for language, spec in LANGUAGES.items()
    for voice in (_voice(speaker, language) for speaker in spec.speakers)
}


class KokoroVoiceProvider:
    name = "kokoro"

    def available(self) -> bool:
        return shutil.which(ESPEAK_BINARY) is not None and packaged_models.is_installed("kokoro")

    def voices(self) -> list[Voice]:
        return list(VOICES.values())

    def synthesize(self, text: str, *, voice_id: str, speed: float, out_path: Path) -> Speech:
        sentences = sentences_to_speak(text)
        voice = VOICES.get(voice_id)
        if voice is None:
            raise not_installed(voice_id)
        model = _model()
        language = LANGUAGES[voice.language]
        speaker = voice_id.split(":")[1]
        style = model.styles[speaker]
        gain = 10 ** (SPEAKER_GAIN_DB.get(speaker, 0.0) / 20)
        speed = clamped_speed(speed)
        deadline = time.monotonic() + KOKORO_TIME_LIMIT_S
        segments = []
        for words, pause_s in _pieces(text, sentences, language):
            if time.monotonic() > deadline:
                raise ProviderFailed(
                    f"The voice took longer than {KOKORO_TIME_LIMIT_S} s and was stopped.",
                    detail=f"{voice_id}: {len(text)} characters, {len(sentences)} sentences",
                )
            spoken = spoken_text(text, words)
            segment = _segment(model, style, gain, language, spoken, words, speed, pause_s)
            segments.append(segment)
        return save_speech(segments, out_path=out_path, provider=self.name, voice_id=voice_id)


# --- The model, loaded once per process ----------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    session: onnxruntime.InferenceSession
    vocab: dict[str, int]
    styles: dict[str, np.ndarray]  # per speaker, a (510, 1, 256) style vector per token count


_model_lock = threading.Lock()


@functools.cache
def _cached_model() -> _Model:
    started = time.monotonic()
    folder = packaged_models.require("kokoro")
    try:
        graph = onnx.load(str(folder / "model.onnx"))
        graph.graph.output.append(
            onnx.helper.make_tensor_value_info(DURATIONS_TENSOR, onnx.TensorProto.INT64, None)
        )
        session = onnxruntime.InferenceSession(
            graph.SerializeToString(),
            sess_options=_session_options(),
            providers=["CPUExecutionProvider"],
        )
        vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with np.load(folder / "voices.npz") as styles:
            speakers = {name: styles[name] for name in styles.files}
    except Exception as error:  # a model that passed its checksum but will not load
        raise ProviderFailed(
            "The Kokoro voices could not be loaded.", detail=repr(error)
        ) from error
    logger.info("Loaded Kokoro in %.1f s", time.monotonic() - started)
    return _Model(session, vocab, speakers)


def _model() -> _Model:
    """Loading takes seconds and ~300 MB, so once per process (and one thread at a time)."""
    with _model_lock:
        return _cached_model()


def _session_options() -> onnxruntime.SessionOptions:
    options = onnxruntime.SessionOptions()
    # On two busy cores a second thread made a sentence only ~12% faster, and sentences spoken in
    # parallel no faster at all (while adding ~180 MB): one thread leaves a core to FFmpeg.
    options.intra_op_num_threads = settings.KOKORO_THREADS
    options.inter_op_num_threads = 1
    # Waiting threads spin by default, burning the cores FFmpeg and other workers need.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


# --- Text to pieces the model can say in one go --------------------------------------------------


def _pieces(
    text: str, sentences: list[list[Word]], language: _Language
) -> list[tuple[list[Word], float]]:
    """Whole sentences where they fit in the model's tokens (it phrases them best), else their
    phrases, else runs of words; each with the pause after it."""
    pieces = []
    for sentence in sentences:
        if _fits(text, sentence, language):
            pieces.append((sentence, SENTENCE_PAUSE_S))
            continue
        parts = [part for phrase in phrases(sentence) for part in _fitting(text, phrase, language)]
        pieces += [(part, PHRASE_PAUSE_S) for part in parts[:-1]]
        pieces.append((parts[-1], SENTENCE_PAUSE_S))
    return pieces


def _fitting(text: str, words: list[Word], language: _Language) -> list[list[Word]]:
    if len(words) == 1 or _fits(text, words, language):
        return [words]
    middle = len(words) // 2
    return _fitting(text, words[:middle], language) + _fitting(text, words[middle:], language)


def _fits(text: str, words: list[Word], language: _Language) -> bool:
    return len(_phonemes(spoken_text(text, words), language)) <= MAX_TOKENS


@functools.lru_cache(maxsize=256)
def _phonemes(spoken: str, language: _Language) -> str:
    """IPA as Kokoro was trained on it: espeak-ng's clauses, each ending in its punctuation."""
    clauses = _espeak_ipa(spoken, language.espeak_voice)
    end = spoken.rstrip()[-1:]
    ending = end if end in ",.!?;:" else "."
    ipa = ", ".join(clauses) + ending
    return _as_english_phonemes(ipa) if language.espeak_voice.startswith("en") else ipa


# Kokoro's English was trained on misaki's phonemes, which write diphthongs and affricates as one
# symbol and keep no vowel length; espeak-ng writes them as IPA (misaki's own espeak fallback).
ENGLISH_PHONEMES = (
    ("ɜː", "ɜɹ"),
    ("oːɹ", "ɔɹ"),
    ("aɪ", "I"),
    ("aʊ", "W"),
    ("eɪ", "A"),
    ("oʊ", "O"),
    ("ɔɪ", "Y"),
    ("dʒ", "ʤ"),
    ("tʃ", "ʧ"),
    ("ɚ", "əɹ"),
    ("ɐ", "ə"),
    ("r", "ɹ"),
    ("ː", ""),
)


def _as_english_phonemes(ipa: str) -> str:
    for espeak, misaki in ENGLISH_PHONEMES:
        ipa = ipa.replace(espeak, misaki)
    return ipa


def _espeak_ipa(spoken: str, espeak_voice: str) -> list[str]:
    """espeak-ng's IPA, a line per clause. The Debian binary runs apart from Piper's espeak-ng
    library, whose global state Piper guards with a lock of its own."""
    # Text goes through stdin, so a narration starting with "-" can never be read as an option.
    binary = shutil.which(ESPEAK_BINARY) or ESPEAK_BINARY
    command = [binary, "-q", "--ipa", "-v", espeak_voice, "--stdin"]
    try:
        result = subprocess.run(
            command,
            input=spoken.encode("utf-8"),
            capture_output=True,
            timeout=ESPEAK_IPA_TIME_LIMIT_S,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise ProviderFailed(
            "The voice could not read this text.", detail=f"{' '.join(command)}: {error!r}"
        ) from error
    lines = result.stdout.decode("utf-8", errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip()]


# --- Speaking a piece ----------------------------------------------------------------------------


def _segment(
    model: _Model,
    style: np.ndarray,
    gain: float,
    language: _Language,
    spoken: str,
    words: list[Word],
    speed: float,
    pause_s: float,
) -> Segment:
    ipa = _phonemes(spoken, language)
    symbols = [symbol for symbol in ipa if symbol in model.vocab]  # unknown symbols are dropped
    tokens = [model.vocab[symbol] for symbol in symbols]
    if not tokens:  # nothing the model can say; save_speech refuses a voiceover of silence alone
        return Segment(
            np.zeros(0, np.int16),
            KOKORO_SAMPLE_RATE,
            words,
            [(0, 0)] * len(words),
            aligned=False,
            pause_after_s=pause_s / speed,
        )
    try:
        audio, frames = model.session.run(
            None,
            {
                "tokens": np.array([[0, *tokens, 0]], np.int64),
                "style": style[min(len(tokens), len(style)) - 1].reshape(1, -1).astype(np.float32),
                "speed": np.array([speed], np.float32),
            },
        )
    except Exception as error:  # onnxruntime raises its own kinds
        raise ProviderFailed("The voice failed to speak a sentence.", detail=repr(error)) from error
    audio = np.asarray(audio, np.float32).ravel() * gain
    # Where each token starts, in samples; the padding token before the first one is silence.
    starts = [SAMPLES_PER_FRAME * int(frame) for frame in np.cumsum(frames.ravel())]
    spans = _aligned_spans(words, symbols, starts, language)
    aligned = spans is not None
    if spans is None:
        logger.debug("Spreading word timings over %r", spoken)
        spans = spread(words, starts[0], starts[-2])
    audio, spans = _trimmed(audio, spans)
    samples = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
    return Segment(
        samples, KOKORO_SAMPLE_RATE, words, spans, aligned, pause_after_s=pause_s / speed
    )


UNSOUNDED = frozenset(" ,.!?;:—…ˈˌ")  # word breaks, pauses and stress marks


def _aligned_spans(
    words: list[Word], symbols: list[str], starts: list[int], language: _Language
) -> list[tuple[int, int]] | None:
    """Word spans from the tokens' durations, or None when words and sounds cannot be matched.

    espeak-ng runs words together in context ("of the" is one "ʌvðə") and says "42" in two words,
    so each word is phonemized on its own, in one call, and the whole matched against the tokens
    spoken.
    """
    one_per_paragraph = "\n\n".join(speakable(word.text) for word in words)
    per_word = _espeak_ipa(one_per_paragraph, language.espeak_voice)
    if len(per_word) != len(words):
        return None  # a word said as two clauses ("e.g."): no telling where words meet
    if language.espeak_voice.startswith("en"):
        per_word = [_as_english_phonemes(ipa) for ipa in per_word]
    expected: list[str] = []
    first_expected = []
    for ipa in per_word:
        first_expected.append(len(expected))
        expected += [symbol for symbol in ipa if symbol not in UNSOUNDED]
    heard = [index for index, symbol in enumerate(symbols) if symbol not in UNSOUNDED]
    bounds = word_bounds(
        expected,
        [symbols[index] for index in heard],
        first_expected,
        min_ratio=MIN_ALIGNMENT_RATIO,
    )
    if bounds is None:
        return None
    return [_token_span(starts, heard, first, last) for first, last in itertools.pairwise(bounds)]


def _token_span(starts: list[int], heard: list[int], first: int, last: int) -> tuple[int, int]:
    """From the start of the word's first sounded token to the end of its last (a pause after a
    comma is no part of the word); starts[i] is where token i begins, starts[i + 1] its end."""
    if first < last:
        return starts[heard[first]], starts[heard[last - 1] + 1]
    at = starts[heard[first]] if first < len(heard) else starts[heard[-1] + 1]
    return at, at  # a word the voice swallowed


def _trimmed(
    audio: np.ndarray, spans: list[tuple[int, int]]
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Without the silence the model leads in with and trails off into (10 ms kept, so consonants
    are not clipped), word spans moved with the audio."""
    loud = np.flatnonzero(np.abs(audio) > TRIM_THRESHOLD)
    if not loud.size:
        return audio[:0], [(0, 0)] * len(spans)
    margin = KOKORO_SAMPLE_RATE // 100
    first, last = max(0, int(loud[0]) - margin), min(len(audio), int(loud[-1]) + 1 + margin)
    length = last - first

    def moved(sample: int) -> int:
        return min(length, max(0, sample - first))

    return audio[first:last], [(moved(start), moved(end)) for start, end in spans]
