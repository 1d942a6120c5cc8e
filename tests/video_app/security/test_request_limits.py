"""Over-size request bodies are refused before they are read: by the ASGI app production serves
(called directly, and behind a real uvicorn), and by Django's middleware for WSGI callers."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from video_app.security.content_validator import MB

ROOT = Path(__file__).resolve().parents[3]
UPLOAD_PATH = "/projects/1/scenes/1/media/upload/"


# --- The ASGI app, called directly ---------------------------------------------------------------


def call_asgi(path: str, headers: list[tuple[bytes, bytes]], chunks: list[bytes]):
    """The response of project_core.asgi to a POST whose body is `chunks` and then never ends,
    and how many chunks the app asked for."""
    from project_core.asgi import application

    sent = []
    asked = 0

    async def receive():
        nonlocal asked
        asked += 1
        if asked <= len(chunks):
            return {"type": "http.request", "body": chunks[asked - 1], "more_body": True}
        await asyncio.sleep(3600)  # the rest of the body never arrives

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    asyncio.run(asyncio.wait_for(application(scope, receive, send), timeout=20))
    return sent, asked


def test_it_refuses_a_declared_over_size_upload_before_reading_any_of_it():
    sent, asked = call_asgi(
        UPLOAD_PATH,
        [
            (b"content-type", b"multipart/form-data; boundary=x"),
            (b"content-length", str(600 * MB).encode()),
        ],
        [b"x" * 65536],
    )

    assert asked == 0
    assert sent[0]["status"] == 413
    assert b"This request is 600.0 MB; files can be at most 500 MB." in sent[1]["body"]


def test_it_stops_reading_a_chunked_api_body_once_it_passes_the_limit():
    chunk = b" " * MB
    sent, asked = call_asgi(
        "/api/v1/projects/", [(b"content-type", b"application/json")], [chunk] * 100
    )

    assert asked == 3  # 2.5 MB is the limit: the third megabyte passes it
    assert sent[0]["status"] == 413
    assert (b"content-type", b"application/json") in sent[0]["headers"]
    assert json.loads(sent[1]["body"]) == {
        "detail": "This request is too large; the most this address accepts is 2.5 MB."
    }


# --- Behind a real server -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    """uvicorn serving project_core.asgi, as gunicorn's uvicorn workers do in production."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project_core.settings.test"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "project_core.asgi:application",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 300  # starting Django on a busy machine can take minutes
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    yield port
    process.terminate()
    process.wait(timeout=10)


@pytest.mark.slow  # a real server process
def test_it_answers_413_to_a_600_mb_upload_after_its_first_kilobytes(server):
    with socket.create_connection(("127.0.0.1", server), timeout=10) as connection:
        connection.sendall(
            f"POST {UPLOAD_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: multipart/form-data; boundary=x\r\n"
            f"Content-Length: {600 * MB}\r\n\r\n".encode()
            + b"x" * 65536
        )
        started = time.monotonic()
        answer = b""
        while b"</html>" not in answer and (chunk := connection.recv(65536)):
            answer += chunk

    assert time.monotonic() - started < 5  # not after 600 MB
    assert answer.startswith(b"HTTP/1.1 413")
    assert b"This request is 600.0 MB; files can be at most 500 MB." in answer


# --- Inside Django (WSGI, the test client) ------------------------------------------------------


@pytest.mark.django_db
def test_it_answers_json_413_to_an_api_body_over_2_5_mb(alice):
    from tests.video_app.api.conftest import token_client

    body = json.dumps({"topic": "x" * 3 * MB})
    response = token_client(alice).post("/api/v1/projects/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {
        "detail": "This request is 3.0 MB; the most this address accepts is 2.5 MB."
    }


@pytest.mark.django_db
def test_it_answers_a_page_413_to_an_upload_over_the_largest_file(alice_client):
    response = alice_client.generic(
        "POST",
        UPLOAD_PATH,
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(501 * MB),
    )

    assert response.status_code == 413
    assert "This request is 501.0 MB; files can be at most 500 MB." in response.content.decode()
