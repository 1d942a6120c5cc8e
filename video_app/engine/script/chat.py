"""What the model writers share: the prompt and the answer loop. The model is asked for JSON
following MODEL_SCHEMA, the answer goes through `parse_script_json`, and a malformed answer gets
exactly one repair request (the answer and what is wrong with it) before the writer gives up. A bad
answer never becomes a script. The cloud writers (gemini, openai_compatible) also share the
reading of a JSON answer and the token count they report.
"""

import json
import logging
from collections.abc import Callable

import httpx

from ..core import usage
from ..core.errors import ProviderFailed, ProviderRefused
from ..core.keywords import base_language
from ..scenes import CHARS_PER_SECOND, DEFAULT_WORDS_PER_MINUTE, TARGET_SCENE_S, WORDS_PER_MINUTE
from .base import MAX_SCENES, SCRIPT_JSON_SCHEMA, ScriptDraft, ScriptRequest, parse_script_json

logger = logging.getLogger(__name__)

# A chat as OpenAI writes it: a system message first, then "user" and "assistant" turns.
Conversation = list[dict[str, str]]

# The keywords every structured-output engine accepts (OpenAI's strict mode, Gemini's
# responseJsonSchema, the grammars of Ollama and vLLM); lengths and patterns are left to
# parse_script_json, which checks the whole ScriptDraft schema anyway.
_PORTABLE_KEYWORDS = ("type", "properties", "items", "anyOf", "minItems", "maxItems")
# An unusable answer is shown back to the model in the repair request, cut to this length.
MAX_ECHOED_CHARS = 8000
UNUSABLE_AFTER_REPAIR = (
    "{label} wrote a script that could not be used: it did not follow the script format, even "
    "when asked to correct it. Try again, or switch to the template-based writer."
)

TEMPLATE_GUIDES = {
    "explainer": "explain how or why something works, one idea per scene",
    "listicle": "a numbered list of points, one point per scene",
    "promo": "a promotion: the viewer's problem, the offer, why it helps",
    "tutorial": "step-by-step instructions, one step per scene",
    "story": "a story with a beginning, a turn and an ending",
    "news": "a news report: what happened, who it affects, what comes next",
    "quote": "a quotation from the brief and what it means; never invent a quotation",
    "product": "a product presentation: what it is, its main features, who it is for",
}
SYSTEM_PROMPT = """\
You write the narration scripts of short videos. Answer with a single JSON object and nothing \
else, following this JSON schema:
{schema}

- title: the video's title, at most 120 characters.
- language: the language tag you are given.
- scenes: the video in order, from a hook that makes people stay to a call to action. In each \
scene, "narration" is what the voice says, written to be spoken: no stage directions, hashtags, \
emojis or Markdown. "visual_description" says what to show, subject first (it is used to find \
pictures), in at most 400 characters. "speaker" is null, unless the brief asks for a \
conversation: then it is the name of the character speaking, one to three words.
- Use only facts from the brief or common knowledge: never invent figures, quotations or names."""
REQUEST_PROMPT = """\
Topic: {topic}
Brief: {description}
Kind of video: {template}: {guide}
Platform: {platform}
Length: about {duration_s} seconds of narration ({amount}), in about {scenes} scenes of about \
{scene_s:g} seconds each
Tone: {tone}
Language: {language} (write the title, the narration and the visual descriptions in it)"""
REPAIR_PROMPT = """\
That answer could not be used: {problem}
Answer again with the corrected JSON object only, following the same schema."""


def _portable_schema(schema: dict, definitions: dict) -> dict:
    """`schema` with its references inlined and only portable keywords; every property required
    (optional ones accept null), as OpenAI's strict mode wants."""
    if "$ref" in schema:
        return _portable_schema(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions)
    portable = {key: schema[key] for key in _PORTABLE_KEYWORDS if key in schema}
    if "properties" in portable:
        portable["properties"] = {
            name: _portable_schema(value, definitions)
            for name, value in portable["properties"].items()
        }
        portable["required"] = list(portable["properties"])
        portable["additionalProperties"] = False
    if "items" in portable:
        portable["items"] = _portable_schema(portable["items"], definitions)
    if "anyOf" in portable:
        portable["anyOf"] = [_portable_schema(option, definitions) for option in portable["anyOf"]]
    return portable


