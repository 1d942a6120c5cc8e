"""Caption cues from word timings, and the SRT and WebVTT sidecar files written from them. The
render builds cues for the captions it burns in; the export writes each platform's sidecars.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .types import WordTiming

CaptionStyle = Literal["lower_third", "word_highlight", "centred", "none"]

# A cue ends at sentence punctuation, or when it reaches these limits (Netflix-like reading
# comfort: about 42 characters a line, two lines at most, no longer than ~6 s on screen).
MAX_CUE_CHARS = 84
MAX_CUE_WORDS = 14
MAX_CUE_S = 6.0
MAX_PAUSE_S = 0.6  # a longer pause (a new sentence, the next scene) starts a new cue
SENTENCE_END = (".", "!", "?", "…", "。", "！", "？", "؟")


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    words: tuple[WordTiming, ...]

    @property
    def text(self) -> str:
        return join_words(word.text for word in self.words)


def join_words(words: Iterable[str]) -> str:
    # CJK is written without spaces between words.
    text = ""
    for word in words:
        if text and not (_is_cjk(text[-1]) and _is_cjk(word[:1])):
            text += " "
        text += word
    return text


def _is_cjk(char: str) -> bool:
    return bool(char) and (0x3000 <= ord(char) <= 0x9FFF or 0xAC00 <= ord(char) <= 0xD7AF)


def build_cues(words: Sequence[WordTiming], *, max_words: int = MAX_CUE_WORDS) -> list[Cue]:
    """Group words (on one timeline, in order) into readable cues."""
    cues: list[Cue] = []
    current: list[WordTiming] = []
    for word in words:
        if current and _cue_is_full(current, word, max_words):
            cues.append(_cue(current))
            current = []
        current.append(word)
        if word.text.endswith(SENTENCE_END):
            cues.append(_cue(current))
            current = []
    if current:
        cues.append(_cue(current))
    return cues


def _cue_is_full(current: list[WordTiming], word: WordTiming, max_words: int) -> bool:
    chars = len(join_words(w.text for w in [*current, word]))
    return (
        len(current) >= max_words
        or chars > MAX_CUE_CHARS
        or word.end_s - current[0].start_s > MAX_CUE_S
        or word.start_s - current[-1].end_s > MAX_PAUSE_S
    )


def _cue(words: list[WordTiming]) -> Cue:
    return Cue(start_s=words[0].start_s, end_s=words[-1].end_s, words=tuple(words))


# --- Sidecar files -------------------------------------------------------------------------------


def srt_text(cues: Sequence[Cue]) -> str:
    blocks = []
    for number, cue in enumerate(cues, start=1):
        timing = f"{_clock(cue.start_s, ',')} --> {_clock(cue.end_s, ',')}"
        blocks.append(f"{number}\n{timing}\n{plain_text(cue.text)}\n")
    return "\n".join(blocks)


def vtt_text(cues: Sequence[Cue]) -> str:
    blocks = ["WEBVTT\n"]
    for cue in cues:
        timing = f"{_clock(cue.start_s, '.')} --> {_clock(cue.end_s, '.')}"
        # WebVTT cue text is markup: escape it; "-->" may not appear in a cue.
        text = plain_text(cue.text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        blocks.append(f"{timing}\n{text}\n")
    return "\n".join(blocks)


def write_sidecars(cues: Sequence[Cue], srt_path: Path, vtt_path: Path) -> None:
    srt_path.write_text(srt_text(cues), encoding="utf-8")
    vtt_path.write_text(vtt_text(cues), encoding="utf-8")


def plain_text(text: str) -> str:
    return " ".join(text.split())


def _clock(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"
