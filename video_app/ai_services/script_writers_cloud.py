"""Script writers backed by a language model: Google Gemini ("gemini") and any OpenAI-compatible
chat server ("openai": OpenAI, Ollama, vLLM). Both speak plain REST through `http.ProviderHttp`,
so they time out, retry, refuse and report usage like every other cloud provider.

Every model writer, the local one in transformers_writer included, shares the prompt and the
answer loop here: the model is asked for JSON following MODEL_SCHEMA, the answer goes through
`parse_script_json`, and a malformed answer gets exactly one repair request (the answer and what
is wrong with it) before the writer gives up. A bad answer never becomes a script.
"""

import json
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from . import credentials, usage
from .errors import ProviderFailed, ProviderRefused
from .http import ProviderHttp
from .keywords import base_language
from .script_processing import (
    CHARS_PER_SECOND,
    DEFAULT_WORDS_PER_MINUTE,
    TARGET_SCENE_S,
    WORDS_PER_MINUTE,
)
from .text_generation import (
    MAX_SCENES,
    SCRIPT_JSON_SCHEMA,
    ScriptDraft,
    ScriptRequest,
    parse_script_json,
    script_writers,
)

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
    schema = SYSTEM_PROMPT.format(schema=_compact_json(MODEL_SCHEMA))
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


# --- Google Gemini -------------------------------------------------------------------------

GEMINI_URL = "https://generativelanguage.googleapis.com"
# Finish reasons for which Gemini withholds its answer.
_GEMINI_WITHHELD = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "LANGUAGE"}
)


class _GeminiHttp(ProviderHttp):
    """Gemini answers a bad key with 400 API_KEY_INVALID, and says how long to wait in the
    error body (google.rpc.RetryInfo) rather than in a Retry-After header."""

    def refusal(self, response: httpx.Response, subject: str) -> ProviderRefused:
        refused = super().refusal(response, subject)
        if any(item.get("reason") == "API_KEY_INVALID" for item in _error_details(response)):
            return ProviderRefused(
                f"{self.label} refused our key. Ask your administrator to check the API key.",
                detail=refused.detail,
            )
        return refused

    def retry_after(self, response: httpx.Response) -> float | None:
        header_s = super().retry_after(response)
        if header_s is not None:
            return header_s
        for item in _error_details(response):
            if item.get("@type", "").endswith("google.rpc.RetryInfo"):
                try:
                    return max(0.0, float(str(item.get("retryDelay", "")).removesuffix("s")))
                except ValueError:
                    return None
        return None


@script_writers.register("gemini")
class GeminiScriptWriter:
    """Gemini's REST method models/{model}:generateContent, with the answer's JSON schema in
    generationConfig.responseJsonSchema. Plain REST rather than the google-genai SDK: the SDK's
    retries (tenacity) ignore Retry-After, and ProviderHttp gives every provider the same
    retries, refusals, masking and usage records. GEMINI_BASE_URL replaces the host only."""

    name = "gemini"
    label = "Gemini"

    def write(self, request: ScriptRequest) -> ScriptDraft:
        key = credentials.get("GEMINI_API_KEY")
        if not key:
            raise ProviderRefused(
                "Gemini has no API key. Ask your administrator to set GEMINI_API_KEY.",
                detail="gemini: GEMINI_API_KEY is empty",
            )
        http = _GeminiHttp(
            label=self.label,
            capability="script",
            base_url=settings.GEMINI_BASE_URL or GEMINI_URL,
            headers={"x-goog-api-key": key},
            timeout_s=settings.SCRIPT_PROVIDER_TIMEOUT_S,
        )
        model = settings.GEMINI_MODEL.removeprefix("models/")
        try:
            return draft_with_one_repair(
                lambda conversation: self._ask(http, model, conversation),
                request,
                provider=self.name,
                label=self.label,
            )
        finally:
            http.client.close()

    def _ask(self, http: ProviderHttp, model: str, conversation: Conversation) -> str:
        system, *turns = conversation
        body = {
            "systemInstruction": {"parts": [{"text": system["content"]}]},
            "contents": [
                {
                    "role": "model" if turn["role"] == "assistant" else "user",
                    "parts": [{"text": turn["content"]}],
                }
                for turn in turns
            ],
            "generationConfig": {
                "responseMimeType": "application/json",
                "responseJsonSchema": MODEL_SCHEMA,
            },
        }
        response = http.request("POST", f"/v1beta/models/{model}:generateContent", json=body)
        answer = _json_answer(response, self.label)
        record_tokens(self.label, (answer.get("usageMetadata") or {}).get("totalTokenCount"))
        candidates = answer.get("candidates") or []
        if not candidates:
            blocked = (answer.get("promptFeedback") or {}).get("blockReason")
            if blocked:
                raise declined(self.label, blocked)
            return ""
        candidate = candidates[0]
        # Thought summaries (when a model sends them) are not the answer.
        text = "".join(
            part.get("text", "")
            for part in (candidate.get("content") or {}).get("parts") or []
            if not part.get("thought")
        )
        if not text.strip() and candidate.get("finishReason") in _GEMINI_WITHHELD:
            raise declined(self.label, candidate["finishReason"])
        return text


