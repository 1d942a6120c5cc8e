"""Request bodies refused by their size before they are read, so a 600 MB upload costs the site
a header, not 600 MB of disk and a minute of a worker's time.

`max_body_bytes` is the one rule. Django's ASGI handler spools a whole body to disk before any
middleware runs, so production applies the rule outside Django: `limit_request_bodies` wraps
the ASGI app (project_core/asgi.py) and answers 413 on the Content-Length at once, or, for a
chunked body, as soon as the bytes received pass the limit. `RequestBodyLimitMiddleware` applies
the same rule inside Django for bodies that reach it another way (WSGI, the test client).
"""

import json

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.html import format_html

from .content_validator import MB, ContentValidator

# A multipart form wraps the file in a few hundred bytes (boundaries, headers, the CSRF token).
FORM_OVERHEAD_BYTES = 64 * 1024
# Where files are posted: the largest file we take, in its form.
UPLOAD_URL_NAMES = {"video_app:scene_media_upload"}


def max_body_bytes(path: str) -> int:
    """The largest request body the URL at `path` takes. The API takes JSON only; pages take
    form fields only (Django's own limit for them), except the upload forms and admin."""
    if path.startswith("/api/"):
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        match = resolve(path)
    except Resolver404:
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if match.view_name in UPLOAD_URL_NAMES or match.app_name == "admin":
        return ContentValidator.MAX_VIDEO_SIZE + FORM_OVERHEAD_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def refusal_sentence(path: str, size_bytes: int | None) -> str:
    limit = max_body_bytes(path)
    size = (
        f"This request is {size_bytes / MB:.1f} MB" if size_bytes else "This request is too large"
    )
    if limit > ContentValidator.MAX_VIDEO_SIZE:
        return f"{size}; files can be at most {ContentValidator.MAX_VIDEO_SIZE / MB:g} MB."
    return f"{size}; the most this address accepts is {limit / MB:.1f} MB."


def _is_api(path: str) -> bool:
    return path.startswith("/api/")


def _page(sentence: str) -> str:
    return format_html(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Too large</title>'
        "</head><body><h1>Too large</h1><p>{}</p><p>Go back and choose a smaller file."
        "</p></body></html>",
        sentence,
    )


# --- Inside Django ------------------------------------------------------------------------------


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            size_bytes = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size_bytes = 0
        if size_bytes > max_body_bytes(request.path_info):
            sentence = refusal_sentence(request.path_info, size_bytes)
            if _is_api(request.path_info):
                return JsonResponse({"detail": sentence}, status=413)
            return HttpResponse(_page(sentence), status=413)
        return self.get_response(request)


# --- Around Django (ASGI) -----------------------------------------------------------------------


def limit_request_bodies(app):
    """The ASGI `app`, refusing over-size HTTP request bodies before they are read."""

    async def limited(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        path = scope.get("path", "")
        limit = max_body_bytes(path)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            return await _refuse(send, path, declared)
        received = 0
        too_large = False
        started = False

        async def counting_receive():
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Django stops reading at a disconnect and answers nothing: we answer.
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        async def watching_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        await app(scope, counting_receive, watching_send)
        if too_large and not started:
            await _refuse(send, path, None)

    return limited


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(send, path: str, size_bytes: int | None) -> None:
    sentence = refusal_sentence(path, size_bytes)
    if _is_api(path):
        body, content_type = json.dumps({"detail": sentence}).encode(), b"application/json"
    else:
        body, content_type = _page(sentence).encode(), b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is never read: the connection can't carry another request.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
