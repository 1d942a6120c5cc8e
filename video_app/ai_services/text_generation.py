"""Script writing (the seeds' ScriptGenerator): a topic and a brief in, a draft script out.

Writers are providers in `script_writers`. The offline default, "structured", assembles a hook,
body scenes and a call to action from the topic and the brief's key phrases with the phrase
tables in script_phrases; it invents no facts, and the UI labels its drafts template-based.
A cloud writer's JSON answer goes through `parse_script_json`, so a bad answer fails loudly
instead of becoming a bad video. The user edits `ScriptDraft.as_text()`; script_processing
turns the edited text into scenes.
"""

import json
from collections.abc import Mapping
from typing import Any, Literal, Protocol

import regex
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .conversation import is_speaker_name
from .errors import InvalidInput, ProviderFailed
from .keywords import WORD, base_language, extract_keywords, looks_like_noun, stopwords_for
from .registry import ProviderRegistry
from .script_phrases import PHRASEBOOKS, Phrasebook
from .script_processing import TARGET_SCENE_S

TEMPLATES = ("explainer", "listicle", "promo", "tutorial", "story", "news", "quote", "product")
Tone = Literal["friendly", "professional", "energetic", "calm", "humorous", "inspirational"]
LANGUAGE_PATTERN = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$"
MAX_SCENES = 60
# Without a requested length: a YouTube video runs longer than short-form.
DEFAULT_DURATION_S = {"youtube": 90}
DEFAULT_SHORT_DURATION_S = 30
# A cloud writer's answer larger than this is not a script.
MAX_JSON_CHARS = 200_000
UNUSABLE_SCRIPT = (
    "The script writer returned a script that can't be used. "
    "Try again, or switch to the template-based writer."
)
_BODY_SHOTS = ("close", "wide", "detail", "medium")
_PLATFORM_FAMILY = {"youtube": "youtube", "youtube_shorts": "youtube", "tiktok": "short"}


class ScriptRequest(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True, extra="forbid")

    topic: str = Field(max_length=200)
    description: str = Field(default="", max_length=5000)
    platform: str = "youtube"
    target_duration_s: int | None = Field(default=None, ge=5, le=900)
    tone: Tone = "friendly"
    language: str = Field(default="en", pattern=LANGUAGE_PATTERN)
    template: str = "explainer"

    @field_validator("platform")
    @classmethod
    def _known_platform(cls, platform: str) -> str:
        if platform not in TARGET_SCENE_S:
            raise ValueError(f"choose one of {', '.join(TARGET_SCENE_S)}")
        return platform

    @field_validator("template")
    @classmethod
    def _known_template(cls, template: str) -> str:
        if template not in TEMPLATES:
            raise ValueError(f"choose one of {', '.join(TEMPLATES)}")
        return template

    @property
    def duration_s(self) -> int:
        default = DEFAULT_DURATION_S.get(self.platform, DEFAULT_SHORT_DURATION_S)
        return self.target_duration_s or default


