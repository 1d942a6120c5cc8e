"""espeak-ng, the last-resort voice: robotic, but it speaks about a hundred languages. Runs
Debian's binary per phrase; phrase-level timings. Listed as "espeak" in base.voice_providers."""

import functools
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ..core.errors import ProviderFailed
from ..core.types import Speech
from .base import (
    ESPEAK_BINARY,
    Segment,
    Voice,
    Word,
    bcp47,
    clamped_speed,
    not_installed,
    paced_phrases,
    read_wav,
    save_speech,
    sentences_to_speak,
    spoken_text,
    spread,
    trim_silence,
)

ESPEAK_TIME_LIMIT_S = 20  # per phrase
ESPEAK_WORDS_PER_MINUTE = 175  # espeak-ng's own default
ESPEAK_SAMPLE_RATE = 22_050

# --- espeak-ng: robotic, but speaks a hundred languages ------------------------------------------


class EspeakVoiceProvider:
    name = "espeak"

    def available(self) -> bool:
        return shutil.which(ESPEAK_BINARY) is not None

    def voices(self) -> list[Voice]:
        binary = shutil.which(ESPEAK_BINARY)
        return list(_espeak_voices(binary)) if binary else []

    def synthesize(self, text: str, *, voice_id: str, speed: float, out_path: Path) -> Speech:
        sentences = sentences_to_speak(text)
        if voice_id not in {voice.id for voice in self.voices()}:
            raise not_installed(voice_id)
        speed = clamped_speed(speed)
        with tempfile.TemporaryDirectory(prefix="espeak-") as workdir:
            segments = [
                _espeak_segment(
                    spoken_text(text, phrase),
                    phrase,
                    espeak_voice=voice_id.partition(":")[2],
                    speed=speed,
                    wav_path=Path(workdir) / f"phrase-{index}.wav",
                    pause_after_s=pause_s,
                )
                for index, (phrase, pause_s) in enumerate(paced_phrases(sentences, speed))
            ]
        return save_speech(segments, out_path=out_path, provider=self.name, voice_id=voice_id)


def _espeak_segment(
    spoken: str,
    words: list[Word],
    *,
    espeak_voice: str,
    speed: float,
    wav_path: Path,
    pause_after_s: float,
) -> Segment:
    _run_espeak(spoken, espeak_voice, round(ESPEAK_WORDS_PER_MINUTE * speed), wav_path)
    if wav_path.exists():
        audio, rate = read_wav(wav_path)
        audio = trim_silence(audio, rate)
    else:  # espeak writes nothing when it finds nothing to say
        audio, rate = np.zeros(0, np.int16), ESPEAK_SAMPLE_RATE
    return Segment(
        audio,
        rate,
        words,
        spans=spread(words, 0, len(audio)),
        aligned=False,
        pause_after_s=pause_after_s,
    )


def _run_espeak(text: str, espeak_voice: str, words_per_minute: int, wav_path: Path) -> None:
    # Text goes through stdin, so a narration starting with "-" can never be read as an option.
    command = [
        shutil.which(ESPEAK_BINARY) or ESPEAK_BINARY,
        "-v",
        espeak_voice,
        "-s",
        str(words_per_minute),
        "-b",
        "1",
        "-z",
        "--stdin",
        "-w",
        str(wav_path),
    ]
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
    other_languages = tuple(bcp47(other) for other in others)
    return int(priority), Voice(
        f"espeak:{code}", "espeak", label, bcp47(code), "basic", other_languages
    )
