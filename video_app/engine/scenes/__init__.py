"""From script text to scenes (the seeds' ScriptProcessor): where each scene starts and ends, what
it says, what it should show, who speaks it, its keywords and about how long it takes to say.

Paragraphs are hard scene boundaries; inside a paragraph sentences are grouped so each scene's
spoken length is near the platform's target. The media step searches with the keywords (see
keywords), the voiceover step reads the narration with the speaker's voice (see conversation).

Sentences are split by segtok (rule-based, its abbreviation handling is code), after a first
cut at the terminators it doesn't know: CJK full stops, the Arabic question mark, an ellipsis
before a capital. NLTK's Punkt would need model data that cannot be downloaded at run time.
"""

import unicodedata
from dataclasses import dataclass, replace

import regex
from segtok.segmenter import split_multi

from ..core.errors import InvalidInput
from ..core.keywords import (
    SYMBOLS,
    WORD,
    base_language,
    extract_keywords,
    keywords_for_scenes,
    stopwords_for,
)
from .conversation import find_speakers, is_speaker_name, split_turns

__all__ = [
    "MAX_SCRIPT_CHARS",
    "TARGET_SCENE_S",
    "ProcessedScene",
    "estimate_duration_s",
    "extract_keywords",
    "is_speaker_name",
    "process_script",
    "split_sentences",
]

MAX_SCRIPT_CHARS = 50_000

# The spoken length each platform's scenes aim for: short-form video cuts every few seconds.
TARGET_SCENE_S: dict[str, float] = {
    "youtube": 8.5,
    "youtube_shorts": 4.0,
    "tiktok": 4.0,
    "instagram_reels": 4.0,
    "instagram_square": 5.0,
    "instagram_portrait": 5.0,
}
# Narration pace of a synthetic voice, per language; word length differs (German words are long).
WORDS_PER_MINUTE: dict[str, float] = {
    "en": 155,
    "es": 150,
    "fr": 150,
    "pt": 150,
    "it": 145,
    "de": 130,
    "nl": 140,
    "sv": 140,
    "da": 140,
    "no": 140,
    "pl": 120,
    "cs": 125,
    "ru": 120,
    "uk": 120,
    "el": 125,
    "tr": 115,
    "fi": 110,
    "hu": 115,
    "ar": 115,
    "fa": 120,
    "he": 125,
    "hi": 140,
    "id": 130,
}
DEFAULT_WORDS_PER_MINUTE = 140.0
# Chinese, Japanese and Korean are timed per character (a syllable for Chinese and Hangul).
CHARS_PER_SECOND: dict[str, float] = {"zh": 4.3, "ja": 5.5, "ko": 5.5}
DEFAULT_CJK_CHARS_PER_SECOND = 5.0
# Thai, Lao, Khmer and Burmese are written without spaces between words.
UNSPACED_CHARS_PER_SECOND = 12.0
SENTENCE_PAUSE_S = 0.3
# A scene with nothing to say (an emoji-only paragraph) still needs time on screen.
MIN_SCENE_S = 1.0

_PLACEHOLDER = "\ue000"  # stands in for a [direction] while sentences are split
_DIRECTION = regex.compile(r"\[([^\[\]]*)\]")
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\u30fc]")
_UNSPACED = regex.compile(r"[\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")
# Scripts written without spaces between words: pieces of them join without one.
_NO_SPACES = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}\u30fc\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]"
)
# Punctuation that looks like ASCII is spelled as escapes: \u3002\uff01\uff1f are the CJK full
# stop, exclamation and question marks, \uff0c\u3001\uff1b\uff1a its commas, semicolon and colon,
# \u061f \u060c \u061b \u06d4 the Arabic question mark, comma, semicolon and (Urdu) full stop.
_CJK_ENDS = "\u3002\uff01\uff1f"
_CJK_CLAUSE_ENDS = "\uff0c\u3001\uff1b\uff1a"
_CLOSING_QUOTES = "\u300d\u300f\u201d\u2019)\uff09"
_PAUSE = regex.compile(rf"[.!?…\u061f]+(?=\s|$)|[{_CJK_ENDS}]+")
_HARD_SENTENCE_END = regex.compile(
    rf"[{_CJK_ENDS}][{_CLOSING_QUOTES}]*"
    rf"|[!?][{_CLOSING_QUOTES}]*(?=[\p{{Han}}\p{{Hiragana}}\p{{Katakana}}])"
    r"|[\u061f\u06d4]+(?=\s)"
    r"|(?:…|\.\.\.)(?=\s+[\p{Lu}\p{Lo}¿¡\"“])"
)
_CLAUSE_END = regex.compile(rf"(?:[,;:—\u2013]|\s-)(?=\s)|[{_CJK_CLAUSE_ENDS}]")
_LINE_END = regex.compile(rf"[.!?…:;\u061f{_CJK_ENDS}\uff1a]['\"{_CLOSING_QUOTES}\]]*$")
# Zero-width joiners stay: Persian and Indic spelling needs them.
_INVISIBLE = regex.compile(r"[\u200b\u2060\ufeff\p{Cc}--[\n\t]]", regex.V1)


