"""Settings per run mode and environment, each read in a fresh process as a server would."""

import json
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import BASE_DIR

PROD_ENV = {
    "DJANGO_SECRET_KEY": "a-production-secret-key-that-is-long-enough-0123456789-abcdefghij",
    "DJANGO_ALLOWED_HOSTS": "videos.example.com",
    "DATABASE_URL": "postgres://videocreator:secret@db.internal:5432/videocreator",
    "REDIS_URL": "redis://cache.internal:6379/0",
}

# Runs inside the child process: prints what the settings resolved to, as JSON.
INSPECT = """
import json, django
django.setup()
from django.conf import settings
import sentry_sdk
client = sentry_sdk.get_client()
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "INSTALLED_APPS": settings.INSTALLED_APPS,
    "MIDDLEWARE": settings.MIDDLEWARE,
    "DATABASES": {alias: db["ENGINE"] for alias, db in settings.DATABASES.items()},
    "DATABASE_OPTIONS": settings.DATABASES["default"].get("OPTIONS", {}),
    "CONN_MAX_AGE": settings.DATABASES["default"].get("CONN_MAX_AGE"),
    "CONN_HEALTH_CHECKS": settings.DATABASES["default"].get("CONN_HEALTH_CHECKS"),
    "CHANNEL_LAYER": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "CHANNEL_HOSTS": [h["address"] for h in settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]],
    "CACHE": settings.CACHES["default"]["BACKEND"],
    "CACHE_LOCATION": settings.CACHES["default"]["LOCATION"],
    "TASK_ACKS_LATE": settings.CELERY_TASK_ACKS_LATE,
    "BROKER": settings.CELERY_BROKER_URL,
    "RESULTS": settings.CELERY_RESULT_BACKEND,
    "BROKER_OPTIONS": settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    "RENDER_TIME_LIMIT": settings.CELERY_RENDER_TIME_LIMIT,
    "SERIALIZERS": [settings.CELERY_TASK_SERIALIZER, settings.CELERY_RESULT_SERIALIZER,
                    settings.CELERY_ACCEPT_CONTENT],
    "STORAGES": {name: s["BACKEND"] for name, s in settings.STORAGES.items()},
    "EMAIL_BACKEND": settings.EMAIL_BACKEND,
    "EMAIL_HOST": getattr(settings, "EMAIL_HOST", None),
    "EMAIL_PORT": getattr(settings, "EMAIL_PORT", None),
    "EMAIL_USE_TLS": getattr(settings, "EMAIL_USE_TLS", None),
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "LOG_LEVEL": settings.LOGGING["root"]["level"],
    "SENTRY_ACTIVE": client.is_active(),
    "SENTRY_INTEGRATIONS": sorted(getattr(client, "integrations", {})),
}))
"""

# Each test reads the settings in a fresh Python process (most start Django there).
pytestmark = pytest.mark.slow


def run_settings(module, extra_env=None):
    # Start from an environment with none of the product's variables, as on a fresh machine.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "SENTRY_", "AWS_"))
    }
    env.update({"DJANGO_SETTINGS_MODULE": module, "DJANGO_READ_DOT_ENV_FILE": "False"})
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-c", INSPECT], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )


def load_settings(module, extra_env=None):
    completed = run_settings(module, extra_env)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_it_runs_embedded_with_no_environment(tmp_path):
    settings = load_settings("project_core.settings.dev", {"DJANGO_DATA_DIR": str(tmp_path)})

    socket = tmp_path / "redis" / "redis.sock"  # where make run's private Redis listens
    assert settings["DEBUG"] is True
    assert settings["DATABASES"] == {"default": "django.db.backends.sqlite3"}
    # The production stack's code path on the private Redis: each client in the URL form it takes.
    assert settings["CHANNEL_LAYER"] == "channels_redis.core.RedisChannelLayer"
    assert settings["CHANNEL_HOSTS"] == [f"unix://{socket}"]
    assert settings["CACHE"] == "django.core.cache.backends.redis.RedisCache"
    assert settings["CACHE_LOCATION"] == f"unix://{socket}"
    assert settings["BROKER"] == settings["RESULTS"] == f"redis+socket://{socket}"
    assert settings["BROKER_OPTIONS"]["visibility_timeout"] <= 300
    assert settings["TASK_ACKS_LATE"] is True
    assert "channels_lite" not in settings["INSTALLED_APPS"]
    assert settings["STORAGES"]["default"] == "django.core.files.storage.FileSystemStorage"


