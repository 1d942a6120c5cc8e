"""Coqui TTS voices from local model folders, for operators who install the `TTS` package
(coqui-tts; it is not in requirements: it brings PyTorch). Models are loaded from
COQUI_MODEL_PATH only, never downloaded. Spoken phrase by phrase like espeak-ng, so timings are
per phrase with words spread by length. Listed as "coqui" in base.voice_providers.

COQUI_MODEL_PATH is one model folder (a checkpoint such as `model_file.pth` beside its
`config.json`) or a folder of them; each model is a voice named after its folder.
"""

import importlib
import json
import logging
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
from django.conf import settings

from ..core.errors import ProviderFailed
from ..core.ffmpeg import run_ffmpeg
from ..core.types import Speech
from .base import (
    Segment,
    Voice,
    Word,
    bcp47,
    clamped_speed,
    not_installed,
    paced_phrases,
    save_speech,
    sentences_to_speak,
    spoken_text,
    spread,
    trim_silence,
)

logger = logging.getLogger(__name__)

# Coqui runs in this process and cannot be killed, so it is checked between phrases.
COQUI_TIME_LIMIT_S = 300
TEMPO_TIME_LIMIT_S = 60
# Checkpoint names Coqui's releases and trainer use, best first; other *.pth files are a
# fallback ("speakers*.pth" hold speaker embeddings, not a model).
CHECKPOINT_NAMES = ("model_file.pth", "model.pth", "best_model.pth", "model_file.pth.tar")
INSTALL_HINT = "pip install coqui-tts"


@dataclass(frozen=True)
class _CoquiModel:
    voice: Voice
    model_path: Path
    config_path: Path


class CoquiVoiceProvider:
    name = "coqui"

    def available(self) -> bool:
        # The folder first: importing TTS loads PyTorch, which takes seconds.
        return bool(_coqui_models()) and _coqui_api() is not None

    def voices(self) -> list[Voice]:
        return [model.voice for model in _coqui_models().values()]

    def synthesize(self, text: str, *, voice_id: str, speed: float, out_path: Path) -> Speech:
        sentences = sentences_to_speak(text)
        api = _coqui_api()
        if api is None:
            raise ProviderFailed(
                "The Coqui voices need the Coqui TTS package, which is not installed on this "
                f"server. Ask your administrator to install it ({INSTALL_HINT}) or choose "
                "another voice.",
                detail="import TTS.api failed",
            )
        models = _coqui_models()
        if not models:
            raise ProviderFailed(
                "The Coqui voices have no model on this server. Ask your administrator to "
                "check COQUI_MODEL_PATH.",
                detail=f"COQUI_MODEL_PATH={settings.COQUI_MODEL_PATH!r}: no folder holding a "
                "checkpoint and config.json",
            )
        model = models.get(voice_id)
        if model is None:
            raise not_installed(voice_id)
        loaded = _loaded_voice(api, model)
        speed = clamped_speed(speed)
        deadline = time.monotonic() + COQUI_TIME_LIMIT_S
        segments = []
        with tempfile.TemporaryDirectory(prefix="coqui-") as workdir:
            for phrase, pause_s in paced_phrases(sentences, speed):
                if time.monotonic() > deadline:
                    raise ProviderFailed(
                        f"The voice took longer than {COQUI_TIME_LIMIT_S} s and was stopped.",
                        detail=f"{voice_id}: {len(text)} characters",
                    )
                audio, rate = loaded.speak(spoken_text(text, phrase))
                audio = _at_speed(trim_silence(audio, rate), rate, speed, Path(workdir))
                segments.append(_segment(audio, rate, phrase, pause_s))
        return save_speech(segments, out_path=out_path, provider=self.name, voice_id=voice_id)


def _segment(audio: np.ndarray, rate: int, words: list[Word], pause_after_s: float) -> Segment:
    return Segment(audio, rate, words, spread(words, 0, len(audio)), False, pause_after_s)


# --- Finding models ------------------------------------------------------------------------------


def _coqui_api() -> ModuleType | None:
    """Coqui's API module, or None when the package is missing (or its PyTorch is broken)."""
    try:
        return importlib.import_module("TTS.api")
    except (ImportError, OSError):
        return None


