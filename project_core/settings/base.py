"""Settings shared by every environment (dev, prod, test).

Everything that varies between machines is read from the environment through django-environ;
`.env.example` documents each variable. With no environment at all the product runs in its
embedded default: SQLite, media on local disk, and a private Redis of this checkout (Debian's
redis-server on a unix socket in the data folder, started by `make run`) for the Celery broker
and results, the channel layer and the cache. `REDIS_URL` names another Redis for the same
uses, one code path in both modes; `DATABASE_URL` picks PostgreSQL.
"""

from datetime import timedelta
from pathlib import Path

import environ
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parents[2]

env = environ.Env()
# An explicit environment always wins over the file (read_env never overwrites).
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=True) and (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")

PRODUCT_NAME = "AI Video Creator"

# Runtime data of the embedded default: databases, media, the private Redis's socket and data.
DATA_DIR = Path(env.str("DJANGO_DATA_DIR", default=str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

# Redis: the server REDIS_URL names, or else the embedded default's own (project_core/
# supervisord.conf runs it): no TCP port, a socket only this user may open, and an append-only
# file beside it, so queued tasks outlive a restart of Redis.
EMBEDDED_REDIS_DIR = DATA_DIR / "redis"
EMBEDDED_REDIS = not env("REDIS_URL", default="")
REDIS_URL = f"unix://{EMBEDDED_REDIS_DIR / 'redis.sock'}" if EMBEDDED_REDIS else env("REDIS_URL")

# Core
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
ROOT_URLCONF = "project_core.urls"
WSGI_APPLICATION = "project_core.wsgi.application"
ASGI_APPLICATION = "project_core.asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Internationalisation
LANGUAGE_CODE = "en-us"
TIME_ZONE = env("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# Applications
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "crispy_forms",
    "crispy_bootstrap5",
    "djstripe",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "video_app",
    "payments_app",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads a body: over-size requests get a 413 sentence (# Uploads).
    "video_app.security.request_limits.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a refused sign-in into the page that says when to retry.
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "video_app.context_processors.product",
            ],
        },
    },
]

# Databases: SQLite in the embedded default, anything DATABASE_URL names otherwise
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
}
SQLITE_OPTIONS = {
    # The web server and the worker write concurrently: WAL lets readers proceed, IMMEDIATE
    # transactions plus a timeout make writers queue instead of failing with "database is locked".
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
else:
    # A pool per process (psycopg's, through Django) instead of persistent connections: under
    # ASGI every thread that touched the database kept its own connection open, and three web
    # workers held 97 of PostgreSQL's 100. A pool bounds each process; the server must allow
    #   web workers x DATABASE_POOL_MAX_SIZE + worker processes x DATABASE_POOL_MAX_SIZE + a few
    # (docs/architecture.md, "Database connections"). 0 turns the pool off: a connection per
    # request, closed after it.
    DATABASE_POOL_MAX_SIZE = env.int("DATABASE_POOL_MAX_SIZE", default=4)
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # a pool requires it; without one, the safe choice
    if DATABASE_POOL_MAX_SIZE:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(1, DATABASE_POOL_MAX_SIZE),
            "max_size": DATABASE_POOL_MAX_SIZE,
            # A request waits this long for a free connection, then fails with an error page.
            # Bursts of logins hold connections while they hash passwords (0.3 s of CPU each):
            # 50 at once on 2 cores waited over 10 s for one.
            "timeout": env.float("DATABASE_POOL_TIMEOUT_S", default=30.0),
            # Idle connections above min_size are closed after this long.
            "max_idle": 60.0,
        }
    # With a pool, Django has each connection handed out checked first (psycopg's
    # check_connection, an empty query): one the server dropped while it sat in the pool (a
    # restart, a failover) is replaced instead of failing the request or task that drew it.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Channels: the layer every process (web, workers, commands) publishes to and listens on. A
# listener blocks in Redis for up to 5 s per wait (channels_redis), and redis-py 8 gives up
# reading after 5 s by default: every WebSocket idle that long was closed with an error.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
            "prefix": "videocreator:channels",
        },
    }
}

# Cache: shared by every process
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "videocreator",
    }
}

