"""Any OpenAI-compatible chat server as a script writer ("openai": OpenAI, Ollama, vLLM,
llama.cpp), over plain REST through `core.http.ProviderHttp`, so it times out, retries, refuses
and reports usage like every other cloud provider. The prompt and the repair loop are `chat`'s.
"""

import logging
from urllib.parse import urlsplit

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
    unreadable,
)

logger = logging.getLogger(__name__)

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


class OpenAIScriptWriter:
    """The chat completions method (POST {OPENAI_BASE_URL}/chat/completions) of OpenAI or of any
    server that copies it: Ollama, vLLM, llama.cpp. The answer's shape is asked for with
    response_format json_schema (strict); a server that rejects that with a 400 is asked once
    more with json_object, and the rest of the write keeps to it. No key, no Authorization
    header: local servers need none."""

    name = "openai"
    response_format = JSON_SCHEMA_FORMAT

    def available(self) -> bool:
        # Local servers (Ollama, vLLM) need no key; OpenAI itself does.
        base_url = settings.OPENAI_BASE_URL
        return bool(base_url) and (
            bool(credentials.get("OPENAI_API_KEY")) or urlsplit(base_url).hostname != OPENAI_HOST
        )

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
        answer = json_answer(response, http.label)
        record_tokens(http.label, (answer.get("usage") or {}).get("total_tokens"))
        try:
            choice = answer["choices"][0]
            message = choice["message"]
        except (KeyError, IndexError, TypeError):
            raise unreadable(http.label, response, "no choices[0].message") from None
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