@dataclass(frozen=True)
class ProcessedScene:
    index: int
    narration: str  # spoken text only
    visual_direction: str  # from [brackets] in this scene, else ""
    keywords: tuple[str, ...]  # ranked, best first
    speaker: str | None  # None: the narrator
    estimated_duration_s: float


@dataclass(frozen=True)
class _Piece:
    """A sentence (or a clause of a very long one) with the directions written inside it."""

    narration: str
    directions: tuple[str, ...]
    duration_s: float


def process_script(
    text: str, *, language: str = "en", platform: str = "youtube"
) -> list[ProcessedScene]:
    text = _checked_script(text)
    target_s = _target_scene_s(platform)
    language = base_language(language)
    stopwords = stopwords_for(language)
    speakers = find_speakers(text.split("\n"), stopwords=stopwords)

    scenes: list[ProcessedScene] = []
    pending: tuple[str, ...] = ()  # directions standing alone lead into the next scene
    for paragraph in regex.split(r"\n[ \t]*\n", text):
        for turn in split_turns(paragraph, speakers, stopwords=stopwords):
            pieces = _pieces(turn.text, language, target_s)
            if not pieces or not any(piece.narration for piece in pieces):
                pending += tuple(d for piece in pieces for d in piece.directions)
                continue
            for group in _group(pieces, target_s):
                directions = pending + tuple(d for piece in group for d in piece.directions)
                pending = ()
                scenes.append(_scene(len(scenes), group, directions, turn.speaker, language))
    if not scenes:
        raise InvalidInput(
            "The script has only [visual directions] and nothing to say. "
            "Add the words the voiceover should read."
        )
    if pending:
        directions = tuple(filter(None, [scenes[-1].visual_direction])) + pending
        scenes[-1] = replace(scenes[-1], visual_direction="; ".join(directions))
    found = keywords_for_scenes(
        [(scene.visual_direction, scene.narration) for scene in scenes], language
    )
    return [
        replace(scene, keywords=keywords) for scene, keywords in zip(scenes, found, strict=True)
    ]


def estimate_duration_s(text: str, language: str) -> float:
    """Seconds a voice takes to read `text`: words at the language's pace, CJK per character,
    and a short pause at each sentence end."""
    language = base_language(language)
    text = SYMBOLS.sub(" ", _DIRECTION.sub(" ", text))
    cjk_chars = len(_CJK.findall(text))
    unspaced_chars = len(_UNSPACED.findall(text))
    words = len(WORD.findall(_UNSPACED.sub(" ", _CJK.sub(" ", text))))
    seconds = (
        cjk_chars / CHARS_PER_SECOND.get(language, DEFAULT_CJK_CHARS_PER_SECOND)
        + unspaced_chars / UNSPACED_CHARS_PER_SECOND
        + words * 60 / WORDS_PER_MINUTE.get(language, DEFAULT_WORDS_PER_MINUTE)
        + len(_PAUSE.findall(text)) * SENTENCE_PAUSE_S
    )
    return round(seconds, 2)


def split_sentences(text: str) -> list[str]:
    sentences = []
    for chunk in _hard_split(text):
        sentences.extend(s.strip() for s in split_multi(chunk) if s.strip())
    return sentences


def _checked_script(text: str) -> str:
    if len(text) > MAX_SCRIPT_CHARS:
        raise InvalidInput(
            f"The script is too long: {len(text):,} characters, and the limit is "
            f"{MAX_SCRIPT_CHARS:,}. Split it into several videos."
        )
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _INVISIBLE.sub("", text).replace("\t", " ")
    if not text.strip():
        raise InvalidInput("The script is empty. Write or generate a script first.")
    return text


def _target_scene_s(platform: str) -> float:
    try:
        return TARGET_SCENE_S[platform]
    except KeyError:
        raise InvalidInput(
            f"Unknown platform {platform!r}. Choose one of: {', '.join(TARGET_SCENE_S)}."
        ) from None


def _pieces(text: str, language: str, target_s: float) -> list[_Piece]:
    """The turn's sentences in order, each with the [directions] written inside it."""
    directions: list[str] = []

    def hold(match: regex.Match) -> str:
        directions.append(" ".join(match[1].split()))
        return f" {_PLACEHOLDER} "

    marked = _DIRECTION.sub(hold, text).replace("[", " ").replace("]", " ")
    sentences = [s for block in _unwrapped_lines(marked) for s in split_sentences(block)]
    long_s = max(2 * target_s, 10.0)
    pieces: list[_Piece] = []
    seen = 0
    for sentence in sentences:
        parts = _clauses(sentence, language, target_s, long_s)
        for part in parts:
            count = part.count(_PLACEHOLDER)
            own = tuple(d for d in directions[seen : seen + count] if d)
            seen += count
            narration = _without_placeholders(part)
            pieces.append(_Piece(narration, own, estimate_duration_s(narration, language)))
    return _attach_bare_directions(pieces)


