"""Voiceovers, the pipeline's voice step: a scene's narration in, a WAV and the time of each spoken
word out. The scenes stage hands over each scene's text; the render cuts the scene to the speech
and times captions by the words. Piper (neural, offline) is the default voice; espeak-ng is the
last resort and the only one that speaks most languages. Providers live one per module, listed
in `base.voice_providers` and imported when first used.
"""

from dataclasses import replace
from pathlib import Path

from ..core.errors import InvalidInput, ProviderFailed
from ..core.types import Speech
from .base import (
    DBFS_FLOOR,
    MAX_SPEED,
    MAX_TEXT_CHARS,
    MIN_SPEED,
    PHRASE_PAUSE_S,
    SENTENCE_PAUSE_S,
    AudioStats,
    Voice,
    VoiceProvider,
    available_voices,
    inspect_audio,
    not_installed,
    read_wav,
    voice_providers,
)

__all__ = [
    "DBFS_FLOOR",
    "MAX_SPEED",
    "MAX_TEXT_CHARS",
    "MIN_SPEED",
    "OFFLINE_PROVIDERS",
    "PHRASE_PAUSE_S",
    "PREFERRED_VOICES",
    "SENTENCE_PAUSE_S",
    "AudioStats",
    "Voice",
    "VoiceProvider",
    "available_voices",
    "default_voice_for",
    "inspect_audio",
    "read_wav",
    "synthesize",
    "voice_providers",
]

# Voices that need no key and no network: what a scene falls back to when a cloud voice fails.
OFFLINE_PROVIDERS = frozenset({"piper", "kokoro", "espeak"})


# Voices measured clearest for a language (tests/bench_voices.py: the words Whisper mishears),
# preferred among the other providers' voices. English keeps Piper's Joe: Kokoro's Kumo measured
# no clearer beyond noise (0% against Joe's 0-1.5% over three runs, 0-2 words of 134) and speaks
# with a Japanese accent, 8-17 times slower. In Spanish Kumo mishears 1.5-2.3% against
# espeak-ng's 32%.
PREFERRED_VOICES = {"en": "piper:en_US-joe-medium", "es": "kokoro:jm_kumo:es"}


def default_voice_for(language: str, *, offline: bool = False) -> Voice:
    """The best installed voice for `language`: the configured provider, then neural before
    basic, then the closest language, then among equals the voice measured best for it
    (PREFERRED_VOICES). With `offline`, only voices that need no key and no network."""
    wanted = _language_key(language)
    configured = voice_providers.configured_name()
    preferred = PREFERRED_VOICES.get(wanted.split("-")[0])
    ranked = []
    for order, voice in enumerate(available_voices()):
        if offline and voice.provider not in OFFLINE_PROVIDERS:
            continue
        closeness = _language_closeness(voice, wanted)
        if closeness is not None:
            rank = (
                voice.provider != configured,
                voice.quality != "neural",
                closeness,
                voice.id != preferred,
                order,
            )
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
    fallback: bool = False,
) -> Speech:
    """Speak `text` into a WAV at `out_path` with `voice_id`, or the best voice for `language`.
    The stage's one fallback rule: with `fallback`, a voice that fails (a cloud voice's outage or
    refusal) gives way to the best offline voice of the language, and the speech's
    `fallback_reason` says so; without it, or when that voice itself failed, the failure is
    raised."""
    voice_id = voice_id or default_voice_for(language).id
    try:
        return _speak(text, voice_id, speed, out_path)
    except ProviderFailed as error:
        offline = default_voice_for(language, offline=True) if fallback else None
        if offline is None or offline.id == voice_id:
            raise
        speech = _speak(text, offline.id, speed, out_path)
        reason = f"{error.message} {offline.label} read this scene instead."
        return replace(speech, fallback_reason=reason)


def _speak(text: str, voice_id: str, speed: float, out_path: Path) -> Speech:
    provider_name = voice_id.partition(":")[0]
    if provider_name not in voice_providers.names():
        raise not_installed(voice_id)
    provider = voice_providers.get(provider_name)
    return provider.synthesize(text, voice_id=voice_id, speed=speed, out_path=out_path)
