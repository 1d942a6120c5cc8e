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

# Production settings with dummy secrets: what `check --deploy` inspects.
PROD_CHECK_ENV := DJANGO_SETTINGS_MODULE=project_core.settings.prod DJANGO_READ_DOT_ENV_FILE=False \
	DJANGO_SECRET_KEY=check-deploy-dummy-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz \
	DJANGO_ALLOWED_HOSTS=videos.example.com DATABASE_URL=$(TEST_DATABASE_URL) \
	REDIS_URL=$(TEST_REDIS_URL)
TEST_ENV := DJANGO_SETTINGS_MODULE=project_core.settings.test

.PHONY: help install run test lint format check-deploy pytest pytest-stack clean

help:
	@echo "make run    set up and start the product on http://127.0.0.1:$(PORT) (web + worker)"
	@echo "make test   set up and run every check: ruff, check --deploy, migrations, pytest"
	@echo "make lint | format | clean"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when a requirements file changed: a second `make run` starts in seconds.
$(INSTALLED): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(INSTALLED)

run: install
	@for db in $$($(MANAGE) shell --verbosity 0 -c "from django.conf import settings; print(*settings.DATABASES)"); do \
		$(MANAGE) migrate --noinput --verbosity 0 --database $$db || exit 1; \
	done
	@$(MANAGE) ensure_demo_user
	@echo "Serving http://127.0.0.1:$(PORT)  (Ctrl-C stops the web server and the worker)"
	@PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-deploy: install
	$(PROD_CHECK_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING

pytest: install
	$(TEST_ENV) $(MANAGE) makemigrations --check --dry-run
	@echo "== pytest: embedded default (SQLite, filesystem broker, SQLite channel layer)"
	$(TEST_ENV) $(BIN)/pytest

# The same suite against PostgreSQL and Redis. Skipped with a notice where they do not answer,
# except in CI (CI=true), where their absence is a failure.
pytest-stack: install
	@if DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python -m tests.stack; then \
		echo "== pytest: production stack (PostgreSQL $(TEST_DATABASE_URL), Redis $(TEST_REDIS_URL))"; \
		$(TEST_ENV) DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest; \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL and Redis are required in CI"; exit 1; \
	else \
		echo "== PostgreSQL or Redis not reachable: the production-stack pass did not run"; \
	fi

test: lint check-deploy pytest pytest-stack

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
