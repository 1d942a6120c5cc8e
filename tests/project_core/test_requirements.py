"""The production image installs requirements.txt alone (Dockerfile), while the tests run with the
development packages too: what production needs must be in requirements.txt itself."""

import re

from tests.conftest import BASE_DIR


def production_packages() -> set[str]:
    lines = (BASE_DIR / "requirements.txt").read_text().splitlines()
    return {
        re.split(r"[\s=<>!~\[;]", line.strip())[0].lower()
        for line in lines
        if line.strip() and not line.lstrip().startswith("#")
    }


def test_production_gives_uvicorn_a_websocket_protocol():
    # Without one, uvicorn answers every WebSocket upgrade with "Unsupported upgrade request":
    # no live progress and no notifications.
    assert production_packages() & {"websockets", "wsproto"}


def test_production_has_the_web_server_the_image_runs():
    assert {"gunicorn", "uvicorn-worker"} <= production_packages()
