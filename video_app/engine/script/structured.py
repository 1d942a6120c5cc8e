"""The offline default writer, "structured": a hook, body scenes and a call to action assembled from
the topic and the brief's key phrases with the phrase tables in `phrases`. It invents no facts,
and the UI labels its drafts template-based.
"""

import regex

from ..core.keywords import base_language, extract_keywords, looks_like_noun, stopwords_for
from ..scenes import TARGET_SCENE_S
from .base import MAX_SCENES, SceneDraft, ScriptDraft, ScriptRequest
from .phrases import PHRASEBOOKS, Phrasebook

_BODY_SHOTS = ("close", "wide", "detail", "medium")
_PLATFORM_FAMILY = {"youtube": "youtube", "youtube_shorts": "youtube", "tiktok": "short"}


class StructuredScriptWriter:
    """Offline and deterministic: the same request always gives the same draft."""

    name = "structured"

    def available(self) -> bool:
        return True

    def write(self, request: ScriptRequest) -> ScriptDraft:
        language = base_language(request.language)
        book = PHRASEBOOKS.get(language, PHRASEBOOKS["en"])
        topic = _topic_in_sentence(request, language)
        subjects = _body_subjects(request, topic, language)

        hook = _sentence(book.openers[request.tone], book.hooks[request.template])
        family = _PLATFORM_FAMILY.get(request.platform, "instagram")
        cta = _sentence(
            book.ctas[request.template], book.actions[family], book.closers[request.tone]
        )
        values = {"topic": topic, "n": len(subjects)}
        scenes = [
            SceneDraft(
                narration=hook.format(**values),
                visual_description=_visual(topic, book.shots["hook"], book, request),
            ),
            *(
                _body_scene(request, book, index, subject, topic)
                for index, subject in enumerate(subjects)
            ),
            SceneDraft(
                narration=cta.format(**values),
                visual_description=_visual(topic, book.shots["cta"], book, request),
            ),
        ]
        title = book.titles[request.template].format(topic=topic, n=len(subjects))
        return ScriptDraft(
            title=_capitalised(title)[:120],
            language=request.language,
            scenes=scenes,
            provider=self.name,
            template_based=True,
        )


def _body_subjects(request: ScriptRequest, topic: str, language: str) -> list[str]:
    """What each body scene is about: the brief's key phrases, best first, then the topic.

    The template can't invent facts, so a thin brief gives a short script rather than the
    same sentence about the topic over and over: the topic fills at most two scenes.
    """
    scene_s = TARGET_SCENE_S[request.platform]
    wanted = max(1, min(MAX_SCENES, round(request.duration_s / scene_s)) - 2)
    topic_words = set(topic.casefold().split())
    # Body frames put the phrase where a noun goes: "Let's start with {p}."
    phrases = [
        phrase
        for phrase in extract_keywords(request.description, language, limit=wanted + 8)
        if not set(phrase.casefold().split()) <= topic_words
        and looks_like_noun(phrase, request.description, language)
    ][:wanted]
    return [*phrases, topic, topic][: max(1, min(wanted, len(phrases) + 2))]


def _body_scene(
    request: ScriptRequest, book: Phrasebook, index: int, subject: str, topic: str
) -> SceneDraft:
    frames = book.bodies.get(request.template) or book.bodies["*"]
    narration = frames[index % len(frames)].format(p=subject, P=_capitalised(subject))
    if request.template in book.counters:
        narration = f"{book.counters[request.template].format(i=index + 1)} {narration}"
    if request.tone == "energetic":
        narration = regex.sub(r"\.$", "!", narration)
    shot = book.shots[_BODY_SHOTS[index % len(_BODY_SHOTS)]]
    shows = subject if subject == topic else f"{subject}, {topic}"
    return SceneDraft(narration=narration, visual_description=_visual(shows, shot, book, request))


def _visual(shows: str, shot: str, book: Phrasebook, request: ScriptRequest) -> str:
    # What to show comes first: it is what a picture search needs; then how to film it.
    return f"{_capitalised(shows)}. {shot}, {book.moods[request.tone]}"


def _topic_in_sentence(request: ScriptRequest, language: str) -> str:
    """The topic as it reads mid-sentence: "The history of Rome" -> "the history of Rome".

    A capital is kept unless the first word is a stopword or the brief writes it in lower
    case: a topic can start with a name.
    """
    topic = regex.sub(r"[\s.!?;:]+$", "", request.topic).replace("[", "(").replace("]", ")")
    first = topic.split()[0] if topic.split() else ""
    lowered = first[:1].lower() + first[1:]
    in_brief = regex.search(rf"(?<!\w){regex.escape(lowered)}(?!\w)", request.description)
    if first != first.upper() and (first.casefold() in stopwords_for(language) or in_brief):
        return lowered + topic[len(first) :]
    return topic


def _sentence(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
