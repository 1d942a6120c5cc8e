"""Fixtures for the product's page and service tests, and a local S3 server (moto) for storage."""

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass

import boto3
import pytest
from django.core.files.storage import default_storage
from moto.server import ThreadedMotoServer

from tests.conftest import BASE_DIR
from video_app.engine.core import http, usage


@pytest.fixture
def waits(monkeypatch):
    """The pauses the HTTP client would have slept between retries (it doesn't, in tests)."""
    slept = []
    monkeypatch.setattr(http, "sleep", slept.append)
    return slept


@pytest.fixture
def calls():
    """The usage records of provider calls made during the test."""
    records = []
    usage.add_sink(records.append)
    yield records
    usage.remove_sink(records.append)


# --- S3 (moto's local server) -------------------------------------------------------------------

REGION = "eu-west-1"

# Runs in a fresh process: the storage settings the base block reads from the environment.
INSPECT = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "STORAGES": settings.STORAGES,
    **{name: getattr(settings, name) for name in dir(settings) if name.startswith("AWS_")},
}))
"""


@pytest.fixture(scope="session")
def s3_server():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def s3_settings(s3_server):
    """The storage settings of a production environment that names a bucket."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        DJANGO_SETTINGS_MODULE="project_core.settings.test",
        AWS_S3_REGION_NAME=REGION,
        AWS_STORAGE_BUCKET_NAME="media",
        AWS_S3_ENDPOINT_URL=s3_server,
    )
    completed = subprocess.run(
        [sys.executable, "-c", INSPECT], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


@dataclass
class Bucket:
    name: str
    client: object

    def keys(self) -> set[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def head(self, key: str) -> dict:
        return self.client.head_object(Bucket=self.name, Key=key)


@pytest.fixture
def bucket(s3_server, s3_settings, settings, monkeypatch, tmp_path):
    """Default storage on a fresh, empty bucket; the render cache and MEDIA_ROOT in tmp_path."""
    # Dummy credentials, and none of the machine's own AWS configuration.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    name = f"media-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_server, region_name=REGION)
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    for setting, value in s3_settings.items():
        setattr(settings, setting, value)
    settings.AWS_STORAGE_BUCKET_NAME = name
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RENDER_CACHE_DIR = tmp_path / "render-cache"
    # Storage is rebuilt when STORAGES changes: set last, so the new one reads the above.
    settings.STORAGES = {**s3_settings["STORAGES"]}
    assert default_storage.bucket_name == name
    return Bucket(name=name, client=client)
