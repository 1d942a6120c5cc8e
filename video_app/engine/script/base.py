"""What every script writer shares: the request and draft models, the writer protocol, the lazy
table of writers (settings AI_PROVIDERS["script"]) and the reading of a model's JSON answer, so a
bad answer fails loudly instead of becoming a bad video.
"""

import json
from typing import Literal, Protocol

import regex
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..core.errors import ProviderFailed
from ..core.registry import ProviderRegistry
from ..scenes import TARGET_SCENE_S, is_speaker_name

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
    # Why another writer than the one asked for wrote it, for the creator ("": none did).
    fallback_reason: str = ""

    def as_text(self) -> str:
        """The editable script: a paragraph per scene, "[what to show]" first, then "NAME: "
        for dialogue. process_script reads this format back."""
        return "\n\n".join(_paragraph(scene) for scene in self.scenes)


class ScriptWriter(Protocol):
    name: str

    def available(self) -> bool: ...

    def write(self, request: ScriptRequest) -> ScriptDraft: ...


script_writers = ProviderRegistry[ScriptWriter](
    "script",
    default="structured",
    providers={
        "structured": "video_app.engine.script.structured.StructuredScriptWriter",
        "local": "video_app.engine.script.local.LocalScriptWriter",
        "transformers": "video_app.engine.script.hugging_face.TransformersScriptWriter",
        "gemini": "video_app.engine.script.gemini.GeminiScriptWriter",
        "openai": "video_app.engine.script.openai_compatible.OpenAIScriptWriter",
    },
)


def _content_schema() -> dict:
    # What a model must produce: the caller fills in `provider` and `template_based`.
    schema = ScriptDraft.model_json_schema()
    for field in ("provider", "template_based"):
        schema["properties"].pop(field)
        schema["required"].remove(field)
    return schema


SCRIPT_JSON_SCHEMA = _content_schema()


def parse_script_json(
    raw: str | dict, *, provider: str, language: str | None = None
) -> ScriptDraft:
    """A cloud writer's answer as a ScriptDraft, or ProviderFailed: never a half-read script.

    Accepts the JSON wrapped in a Markdown code fence, as chat models often answer. `language`
    fills in a missing "language" field.
    """
    if isinstance(raw, str):
        if len(raw) > MAX_JSON_CHARS:
            raise unusable_script(provider, f"answer is {len(raw):,} characters long")
        text = regex.sub(r"^\s*```(?:json)?\s*|\s*```\s*$", "", raw)
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as error:
            raise unusable_script(provider, f"not JSON: {error}") from error
    if not isinstance(raw, dict):
        raise unusable_script(provider, f"expected a JSON object, got {type(raw).__name__}")
    fields = {"language": language, **raw} if language else dict(raw)
    fields.update(provider=provider, template_based=False)
    try:
        return ScriptDraft.model_validate(fields)
    except ValidationError as error:
        raise unusable_script(provider, str(error)) from error


def unusable_script(provider: str, reason: str) -> ProviderFailed:
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