class SceneDraft(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    narration: str = Field(min_length=1, max_length=1200)
    visual_description: str = Field(max_length=400)
    speaker: str | None = Field(default=None, max_length=40)

    @field_validator("speaker")
    @classmethod
    def _speaker_label(cls, speaker: str | None) -> str | None:
        # The speaker is written back as "NAME: " in the script text, where conversation must
        # find it again.
        if not speaker:
            return None
        if not is_speaker_name(speaker):
            raise ValueError("a speaker is a name of one to three words, like 'Anna'")
        return speaker


class ScriptDraft(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=120)
    language: str = Field(pattern=LANGUAGE_PATTERN)
    scenes: list[SceneDraft] = Field(min_length=1, max_length=MAX_SCENES)
    provider: str = Field(min_length=1)
    template_based: bool

    def as_text(self) -> str:
        """The editable script: a paragraph per scene, "[what to show]" first, then "NAME: "
        for dialogue. process_script reads this format back."""
        return "\n\n".join(_paragraph(scene) for scene in self.scenes)


class ScriptWriter(Protocol):
    name: str

    def write(self, request: ScriptRequest) -> ScriptDraft: ...


script_writers = ProviderRegistry[ScriptWriter]("script", default="structured")


def _content_schema() -> dict:
    # What a model must produce: the caller fills in `provider` and `template_based`.
    schema = ScriptDraft.model_json_schema()
    for field in ("provider", "template_based"):
        schema["properties"].pop(field)
        schema["required"].remove(field)
    return schema


SCRIPT_JSON_SCHEMA = _content_schema()


def write_script(
    request: ScriptRequest | Mapping[str, Any], *, provider: str | None = None
) -> ScriptDraft:
    request = _checked_request(request)
    writer = script_writers.get(provider)
    return _checked_draft(writer.write(request), writer.name)


def parse_script_json(
    raw: str | dict, *, provider: str, language: str | None = None
) -> ScriptDraft:
    """A cloud writer's answer as a ScriptDraft, or ProviderFailed: never a half-read script.

    Accepts the JSON wrapped in a Markdown code fence, as chat models often answer. `language`
    fills in a missing "language" field.
    """
    if isinstance(raw, str):
        if len(raw) > MAX_JSON_CHARS:
            raise _unusable(provider, f"answer is {len(raw):,} characters long")
        text = regex.sub(r"^\s*```(?:json)?\s*|\s*```\s*$", "", raw)
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as error:
            raise _unusable(provider, f"not JSON: {error}") from error
    if not isinstance(raw, dict):
        raise _unusable(provider, f"expected a JSON object, got {type(raw).__name__}")
    fields = {"language": language, **raw} if language else dict(raw)
    fields.update(provider=provider, template_based=False)
    try:
        return ScriptDraft.model_validate(fields)
    except ValidationError as error:
        raise _unusable(provider, str(error)) from error


@script_writers.register("structured")
class StructuredScriptWriter:
    """Offline and deterministic: the same request always gives the same draft."""

    name = "structured"

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


def _checked_request(request: ScriptRequest | Mapping[str, Any]) -> ScriptRequest:
    if not isinstance(request, ScriptRequest):
        try:
            request = ScriptRequest.model_validate(request)
        except ValidationError as error:
            problem = error.errors()[0]
            field = str(problem["loc"][0] if problem["loc"] else "request")
            field = field.removesuffix("_s").replace("_", " ")
            raise InvalidInput(
                f"Check the {field}: {problem['msg']}.", detail=str(error)
            ) from error
    if not WORD.search(request.topic):
        raise InvalidInput("Give the video a topic, for example “how solar panels work”.")
    return request


def _checked_draft(draft: object, provider: str) -> ScriptDraft:
    # Revalidated: a provider may have built its draft without validation (model_construct).
    if not isinstance(draft, ScriptDraft):
        raise _unusable(provider, f"returned {type(draft).__name__}, not a ScriptDraft")
    try:
        return ScriptDraft.model_validate(draft.model_dump())
    except ValidationError as error:
        raise _unusable(provider, str(error)) from error


def _unusable(provider: str, reason: str) -> ProviderFailed:
    return ProviderFailed(UNUSABLE_SCRIPT, detail=f"{provider}: {reason}"[:2000])


def _paragraph(scene: SceneDraft) -> str:
    parts = []
    if scene.visual_description:
        parts.append(f"[{_flat(scene.visual_description)}]")
    if scene.speaker:
        # Capitals mark dialogue for conversation even when the script names a speaker once.
        parts.append(f"{scene.speaker.upper()}:")
    parts.append(_flat(scene.narration))
    return " ".join(parts)


def _flat(text: str) -> str:
    # One line without brackets: a paragraph per scene, and [ ] only around directions.
    return " ".join(text.replace("[", "(").replace("]", ")").split())


def _sentence(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# The model writers register themselves in `script_writers` when imported; they use the
# definitions above, so they are imported last.
from . import local_writer, script_writers_cloud, transformers_writer  # noqa: E402, F401
