"""Google Gemini as a script writer ("gemini"), over plain REST through `core.http.ProviderHttp`,
so it times out, retries, refuses and reports usage like every other cloud provider. The prompt
and the repair loop are `chat`'s.
"""

import httpx
from django.conf import settings

from ..core import credentials
from ..core.errors import ProviderRefused
from ..core.http import ProviderHttp
from .base import ScriptDraft, ScriptRequest
from .chat import (
    MODEL_SCHEMA,
    Conversation,
    declined,
    draft_with_one_repair,
    json_answer,
    record_tokens,
)

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
        if any(item.get("reason") == "API_KEY_INVALID" for item in error_details(response)):
            return ProviderRefused(
                f"{self.label} refused our key. Ask your administrator to check the API key.",
                detail=refused.detail,
            )
        return refused

    def retry_after(self, response: httpx.Response) -> float | None:
        header_s = super().retry_after(response)
        if header_s is not None:
            return header_s
        for item in error_details(response):
            if item.get("@type", "").endswith("google.rpc.RetryInfo"):
                try:
                    return max(0.0, float(str(item.get("retryDelay", "")).removesuffix("s")))
                except ValueError:
                    return None
        return None


class GeminiScriptWriter:
    """Gemini's REST method models/{model}:generateContent, with the answer's JSON schema in
    generationConfig.responseJsonSchema. Plain REST rather than the google-genai SDK: the SDK's
    retries (tenacity) ignore Retry-After, and ProviderHttp gives every provider the same
    retries, refusals, masking and usage records. GEMINI_BASE_URL replaces the host only."""

    name = "gemini"
    label = "Gemini"

    def available(self) -> bool:
        return bool(credentials.get("GEMINI_API_KEY"))

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
        answer = json_answer(response, self.label)
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


def error_details(response: httpx.Response) -> list[dict]:
    """The `details` of a Google API error body ({"error": {"details": [...]}})."""
    try:
        details = response.json()["error"]["details"]
    except (ValueError, KeyError, TypeError):
        return []
    return [item for item in details if isinstance(item, dict)] if isinstance(details, list) else []