def _attach_bare_directions(pieces: list[_Piece]) -> list[_Piece]:
    """A direction with no words around it describes what comes next (or, at the end, what
    came just before)."""
    attached: list[_Piece] = []
    carried: tuple[str, ...] = ()
    for piece in pieces:
        if not piece.narration:
            carried += piece.directions
            continue
        attached.append(replace(piece, directions=carried + piece.directions))
        carried = ()
    if carried and attached:
        attached[-1] = replace(attached[-1], directions=attached[-1].directions + carried)
    elif carried:
        attached.append(_Piece("", carried, 0.0))
    return attached


def _unwrapped_lines(text: str) -> list[str]:
    """Lines of a turn, with hard-wrapped prose rejoined: a line that doesn't end a sentence,
    followed by one starting in lower case, is the same sentence."""
    blocks: list[str] = []
    for line in (line.strip() for line in text.split("\n")):
        if not line:
            continue
        if blocks and not _LINE_END.search(blocks[-1]) and line[0].islower():
            blocks[-1] = f"{blocks[-1]} {line}"
        else:
            blocks.append(line)
    return blocks


def _hard_split(text: str) -> list[str]:
    chunks, start = [], 0
    for match in _HARD_SENTENCE_END.finditer(text):
        chunks.append(text[start : match.end()])
        start = match.end()
    chunks.append(text[start:])
    return [chunk for chunk in chunks if chunk.strip()]


def _clauses(sentence: str, language: str, target_s: float, long_s: float) -> list[str]:
    """A sentence, or for a very long one, groups of its clauses (then of its words) near the
    target length: the only place a sentence is cut."""
    if estimate_duration_s(sentence, language) <= long_s:
        return [sentence]
    clauses, start = [], 0
    for match in _CLAUSE_END.finditer(sentence):
        clauses.append(sentence[start : match.end()])
        start = match.end()
    clauses.append(sentence[start:])
    parts = []
    for clause in filter(str.strip, clauses):
        if estimate_duration_s(clause, language) > long_s:
            parts.extend(_word_chunks(clause, language, target_s))
        else:
            parts.append(clause)
    durations = [estimate_duration_s(part, language) for part in parts]
    return [_join(parts[i:j]) for i, j in _partition(durations, target_s)]


def _word_chunks(text: str, language: str, target_s: float) -> list[str]:
    tokens = text.split() if len(text.split()) > 1 else list(text)
    size = max(1, round(len(tokens) * target_s / max(estimate_duration_s(text, language), 0.1)))
    return [_join(tokens[i : i + size]) for i in range(0, len(tokens), size)]


def _group(pieces: list[_Piece], target_s: float) -> list[list[_Piece]]:
    spans = _partition([piece.duration_s for piece in pieces], target_s)
    return [pieces[i:j] for i, j in spans]


def _partition(durations: list[float], target_s: float) -> list[tuple[int, int]]:
    """Consecutive groups whose lengths are as close to the target as can be: the least sum of
    squared relative deviations, plus a small cost per group so silent pieces join a neighbour."""
    count = len(durations)
    best = [0.0] + [float("inf")] * count
    start_of = [0] * (count + 1)
    for end in range(1, count + 1):
        total = 0.0
        for start in range(end - 1, -1, -1):
            total += durations[start]
            if start < end - 1 and total > 3 * target_s:
                break
            cost = best[start] + ((total - target_s) / target_s) ** 2 + 0.05
            if cost < best[end]:
                best[end], start_of[end] = cost, start
    spans, end = [], count
    while end > 0:
        spans.append((start_of[end], end))
        end = start_of[end]
    return spans[::-1]


def _scene(
    index: int, group: list[_Piece], directions: tuple[str, ...], speaker, language: str
) -> ProcessedScene:
    narration = _join([piece.narration for piece in group if piece.narration])
    return ProcessedScene(
        index=index,
        narration=narration,
        visual_direction="; ".join(directions),
        keywords=(),  # filled in for all scenes at once: see keywords
        speaker=speaker,
        estimated_duration_s=max(MIN_SCENE_S, estimate_duration_s(narration, language)),
    )


def _join(parts: list[str]) -> str:
    """Join text pieces with a space, except where the script uses none (Chinese, Thai...)."""
    joined = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if joined and not (
            (_NO_SPACES.match(part[0]) and _NO_SPACES.match(joined[-1]))
            or _is_cjk_punctuation(joined[-1])
        ):
            joined += " "
        joined += part
    return joined


def _is_cjk_punctuation(char: str) -> bool:
    return char in f"{_CJK_ENDS}{_CJK_CLAUSE_ENDS}\u300d\u300f\uff09"


def _without_placeholders(text: str) -> str:
    # "It works [chart]." leaves no gap before the full stop; the writer's own spacing stays.
    text = regex.sub(rf"\s*{_PLACEHOLDER}\s*(?=[,.;:!?…\u060c\u061f{_CJK_ENDS}])", "", text)
    return " ".join(text.replace(_PLACEHOLDER, " ").split())