MODEL_SCHEMA = _portable_schema(SCRIPT_JSON_SCHEMA, SCRIPT_JSON_SCHEMA.get("$defs", {}))


def script_conversation(request: ScriptRequest) -> Conversation:
    """The instructions and the creator's request, as the first turns of a chat."""
    scene_s = TARGET_SCENE_S[request.platform]
    language = base_language(request.language)
    if language in CHARS_PER_SECOND:
        amount = f"about {round(request.duration_s * CHARS_PER_SECOND[language])} characters"
    else:
        per_minute = WORDS_PER_MINUTE.get(language, DEFAULT_WORDS_PER_MINUTE)
        amount = f"about {round(request.duration_s * per_minute / 60)} words"
    details = REQUEST_PROMPT.format(
        topic=request.topic,
        description=request.description or "(none: work from the topic)",
        template=request.template,
        guide=TEMPLATE_GUIDES[request.template],
        platform=request.platform.replace("_", " "),
        duration_s=request.duration_s,
        amount=amount,
        scenes=max(3, min(MAX_SCENES, round(request.duration_s / scene_s))),
        scene_s=scene_s,
        tone=request.tone,
        language=request.language,
    )
    schema = SYSTEM_PROMPT.format(schema=compact_json(MODEL_SCHEMA))
    return [{"role": "system", "content": schema}, {"role": "user", "content": details}]


def draft_with_one_repair(
    ask: Callable[[Conversation], str], request: ScriptRequest, *, provider: str, label: str
) -> ScriptDraft:
    """The model's script, asking once more with the problem when the first answer is unusable.

    `ask` sends a conversation and returns the model's text; it raises ProviderFailed itself
    when the service fails or refuses.
    """
    conversation = script_conversation(request)
    answer = ask(conversation)
    try:
        return parse_script_json(answer, provider=provider, language=request.language)
    except ProviderFailed as error:
        problem = error.detail.removeprefix(f"{provider}: ")
    logger.info("%s wrote an unusable script, asking for a repair: %s", provider, problem[:300])
    repair = [
        *conversation,
        {"role": "assistant", "content": answer[:MAX_ECHOED_CHARS]},
        {"role": "user", "content": REPAIR_PROMPT.format(problem=problem)},
    ]
    answer = ask(repair)
    try:
        return parse_script_json(answer, provider=provider, language=request.language)
    except ProviderFailed as error:
        raise ProviderFailed(
            UNUSABLE_AFTER_REPAIR.format(label=label),
            detail=f"{provider}: unusable, then unusable after a repair request: "
            f"{problem[:1500]} / then: {error.detail.removeprefix(f'{provider}: ')[:1500]}",
        ) from error


def declined(label: str, reason: str) -> ProviderRefused:
    """A model's safety filter withheld the script: the same request would be withheld again."""
    return ProviderRefused(
        f"{label} declined to write this script ({reason.replace('_', ' ').lower()}). "
        "Reword the topic or the brief, or switch to the template-based writer.",
        detail=f"{label}: answer withheld: {reason}",
    )


def record_tokens(label: str, tokens: object) -> None:
    # ProviderHttp has recorded the request itself (its time and outcome); this adds its cost.
    if isinstance(tokens, int) and tokens > 0:
        usage.record(
            usage.CallRecord(
                provider=label,
                capability="script",
                units=tokens,
                unit="tokens",
                outcome="ok",
                duration_s=0.0,
            )
        )


def json_answer(response: httpx.Response, label: str) -> dict:
    try:
        answer = response.json()
    except ValueError:
        raise unreadable(label, response, "body is not JSON") from None
    if not isinstance(answer, dict):
        raise unreadable(label, response, f"body is a JSON {type(answer).__name__}")
    return answer


def unreadable(label: str, response: httpx.Response, reason: str) -> ProviderFailed:
    return ProviderFailed(
        f"{label} sent an answer we could not read. Try again in a few minutes.",
        detail=f"HTTP {response.status_code}: {reason}: {response.text[:200]}",
    )


def compact_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
