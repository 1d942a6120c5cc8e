"""Test settings: the embedded default (its private Redis started for the session by
tests/conftest.py) unless the environment names PostgreSQL and Redis.

`make test` runs the suite once as is and once more with DATABASE_URL and REDIS_URL pointing at
real servers. Tests start real Celery workers in subprocesses, so SQLite test databases are files
those processes can open (an in-memory database would be invisible to them).
"""

import os
from pathlib import Path

# Set before base reads them: tests keep their databases and their private Redis (tests/conftest.py
# starts it) apart from a development server that may be running, and ignore a developer's .env.
os.environ.setdefault("DJANGO_DATA_DIR", str(Path(__file__).resolve().parents[2] / "var" / "test"))
os.environ.setdefault("DJANGO_READ_DOT_ENV_FILE", "False")
# Short broker leases and frequent heartbeats: every test with a real worker then shows that a
# living worker keeps what it holds (a render outlasts its lease many times over).
os.environ.setdefault("BROKER_LEASE_S", "8")
os.environ.setdefault("RUN_HEARTBEAT_S", "2")
# Scripts come from the template writer unless a test names the local model: a real model writes
# for 20-60 s, which the tests that only need some script would pay hundreds of times. Its own
# tests, make_video's end-to-end tests and the wizard in a browser run it.
os.environ.setdefault("SCRIPT_PROVIDER", "structured")

from .base import *  # noqa: F403
from .base import DATA_DIR, DATABASES, LOGGING, env

DEBUG = False
SECRET_KEY = "test-only-key-not-secret"  # noqa: S105  (tests only)
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

# Fast hashing: password rules are tested through the validators, not through slow hashes
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# In memory; a test worker may be told to write files instead (tests/faults counts what it sent).
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(DATA_DIR / "outbox"))

for alias, database in DATABASES.items():
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["TEST"] = {"NAME": str(DATA_DIR / f"test-{alias}.sqlite3")}

LOGGING["root"]["level"] = env("DJANGO_LOG_LEVEL", default="WARNING")

# The suite signs up many accounts from one address; the tests of the limit set their own.
SIGNUPS_PER_ADDRESS_PER_HOUR = 100_000
