"""Recorded HTTP exchanges, replayed by a real local HTTP server (pytest-httpserver): providers
talk HTTP exactly as they would to the service, only the base URL differs, and no test reaches
the network.

A recording is `tests/recordings/<provider>/<case>.json`:

    {"doc": "where the shape comes from (the API reference's URL)",
     "exchanges": [
        {"request": {"method": "GET", "path": "/v1/search",
                     "query": {"query": "ocean"},          # optional: must match exactly
                     "headers": {"Authorization": "key"}}, # optional: must be present and equal
         "response": {"status": 200, "headers": {...},
                      "json": {...} | "text": "..." | "file": "pexels/photo.jpg"}}]}

Exchanges are answered once each, in order, so a 429 followed by a 200 replays a retry. `file`
bodies live in `tests/recordings/files/`. Unexpected requests fail the test (`check_assertions`).

`{server}` in a `json` or `text` body stands for the replay server's own address
("http://localhost:PORT"): links an answer points at (a photo to download) are served by the
same recording.
"""

import json
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Response

RECORDINGS = Path(__file__).resolve().parents[2] / "recordings"


def replay(server: HTTPServer, *names: str) -> list[dict]:
    """Serve the exchanges of the named recordings, in order; returns them for assertions."""
    exchanges = []
    for name in names:
        recording = json.loads((RECORDINGS / f"{name}.json").read_text())
        exchanges.extend(recording["exchanges"])
    for exchange in exchanges:
        request, answer = exchange["request"], exchange["response"]
        handler = server.expect_ordered_request(
            request["path"],
            method=request.get("method", "GET"),
            query_string=request.get("query"),
            headers=request.get("headers"),
        )
        handler.respond_with_response(_response(answer, server.url_for("").rstrip("/")))
    return exchanges


def serve_always(server: HTTPServer, name: str) -> None:
    """Answer every request to the recording's paths with its answers, however often and with
    whatever query (for a whole render, where the calls' number and order vary by scene)."""
    recording = json.loads((RECORDINGS / f"{name}.json").read_text())
    for exchange in recording["exchanges"]:
        request, answer = exchange["request"], exchange["response"]
        server.expect_request(
            request["path"], method=request.get("method", "GET")
        ).respond_with_response(_response(answer, server.url_for("").rstrip("/")))


def _response(answer: dict, server_url: str) -> Response:
    headers = dict(answer.get("headers", {}))
    if "json" in answer:
        body = json.dumps(answer["json"]).replace("{server}", server_url).encode()
        headers.setdefault("Content-Type", "application/json")
    elif "file" in answer:
        body = (RECORDINGS / "files" / answer["file"]).read_bytes()
    else:
        body = answer.get("text", "").replace("{server}", server_url).encode()
    return Response(body, status=answer.get("status", 200), headers=headers)