# --- OpenAI-compatible chat completions ----------------------------------------------------

OPENAI_HOST = "api.openai.com"
JSON_SCHEMA_FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": "video_script", "strict": True, "schema": MODEL_SCHEMA},
}
# For servers without json_schema: valid JSON, its shape asked for by the prompt only.
JSON_OBJECT_FORMAT = {"type": "json_object"}


class _RejectedRequest(ProviderRefused):
    """A 400: the server did not accept the request as written."""


class _OpenAIHttp(ProviderHttp):
    def refusal(self, response: httpx.Response, subject: str) -> ProviderRefused:
        refused = super().refusal(response, subject)
        if response.status_code == 400:
            return _RejectedRequest(refused.message, detail=refused.detail)
        return refused


@script_writers.register("openai")
class OpenAIScriptWriter:
    """The chat completions method (POST {OPENAI_BASE_URL}/chat/completions) of OpenAI or of any
    server that copies it: Ollama, vLLM, llama.cpp. The answer's shape is asked for with
    response_format json_schema (strict); a server that rejects that with a 400 is asked once
    more with json_object, and the rest of the write keeps to it. No key, no Authorization
    header: local servers need none."""

    name = "openai"
    response_format = JSON_SCHEMA_FORMAT

    def write(self, request: ScriptRequest) -> ScriptDraft:
        key = credentials.get("OPENAI_API_KEY")
        label = openai_label(settings.OPENAI_BASE_URL)
        http = _OpenAIHttp(
            label=label,
            capability="script",
            base_url=settings.OPENAI_BASE_URL,
            headers={"Authorization": f"Bearer {key}"} if key else {},
            timeout_s=settings.SCRIPT_PROVIDER_TIMEOUT_S,
        )
        self.response_format = JSON_SCHEMA_FORMAT  # until the server rejects it
        try:
            return draft_with_one_repair(
                lambda conversation: self._ask(http, conversation),
                request,
                provider=self.name,
                label=label,
            )
        finally:
            http.client.close()

    def _ask(self, http: ProviderHttp, conversation: Conversation) -> str:
        try:
            response = self._complete(http, conversation)
        except _RejectedRequest:
            if self.response_format is JSON_OBJECT_FORMAT:
                raise
            logger.info("%s rejected json_schema; asking for json_object", http.label)
            self.response_format = JSON_OBJECT_FORMAT
            response = self._complete(http, conversation)
        answer = _json_answer(response, http.label)
        record_tokens(http.label, (answer.get("usage") or {}).get("total_tokens"))
        try:
            choice = answer["choices"][0]
            message = choice["message"]
        except (KeyError, IndexError, TypeError):
            raise _unreadable(http.label, response, "no choices[0].message") from None
        if message.get("refusal"):
            raise declined(http.label, str(message["refusal"])[:200])
        if choice.get("finish_reason") == "content_filter" and not message.get("content"):
            raise declined(http.label, "content_filter")
        return message.get("content") or ""

    def _complete(self, http: ProviderHttp, conversation: Conversation) -> httpx.Response:
        body = {
            "model": settings.OPENAI_MODEL,
            "messages": conversation,
            "response_format": self.response_format,
        }
        return http.request("POST", "/chat/completions", json=body)


def openai_label(base_url: str) -> str:
    """The server as a person names it: "OpenAI", or where a compatible server answers."""
    parts = urlsplit(base_url)
    if parts.hostname == OPENAI_HOST:
        return "OpenAI"
    where = f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname
    return f"The model server at {where}"


# --- Shared ----------------------------------------------------------------------------------


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


def _json_answer(response: httpx.Response, label: str) -> dict:
    try:
        answer = response.json()
    except ValueError:
        raise _unreadable(label, response, "body is not JSON") from None
    if not isinstance(answer, dict):
        raise _unreadable(label, response, f"body is a JSON {type(answer).__name__}")
    return answer


def _unreadable(label: str, response: httpx.Response, reason: str) -> ProviderFailed:
    return ProviderFailed(
        f"{label} sent an answer we could not read. Try again in a few minutes.",
        detail=f"HTTP {response.status_code}: {reason}: {response.text[:200]}",
    )


def _error_details(response: httpx.Response) -> list[dict]:
    """The `details` of a Google API error body ({"error": {"details": [...]}})."""
    try:
        details = response.json()["error"]["details"]
    except (ValueError, KeyError, TypeError):
        return []
    return [item for item in details if isinstance(item, dict)] if isinstance(details, list) else []


def _compact_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