def test_it_uses_postgres_and_redis_when_configured(tmp_path):
    settings = load_settings(
        "project_core.settings.dev",
        {
            "DJANGO_DATA_DIR": str(tmp_path),
            "DATABASE_URL": PROD_ENV["DATABASE_URL"],
            "REDIS_URL": PROD_ENV["REDIS_URL"],
        },
    )

    assert settings["DATABASES"] == {"default": "django.db.backends.postgresql"}
    assert settings["CHANNEL_LAYER"] == "channels_redis.core.RedisChannelLayer"
    assert settings["CHANNEL_HOSTS"] == [PROD_ENV["REDIS_URL"]]
    assert settings["CACHE"] == "django.core.cache.backends.redis.RedisCache"
    assert settings["CACHE_LOCATION"] == PROD_ENV["REDIS_URL"]
    assert settings["BROKER"] == settings["RESULTS"] == PROD_ENV["REDIS_URL"]
    # A dead worker's task comes back within minutes, not after the longest render; a living
    # worker renews its leases (project_core/celery_steps.py), so a render is never handed out
    # twice.
    assert settings["BROKER_OPTIONS"]["visibility_timeout"] <= 300
    assert settings["BROKER_OPTIONS"]["unacked_restore_throttle"] == 1
    assert "channels_lite" not in settings["INSTALLED_APPS"]
    # A small pool per process, never persistent connections per thread (ASGI).
    assert settings["DATABASE_OPTIONS"]["pool"]["max_size"] == 4
    assert settings["CONN_MAX_AGE"] == 0
    # A connection the server dropped while pooled is replaced, not handed to a request.
    assert settings["CONN_HEALTH_CHECKS"] is True


def test_it_can_turn_the_database_pool_off(tmp_path):
    settings = load_settings(
        "project_core.settings.prod",
        {**PROD_ENV, "DJANGO_DATA_DIR": str(tmp_path), "DATABASE_POOL_MAX_SIZE": "0"},
    )

    assert "pool" not in settings["DATABASE_OPTIONS"]
    assert settings["CONN_MAX_AGE"] == 0


def test_it_serialises_tasks_as_json_only():
    settings = load_settings("project_core.settings.test")

    assert settings["SERIALIZERS"] == ["json", "json", ["json"]]


def test_development_has_the_debug_toolbar_and_console_email():
    settings = load_settings("project_core.settings.dev")

    assert "debug_toolbar" in settings["INSTALLED_APPS"]
    assert "debug_toolbar.middleware.DebugToolbarMiddleware" in settings["MIDDLEWARE"]
    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert settings["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    assert "whitenoise.middleware.WhiteNoiseMiddleware" not in settings["MIDDLEWARE"]


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(missing):
    env = {key: value for key, value in PROD_ENV.items() if key != missing}

    completed = run_settings("project_core.settings.prod", env)

    assert completed.returncode != 0
    assert f"Set the {missing} environment variable" in completed.stderr


def test_production_enforces_https_and_secure_cookies():
    settings = load_settings("project_core.settings.prod", PROD_ENV)

    assert settings["DEBUG"] is False
    assert settings["ALLOWED_HOSTS"] == ["videos.example.com"]
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_HSTS_SECONDS"] >= 365 * 24 * 60 * 60
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True


def test_production_serves_static_through_whitenoise_and_has_no_debug_toolbar():
    settings = load_settings("project_core.settings.prod", PROD_ENV)

    assert settings["MIDDLEWARE"][:2] == [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]
    assert settings["STORAGES"]["staticfiles"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    assert "debug_toolbar" not in settings["INSTALLED_APPS"]
    assert settings["LOG_LEVEL"] == "WARNING"


def test_production_sends_email_through_smtp_from_the_environment():
    settings = load_settings(
        "project_core.settings.prod",
        {**PROD_ENV, "EMAIL_URL": "smtp+tls://mailer:pw@smtp.example.com:587"},
    )

    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (settings["EMAIL_HOST"], settings["EMAIL_PORT"]) == ("smtp.example.com", 587)
    assert settings["EMAIL_USE_TLS"] is True


def test_production_reports_to_sentry_only_when_a_dsn_is_set():
    without = load_settings("project_core.settings.prod", PROD_ENV)
    with_dsn = load_settings(
        "project_core.settings.prod",
        {**PROD_ENV, "SENTRY_DSN": "https://public@sentry.example.com/1"},
    )

    assert without["SENTRY_ACTIVE"] is False
    assert with_dsn["SENTRY_ACTIVE"] is True
    assert {"django", "celery", "redis"} <= set(with_dsn["SENTRY_INTEGRATIONS"])


def test_it_stores_media_on_s3_when_a_bucket_is_named():
    settings = load_settings(
        "project_core.settings.prod", {**PROD_ENV, "AWS_STORAGE_BUCKET_NAME": "videos-media"}
    )

    assert settings["STORAGES"]["default"] == "storages.backends.s3.S3Storage"


def test_check_deploy_is_clean_on_production_settings():
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(PROD_ENV)
    env.update(
        {"DJANGO_SETTINGS_MODULE": "project_core.settings.prod", "DJANGO_READ_DOT_ENV_FILE": "0"}
    )

    completed = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )

    assert completed.returncode == 0, completed.stderr
    assert "System check identified no issues" in completed.stdout


def test_env_example_documents_every_variable_the_settings_read():
    settings_source = "".join(
        path.read_text() for path in (BASE_DIR / "project_core" / "settings").glob("*.py")
    )
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z0-9_]+)"', settings_source))
    documented = set(
        re.findall(r"^#?\s*([A-Z0-9_]+)=", (BASE_DIR / ".env.example").read_text(), re.M)
    )

    assert read, "the pattern no longer finds the settings' variables"
    assert read - documented == set()