# Authentication. The first backend refuses sign-ins after too many failures (django-axes); every
# password sign-in (the login page, admin) goes through Django's authenticate, hence through it.
AUTHENTICATION_BACKENDS = [
    "video_app.security.login_throttle.LoginThrottleBackend",
    "video_app.auth_backends.UsernameOrEmailBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "video_app:dashboard"
LOGOUT_REDIRECT_URL = "video_app:home"
# Sign-in throttling (video_app/security/login_throttle.py). Failures are counted per account
# (whatever identifier was typed) and per address, in the database: shared by every process,
# kept over restarts, never evicted like cache entries, visible and clearable in admin. An
# address may fail more often than an account (an office or a mobile network shares one). A
# sign-in is refused for LOGIN_LOCKOUT_MINUTES after the failure that reached a limit; tries
# while refused are not counted, so the time the page states stays true. Success clears the
# account's failures. The client address is REMOTE_ADDR: behind the production proxy, gunicorn's
# uvicorn workers set it from X-Forwarded-For only for FORWARDED_ALLOW_IPS (the trusted proxies).
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=10)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=50)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
# New accounts per client address per hour (video_app/security/rate_limits.py).
SIGNUPS_PER_ADDRESS_PER_HOUR = env.int("SIGNUPS_PER_ADDRESS_PER_HOUR", default=10)
AXES_HANDLER = "video_app.security.login_throttle.LoginThrottleHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = LOGIN_FAILURES_PER_ACCOUNT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "video_app.security.login_throttle.account_key"
AXES_LOCKOUT_CALLABLE = "video_app.security.login_throttle.lockout_response"
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are not ours to keep

# Static files (Bootstrap is vendored under static/: no CDN) and media
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Media on S3 (django-storages + boto3) as soon as a bucket is named; credentials come from the
# standard AWS variables or the instance role, so none are required here.
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default=None)
    AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    AWS_QUERYSTRING_EXPIRE = env.int("AWS_QUERYSTRING_EXPIRE", default=3600)
    # boto3 presigns with the deprecated SigV2 unless told otherwise; buckets created since 2020
    # and newer regions refuse it. SigV4 links are signed for AWS_S3_REGION_NAME.
    AWS_S3_SIGNATURE_VERSION = "s3v4"
    AWS_S3_FILE_OVERWRITE = False

