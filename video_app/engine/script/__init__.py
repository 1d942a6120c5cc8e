"""Script writing, the pipeline's first stage (the seeds' ScriptGenerator): a topic and a brief in,
a draft script out, from the writer the settings name (AI_PROVIDERS["script"]). The offline
default, "structured", needs nothing; model writers (local, Hugging Face, Gemini, OpenAI-compatible)
live one per module in the table of `base`, imported when first used. The user edits
`ScriptDraft.as_text()`; the scenes stage turns the edited text into scenes.
"""

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from ..core.errors import InvalidInput, ProviderFailed
from ..core.keywords import WORD
from .base import (
    LANGUAGE_PATTERN,
    MAX_SCENES,
    SCRIPT_JSON_SCHEMA,
    TEMPLATES,
    SceneDraft,
    ScriptDraft,
    ScriptRequest,
    ScriptWriter,
    parse_script_json,
    script_writers,
    unusable_script,
)

__all__ = [
    "LANGUAGE_PATTERN",
    "MAX_SCENES",
    "SCRIPT_JSON_SCHEMA",
    "TEMPLATES",
    "SceneDraft",
    "ScriptDraft",
    "ScriptRequest",
    "ScriptWriter",
    "parse_script_json",
    "script_writers",
    "write_script",
]


def write_script(
    request: ScriptRequest | Mapping[str, Any],
    *,
    provider: str | None = None,
    fallback: bool = False,
) -> ScriptDraft:
    """A draft from `provider` (or the configured writer). The stage's one fallback rule: with
    `fallback`, a model writer that fails gives way to the offline template writer, and the
    draft's `fallback_reason` says so (a refusal too: a missing model, a bad key). Without it,
    or when the template writer itself failed, the failure is raised."""
    request = _checked_request(request)
    writer = script_writers.get(provider)
    try:
        return _checked_draft(writer.write(request), writer.name)
    except ProviderFailed as error:
        if not fallback or writer.name == script_writers.default:
            raise
        stand_in = script_writers.get(script_writers.default)
        draft = _checked_draft(stand_in.write(request), stand_in.name)
        reason = f"{error.message} A template-based script was written instead."
        return draft.model_copy(update={"fallback_reason": reason})


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
        raise unusable_script(provider, f"returned {type(draft).__name__}, not a ScriptDraft")
    try:
        return ScriptDraft.model_validate(draft.model_dump())
    except ValidationError as error:
        raise unusable_script(provider, str(error)) from error