def _coqui_models() -> dict[str, _CoquiModel]:
    configured = settings.COQUI_MODEL_PATH
    root = Path(configured) if configured else None
    if root is None or not root.is_dir():
        return {}
    folders = [root] if (root / "config.json").is_file() else sorted(root.iterdir())
    models = [_coqui_model(folder) for folder in folders if folder.is_dir()]
    return {model.voice.id: model for model in models if model is not None}


def _coqui_model(folder: Path) -> _CoquiModel | None:
    config_path = folder / "config.json"
    checkpoint = _checkpoint(folder)
    if checkpoint is None or not config_path.is_file():
        return None
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = folder.name
    label = f"{name.replace('_', ' ').replace('-', ' ').title()} (Coqui, neural)"
    return _CoquiModel(
        Voice(f"coqui:{name}", "coqui", label, _language(config), "neural"), checkpoint, config_path
    )


def _checkpoint(folder: Path) -> Path | None:
    for name in CHECKPOINT_NAMES:
        if (folder / name).is_file():
            return folder / name
    others = [path for path in sorted(folder.glob("*.pth")) if not path.name.startswith("speakers")]
    return others[-1] if others else None


def _language(config: dict) -> str:
    """From the phonemizer's language or the training data's; "und" (undetermined) if neither,
    so the voice is offered by name but never picked for a language it may not speak."""
    datasets = config.get("datasets") or [{}]
    code = config.get("phoneme_language") or (datasets[0] or {}).get("language") or "und"
    return bcp47(str(code))


# --- Speaking ------------------------------------------------------------------------------------


class _LoadedVoice:
    """A loaded Coqui model: seconds to load and hundreds of MB, so once per process. Calls are
    serialised: Coqui's synthesizer keeps state between them."""

    def __init__(self, tts):
        self.tts = tts
        self.lock = threading.Lock()

    def speak(self, spoken: str) -> tuple[np.ndarray, int]:
        options = {}
        # Multi-speaker and multilingual models need a choice; the first is the model's own.
        if speakers := getattr(self.tts, "speakers", None):
            options["speaker"] = speakers[0]
        if languages := getattr(self.tts, "languages", None):
            options["language"] = languages[0]
        try:
            with self.lock:
                waveform = self.tts.tts(text=spoken, **options)
            rate = int(self.tts.synthesizer.output_sample_rate)
        except Exception as error:  # PyTorch and the phonemizers raise their own kinds
            raise ProviderFailed(
                "The voice failed to speak a phrase.", detail=repr(error)
            ) from error
        samples = np.clip(np.asarray(waveform, dtype=np.float32).ravel(), -1.0, 1.0)
        return (samples * 32767).astype(np.int16), rate


_loaded_voices: dict[Path, _LoadedVoice] = {}
_load_lock = threading.Lock()


def _loaded_voice(api: ModuleType, model: _CoquiModel) -> _LoadedVoice:
    with _load_lock:
        if model.model_path not in _loaded_voices:
            started = time.monotonic()
            try:
                tts = api.TTS(
                    model_path=str(model.model_path),
                    config_path=str(model.config_path),
                    progress_bar=False,
                )
            except Exception as error:  # a corrupt or foreign model: the voice's fault
                raise ProviderFailed(
                    f"The voice '{model.voice.id}' could not be loaded.", detail=repr(error)
                ) from error
            _loaded_voices[model.model_path] = _LoadedVoice(tts)
            logger.info("Loaded %s in %.1f s", model.voice.id, time.monotonic() - started)
        return _loaded_voices[model.model_path]


def _at_speed(audio: np.ndarray, rate: int, speed: float, workdir: Path) -> np.ndarray:
    """The phrase sped up or slowed down without changing pitch (FFmpeg's atempo): Coqui's
    models have no speed setting in common."""
    if speed == 1.0 or not audio.size:
        return audio
    source, result = workdir / "phrase.raw", workdir / "phrase-at-speed.raw"
    source.write_bytes(audio.astype("<i2").tobytes())
    raw = ["-f", "s16le", "-ar", str(rate), "-ac", "1"]
    run_ffmpeg(
        [*raw, "-i", str(source), "-filter:a", f"atempo={speed:.4f}", *raw, str(result)],
        description="Changing the voice's speed",
        timeout_s=TEMPO_TIME_LIMIT_S,
    )
    return np.frombuffer(result.read_bytes(), "<i2")
