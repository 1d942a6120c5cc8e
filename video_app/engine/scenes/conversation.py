"""Dialogue in a script (the seeds' conversation module): which lines a named character speaks,
and which voice each character gets.

The scenes stage cuts every paragraph into speaker turns here, so that a scene never mixes two
speakers; the voiceover step calls `assign_voices` once per project and reads the narrator's lines
with the project voice.
"""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import regex

NAME_MAX_CHARS = 40

_DIRECTION = r"\[[^\[\]\n]*\]"
# A name word starts with a letter; apostrophes, hyphens and dots allow O'Brien, Jean-Luc, Dr.
_NAME_WORD = r"\p{L}[\p{L}\p{M}'\u2019.\-]*"
_LABELLED_LINE = regex.compile(
    rf"^(?P<lead>\s*(?:{_DIRECTION}\s*)*)"
    rf"(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,2}})"
    r"(?:[ \t]*\([^()\n]{1,40}\))?"  # a screenplay parenthetical, "ANNA (V.O.):", is dropped
    # An ASCII colon must be followed by a space or the line end, which rules out URLs and
    # "Re:Zero"; times like 10:30 never match because a name starts with a letter.
    r"[ \t]*(?::(?=\s|$)|\uff1a)"  # or a full-width colon, CJK's, followed by anything
    r"(?P<text>.*)$"
)
_NAME_CHECK = regex.compile(rf"^{_NAME_WORD}(?: {_NAME_WORD}){{0,2}}$")

# Labels that introduce a piece of narration ("Note: ...", "Step two: ...") rather than a
# character. Compared with the first word of the label, case-folded.
_LABEL_WORDS_BY_LANGUAGE = (
    # English, with screenplay transitions (CUT TO:, FADE IN:)
    "note notes tip tips warning caution important step example examples hint fact bonus update "
    "reminder remember source sources spoiler disclaimer summary conclusion intro introduction "
    "outro chapter part scene title subtitle caption cta hook question answer fun pro bottom key "
    "takeaway lesson rule result results problem solution option price cost date time location "
    "breaking ps fyi edit credit credits music sound sfx cut fade dissolve smash transition "
    "ingredients total level round day week month year q a "
    # Spanish, French, German, Portuguese
    "nota consejo aviso paso ejemplo pista dato resumen conclusión capítulo parte escena título "
    "pregunta respuesta importante recuerda fuente atención ojo remarque astuce conseil étape "
    "exemple indice résumé chapitre partie scène titre réponse rappel hinweis tipp achtung "
    "warnung schritt beispiel fakt zusammenfassung fazit kapitel teil szene titel frage antwort "
    "wichtig quelle merke dica passo exemplo resumo conclusão cena pergunta lembre fonte "
    # Chinese, Japanese, Arabic, Hebrew
    "注意 提示 注 备注 步骤 例如 比如 总结 问题 答案 重要 原因 结果 时间 地点 "
    "ポイント 例 まとめ 質問 答え ヒント 手順 "
    "ملاحظة نصيحة تنبيه خطوة مثال سؤال جواب ملخص הערה טיפ שאלה תשובה",
)
LABEL_WORDS = frozenset(word for words in _LABEL_WORDS_BY_LANGUAGE for word in words.split())
# Labels that mark narration explicitly; their lines are read with the project voice.
NARRATOR_LABELS = frozenset(
    (
        "narrator",
        "narration",
        "vo",
        "v.o.",
        "voiceover",
        "voice-over",
        "narrador",
        "narradora",
        "narración",
        "narração",
        "narrateur",
        "narratrice",
        "erzähler",
        "erzählerin",
        "sprecher",
    )
)


@dataclass(frozen=True)
class Turn:
    """Consecutive lines of one speaker (None: the narrator). `text` may hold [directions]."""

    speaker: str | None
    text: str


@dataclass(frozen=True)
class _Label:
    name: str
    lead: str  # bracketed directions before the name
    text: str  # what follows the colon


def is_speaker_name(name: str) -> bool:
    """Whether `name` can label a dialogue line: one to three words of letters, not a label."""
    return _candidate_name(name.strip(), stopwords=frozenset()) is not None


