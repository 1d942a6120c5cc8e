"""How the suite builds its test databases in seconds, on an idle machine or a busy one.

Replaying every migration (dj-stripe's above all) costs a minute of CPU: over five minutes on a busy
machine. So SQLite test databases are built from the models (post_migrate still installs the
built-in templates and plans), and PostgreSQL ones are copies of a template database built by
replaying the real migrations, once per set of migration files. The migrations stay tested: by that
replay, and by `makemigrations --check` in `make pytest`.
"""

import contextlib
import hashlib
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

BASE_DIR = Path(__file__).resolve().parents[1]


def migrations_fingerprint() -> str:
    """A short hash of every installed app's migration files: a new or edited one changes it."""
    digest = hashlib.sha256()
    migrations = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    for key in sorted(migrations):
        digest.update(Path(sys.modules[type(migrations[key]).__module__].__file__).read_bytes())
    return digest.hexdigest()[:12]


def postgres_url(settings_dict: dict, name: str) -> str:
    credentials = quote(settings_dict["USER"], safe="")
    if settings_dict["PASSWORD"]:
        credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
    host = f"{settings_dict['HOST'] or 'localhost'}:{settings_dict['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{name}"


def migrated_template(connection) -> str:
    """A PostgreSQL database migrated from the current migration files (built if missing).

    It is built under a temporary name and renamed when complete, so an interrupted or concurrent
    build never leaves a half-migrated template behind; older templates are dropped.
    """
    prefix = f"{connection.settings_dict['NAME']}_migrated_"
    template = prefix + migrations_fingerprint()
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "%"])
        existing = {name for (name,) in cursor.fetchall()}
    if template in existing:
        return template
    building = f"{template}_building_{os.getpid()}"
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{building}"')
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project_core.settings.test",
        "DATABASE_URL": postgres_url(connection.settings_dict, building),
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )
    with connection._nodb_cursor() as cursor:
        try:
            cursor.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
        except DatabaseError:  # another run finished the same template first
            cursor.execute(f'DROP DATABASE "{building}"')
        for name in existing - {template}:
            if "_building_" not in name:
                # One in use by another run at this moment is dropped next time.
                with contextlib.suppress(DatabaseError):
                    cursor.execute(f'DROP DATABASE "{name}"')
    return template


def build_test_databases_fast() -> None:
    """Point each test database at the fast way to build it (before the databases are set up)."""
    for connection in connections.all():
        if connection.vendor == "sqlite":
            connection.settings_dict["TEST"]["MIGRATE"] = False
        elif connection.vendor == "postgresql":
            connection.settings_dict["TEST"]["TEMPLATE"] = migrated_template(connection)


def record_migrations_applied() -> None:
    """SQLite test databases built from the models hold every migration's outcome: recorded as
    applied, as `migrate` would, so a process that checks the schema is current (`make_video`)
    finds it so instead of migrating again."""
    for connection in connections.all():
        if connection.vendor != "sqlite":
            continue
        recorder = MigrationRecorder(connection)
        recorder.ensure_schema()
        applied = recorder.applied_migrations()
        for key in MigrationLoader(connection).graph.nodes:
            if key not in applied:
                recorder.record_applied(*key)
