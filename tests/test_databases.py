"""How tests/databases.py builds the test databases: SQLite from the models, PostgreSQL as a copy
of a template that replayed the migrations, both with what post_migrate installs."""

from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from payments_app.builtin_plans import BUILTIN as BUILTIN_PLANS
from payments_app.models import Plan
from tests.databases import migrations_fingerprint
from video_app.builtin_templates import BUILTIN as BUILTIN_TEMPLATES
from video_app.models import VideoTemplate


def test_it_builds_sqlite_from_the_models_and_postgresql_from_the_migrations(db):
    built_from_models = connection.settings_dict["TEST"].get("MIGRATE") is False
    assert built_from_models is (connection.vendor == "sqlite")
    # Either way every migration is on record, as after `migrate`: a command that checks the
    # schema (make_video) finds it current.
    applied = MigrationRecorder(connection).applied_migrations()
    assert set(MigrationLoader(connection).graph.nodes) <= set(applied)


def test_it_copies_postgresql_test_databases_from_a_template_of_these_migrations(db):
    template = connection.settings_dict["TEST"].get("TEMPLATE")
    if connection.vendor == "sqlite":
        assert template is None
    else:
        assert template.endswith(f"_migrated_{migrations_fingerprint()}")
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
            assert cursor.fetchone() == (1,)


def test_it_installs_the_builtin_templates_and_plans(db):
    assert set(VideoTemplate.objects.values_list("slug", flat=True)) >= {
        template["slug"] for template in BUILTIN_TEMPLATES
    }
    assert set(Plan.objects.values_list("slug", flat=True)) == {plan[0] for plan in BUILTIN_PLANS}