def find_speakers(lines: Iterable[str], *, stopwords: Collection[str] = ()) -> dict[str, str]:
    """The characters of a script, case-folded name -> name as first written.

    A line "NAME: text" is dialogue when NAME is written in capitals (the screenplay habit), or
    when the script has at least two such lines: a single "Paris: the city of light." in prose
    stays narration, while a scripted exchange between Anna and Ben is recognised. A name alone
    on its line counts only in capitals: "Materials:" over a list is a heading.
    """
    stopwords = frozenset(stopwords)
    labels = [label for line in lines if (label := _label(line, stopwords))]
    names = [label.name for label in labels if label.text or _is_shouted(label.name)]
    names = [name for name in names if name.casefold() not in NARRATOR_LABELS]
    speakers: dict[str, str] = {}
    for name in names:
        if len(names) >= 2 or _is_shouted(name):
            speakers.setdefault(name.casefold(), name)
    return speakers


def split_turns(
    paragraph: str, speakers: Mapping[str, str], *, stopwords: Collection[str] = ()
) -> list[Turn]:
    """Cut a paragraph into turns, merging consecutive lines of the same speaker.

    An unlabelled line is narration, except after a name standing alone on its line
    ("ANNA:" then her words), where it continues that speaker's turn until the next label.
    """
    stopwords = frozenset(stopwords)
    turns: list[Turn] = []
    heading: str | None = None
    for line in paragraph.split("\n"):
        if not line.strip():
            continue
        label = _label(line, stopwords)
        if label and label.name.casefold() in NARRATOR_LABELS:
            speaker, text, heading = None, f"{label.lead} {label.text}", None
        elif label and label.name.casefold() in speakers:
            speaker, text = speakers[label.name.casefold()], f"{label.lead} {label.text}"
            heading = speaker if not label.text.strip() else None
        else:
            speaker, text = heading, line
        text = text.strip()
        if turns and turns[-1].speaker == speaker:
            turns[-1] = Turn(speaker, f"{turns[-1].text}\n{text}".strip())
        else:
            turns.append(Turn(speaker, text))
    return turns


def assign_voices(speakers: list[str], voices: list[str], narrator_voice: str) -> dict[str, str]:
    """A voice per speaker, in order of first appearance.

    The narrator keeps the project voice; characters get distinct voices other than the
    narrator's while there are any, then the list starts over. With no other voice available,
    everyone speaks with the narrator's.
    """
    pool = [voice for voice in dict.fromkeys(voices) if voice != narrator_voice]
    if not pool:
        pool = list(dict.fromkeys(voices)) or [narrator_voice]
    assigned: dict[str, str] = {}
    characters = 0
    for speaker in speakers:
        if speaker in assigned:
            continue
        if speaker.casefold() in NARRATOR_LABELS:
            assigned[speaker] = narrator_voice
            continue
        assigned[speaker] = pool[characters % len(pool)]
        characters += 1
    return assigned


def _label(line: str, stopwords: frozenset[str]) -> _Label | None:
    match = _LABELLED_LINE.match(line)
    if not match:
        return None
    name = _candidate_name(match["name"], stopwords)
    if name is None:
        return None
    return _Label(name=name, lead=match["lead"].strip(), text=match["text"].strip())


def _candidate_name(name: str, stopwords: frozenset[str]) -> str | None:
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX_CHARS or not _NAME_CHECK.match(name):
        return None
    if name.casefold() in NARRATOR_LABELS:
        return name
    words = name.split()
    first = words[0].casefold()
    if first in LABEL_WORDS:
        return None
    # "But: ..." or "So: ..." are narration; a name in capitals ("WILL:") is still a name.
    if first in stopwords and not _is_shouted(name):
        return None
    # In scripts with letter case a name is a proper noun: every word starts with a capital.
    # Scripts without case (Arabic, Hebrew, CJK) can't show that, so any word is allowed.
    if any(word[0].islower() for word in words):
        return None
    return name


def _is_shouted(name: str) -> bool:
    return any(char.isupper() for char in name) and name == name.upper()
