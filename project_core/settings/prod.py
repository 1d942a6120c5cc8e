"""Production settings: secrets and hosts must come from the environment; HTTPS everywhere."""

import sentry_sdk
from django.core.exceptions import ImproperlyConfigured
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.redis import RedisIntegration

from .base import *  # noqa: F403
from .base import LOGGING, MIDDLEWARE, env

# Core: no defaults, so a missing secret stops the process instead of weakening it
DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

# Security: HTTPS redirect behind a TLS-terminating proxy, HSTS and secure cookies
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Static files: served by WhiteNoise (right after SecurityMiddleware), compressed, with
# content-hashed names that can be cached forever
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Email: SMTP from the environment, e.g. smtp+tls://user:password@smtp.example.com:587
_email = env.email_url("EMAIL_URL", default="smtp://localhost:25")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
# Links in emails go to SITE_URL; without it, to https:// and the first allowed host. A host
# pattern (".example.com", "*") names no address, so then SITE_URL must be set.
_host = ALLOWED_HOSTS[0] if ALLOWED_HOSTS else ""
SITE_URL = env("SITE_URL", default="") or (
    f"https://{_host}" if _host and not _host.startswith(".") and "*" not in _host else ""
)
if not SITE_URL:
    raise ImproperlyConfigured(
        "Set SITE_URL to the address people reach the site on (e.g. https://videos.example.com):"
        " emails link to it, and DJANGO_ALLOWED_HOSTS starts with a pattern, not an address."
    )

# Logging: warnings and errors only, unless DJANGO_LOG_LEVEL says otherwise
LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="WARNING")
LOGGING["root"]["level"] = LOG_LEVEL
LOGGING["loggers"]["celery"]["level"] = LOG_LEVEL

# Sentry, when a DSN is configured
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
        integrations=[DjangoIntegration(), CeleryIntegration(), RedisIntegration()],
    )