# REST API (video_app/api): a token for scripts, the session (with CSRF) for the browser; the
# caller's plan sets the hourly rate (counted in the cache); refusals are JSON sentences.
REST_FRAMEWORK = {
    # Token first: an anonymous call gets 401 with "WWW-Authenticate: Token".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["video_app.api.throttling.PlanRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "video_app.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"{PRODUCT_NAME} API",
    "DESCRIPTION": (
        "Projects, their scenes, renders and variations. Authenticate with "
        "`Authorization: Token <key>` (get a key at /api/token/) or a signed-in session."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Separate request and response shapes: read-only fields are not asked for in requests.
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PlatformEnum": "video_app.models.PLATFORM_CHOICES",
        "StyleEnum": "video_app.models.STYLE_CHOICES",
    },
    # Swagger UI from static/ (drf-spectacular-sidecar), never a CDN. (Not Redoc: its page
    # loads Google's fonts.)
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# Uploads: request bodies are refused by size before they are read (video_app/security/
# request_limits.py: the API and pages take DATA_UPLOAD_MAX_MEMORY_SIZE, the upload forms the
# largest file plus its form); the content validator then judges each file. The API's JSON
# parser answers deep nesting with a 400 sentence.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # Django's default, 2.5 MB, stated: the API's limit
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = ["video_app.api.parsers.JSONParser"]

# Forms
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=f"{PRODUCT_NAME} <noreply@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_SUBJECT_PREFIX = f"[{PRODUCT_NAME}] "
EMAIL_TIMEOUT = 10
# The address people reach the site on, for links in emails and in Stripe's settings (emails
# are sent by workers, which have no request to read it from). `make run` sets it from PORT.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# Celery: everything under the CELERY_ namespace (see project_core/celery.py)
CELERY_TIMEZONE = TIME_ZONE
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 24 * 60 * 60
CELERY_RESULT_EXTENDED = True
CELERY_TASK_TRACK_STARTED = True
# A task that is killed or whose worker dies is redelivered, not lost; one task at a time per
# process keeps a long render from hoarding queued work.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_RENDER_TIME_LIMIT = env.int("CELERY_RENDER_TIME_LIMIT", default=2 * 60 * 60)
# Heavy rendering and light work (scripts, emails, bookkeeping) live on separate queues so quick
# steps never wait behind a long encode; workers can be scaled per queue.
CELERY_TASK_DEFAULT_QUEUE = "light"
CELERY_TASK_QUEUES = (Queue("light"), Queue("render"))
CELERY_TASK_ROUTES = {
    "video_app.tasks.render_*": {"queue": "render"},
    "video_app.tasks.export_*": {"queue": "render"},
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Lost work (project_core/celery_steps.py, video_app/services/watchdog.py). A task a worker holds
# is a lease of BROKER_LEASE_S that the living worker renews every quarter of it (both modes):
# when the worker dies the lease runs out and the task is handed out again within minutes, on
# any queue, however long the task may legitimately run (a render: hours). A running pipeline
# task also shows a sign of life in the database every RUN_HEARTBEAT_S; a run whose task went
# RUN_LOST_AFTER_S without one, and was not picked up again, is failed so it can be retried.
BROKER_LEASE_S = env.int("BROKER_LEASE_S", default=120)
RUN_HEARTBEAT_S = env.int("RUN_HEARTBEAT_S", default=30)
RUN_LOST_AFTER_S = env.int("RUN_LOST_AFTER_S", default=600)
# A task whose process died this many times (the same task, never finished) fails its run: it
# would otherwise be handed out, and kill a worker, forever.
RUN_MAX_TASK_ATTEMPTS = env.int("RUN_MAX_TASK_ATTEMPTS", default=3)
# A run whose work vanished (no task in hand, none in the broker) is queued again from its last
# finished step this many times, then failed. A running task looks every RUN_CANCEL_CHECK_S
# whether its run was cancelled (its FFmpeg is then killed). Temporary files a killed encode
# left are deleted once untouched for RENDER_PARTIAL_STALE_S: longer than any task may run, so
# never one that a living encode is writing.
RUN_MAX_RESUMES = env.int("RUN_MAX_RESUMES", default=3)
RUN_CANCEL_CHECK_S = env.float("RUN_CANCEL_CHECK_S", default=1.0)
# kombu spells a unix socket its own way (redis+socket://); redis-py, channels_redis and Django's
# cache take only unix://.
CELERY_BROKER_URL = REDIS_URL.replace("unix://", "redis+socket://", 1)
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
# Priorities (a plan's queue priority): Redis keeps one list per step and serves 0 first.
# Expired leases are looked for every 10 s, or more often for shorter leases (kombu's default
# scans every 100 s).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": BROKER_LEASE_S,
    "unacked_restore_interval": max(1, min(10, BROKER_LEASE_S // 4)),
    "unacked_restore_throttle": 1,
    "priority_steps": list(range(10)),
    "sep": ":",
    "queue_order_strategy": "priority",
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = CELERY_BROKER_TRANSPORT_OPTIONS
# Redis restarting (a supervisor's restart, a failover) is waited out, not turned into failures.
# A task that ends while Redis is away stores its result once Redis is back (retried about every
# 10 s, for a few minutes): otherwise it counts as failed in its chord, the chord's next step is
# never sent, and the run waits for the watchdog. Publishing (a chord's next step, a replaced
# task's canvas) is retried for about 15 s: a page that queues a run waits as long.
# The running task goes on meanwhile; its message stays in Redis's append-only file, and the
# worker renews its lease on the new connection (KeepLeases).
CELERY_RESULT_BACKEND_ALWAYS_RETRY = True
CELERY_RESULT_BACKEND_MAX_RETRIES = 40
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 6,
    "interval_start": 0,
    "interval_step": 1,
    "interval_max": 5,
}
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False

# Video engine: a provider per capability (the offline defaults need no key and no network)
AI_PROVIDERS = {
    "script": env("SCRIPT_PROVIDER", default="structured"),
    "media": env("MEDIA_PROVIDER", default="illustrated"),
    "voice": env("VOICE_PROVIDER", default="piper"),
    "render": env("RENDER_ENGINE", default="ffmpeg"),
}
# Cloud and local providers, each switched on by its provider name above plus its key. Keys may
# also be kept in admin (ProviderKey); the environment wins. *_BASE_URL point a provider at a
# proxy or a compatible server (and the tests at their recorded exchanges).
PROVIDER_TIMEOUT_S = env.float("PROVIDER_TIMEOUT_S", default=30.0)
# Writing a script takes a model far longer than a search or a voice (thinking models, a local
# model on a CPU): its own, longer limit.
SCRIPT_PROVIDER_TIMEOUT_S = env.float("SCRIPT_PROVIDER_TIMEOUT_S", default=120.0)
GEMINI_API_KEY = env("GEMINI_API_KEY", default="")
GEMINI_MODEL = env("GEMINI_MODEL", default="gemini-2.5-flash")
GEMINI_BASE_URL = env("GEMINI_BASE_URL", default="")
OPENAI_API_KEY = env("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env("OPENAI_BASE_URL", default="https://api.openai.com/v1")
OPENAI_MODEL = env("OPENAI_MODEL", default="gpt-4o-mini")
TRANSFORMERS_MODEL_PATH = env("TRANSFORMERS_MODEL_PATH", default="")
PEXELS_API_KEY = env("PEXELS_API_KEY", default="")
PEXELS_BASE_URL = env("PEXELS_BASE_URL", default="https://api.pexels.com")
PIXABAY_API_KEY = env("PIXABAY_API_KEY", default="")
PIXABAY_BASE_URL = env("PIXABAY_BASE_URL", default="https://pixabay.com")
STABILITY_API_KEY = env("STABILITY_API_KEY", default="")
STABILITY_BASE_URL = env("STABILITY_BASE_URL", default="https://api.stability.ai")
POLLY_REGION = env("POLLY_REGION", default="us-east-1")
POLLY_ENDPOINT_URL = env("POLLY_ENDPOINT_URL", default="")
COQUI_MODEL_PATH = env("COQUI_MODEL_PATH", default="")
# Models, voices and art from registry packages (engine/core/packaged_models.py), installed by
# `make install` outside the repo so that every checkout and the tests share one copy (1.5 GB).
PACKAGED_MODELS_DIR = Path(
    env.str("PACKAGED_MODELS_DIR", default="") or "~/.cache/ai-video-creator/models"
).expanduser()
# The packaged script model writes scripts ("local") wherever it is installed; the template writer
# ("structured") elsewhere. Seconds a whole script may take, repair included, and CPU threads
# (one measured fastest on a busy two-core machine: tests/bench_local_writer.py).
if (PACKAGED_MODELS_DIR / "script-model" / "model.gguf").is_file():
    AI_PROVIDERS["script"] = env("SCRIPT_PROVIDER", default="local")
SCRIPT_MODEL_TIMEOUT_S = env.float("SCRIPT_MODEL_TIMEOUT_S", default=120.0)
SCRIPT_MODEL_THREADS = env.int("SCRIPT_MODEL_THREADS", default=1)
# Extra Piper voices: a folder of <voice>.onnx + <voice>.onnx.json pairs (packaged voices are
# found without it). Threads per sentence being spoken (sentences are spoken in parallel).
PIPER_VOICES_DIR = env("PIPER_VOICES_DIR", default="")
PIPER_THREADS = env.int("PIPER_THREADS", default=1)
# Kokoro voices (English, Spanish; installed with the packaged models): threads per sentence.
KOKORO_THREADS = env.int("KOKORO_THREADS", default=1)
# Whisper base, for checking what a voice said (tests/bench_voices.py): threads per recognition.
WHISPER_THREADS = env.int("WHISPER_THREADS", default=1)
# Pieces of a video rendered at once. Each FFmpeg encode of 1080p takes about 300 MB; one at a
# time keeps a render under 400 MB and already uses every core (x264 is multi-threaded).
RENDER_WORKERS = env.int("RENDER_WORKERS", default=1)
# Rendered scene segments, reused while a scene's inputs are unchanged.
RENDER_CACHE_DIR = Path(env.str("RENDER_CACHE_DIR", default=str(DATA_DIR / "render-cache")))
RENDER_PARTIAL_STALE_S = env.int("RENDER_PARTIAL_STALE_S", default=CELERY_RENDER_TIME_LIMIT + 600)
# x264 speed/size trade-off. At the engine's CRF 20, "superfast" measured the same quality as
# "veryfast" (SSIM 0.997 against a lossless render) 23% sooner and in less memory, for files
# about twice as large (still under YouTube's 8 Mbps for 1080p). Avoid "ultrafast": no CABAC.
RENDER_X264_PRESET = env("RENDER_X264_PRESET", default="superfast")

# Stripe billing through dj-stripe. Without a secret key billing is off: everyone has the free
# plan or one granted by staff, and the pricing page says payments are not available.
STRIPE_LIVE_MODE = env.bool("STRIPE_LIVE_MODE", default=False)
STRIPE_TEST_SECRET_KEY = env("STRIPE_TEST_SECRET_KEY", default="")
STRIPE_LIVE_SECRET_KEY = env("STRIPE_LIVE_SECRET_KEY", default="")
# The Stripe Prices (price_...) the paid plans subscribe to, copied onto the plans after migrate.
STRIPE_PRICE_CREATOR = env("STRIPE_PRICE_CREATOR", default="")
STRIPE_PRICE_PRO = env("STRIPE_PRICE_PRO", default="")
# The webhook endpoint registered in Stripe's dashboard as SITE_URL/stripe/webhook/<uuid>/, and
# its signing secret; `manage.py stripe_webhook_endpoint` stores them where dj-stripe looks.
STRIPE_WEBHOOK_UUID = env("STRIPE_WEBHOOK_UUID", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
DJSTRIPE_WEBHOOK_VALIDATION = "verify_signature"

# Logging: everything to the console, where the process manager collects it
LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "verbose": {"format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "verbose"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery": {"level": LOG_LEVEL},
    },
}
