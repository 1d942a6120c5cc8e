"""How the code is laid out, checked where no linter looks: every line as the formatter lays it
out (STYLE.md: no skip or off markers for the formatter to pack lines; ruff's `format --check`
honours them, so it cannot see them), and no function longer than a screen."""

import ast

from tests.conftest import BASE_DIR

OUR_CODE = ("video_app", "payments_app", "project_core", "tests")
PRODUCT_CODE = ("video_app", "payments_app", "project_core")
MAX_FUNCTION_LINES = 60  # from the `def` line to the last, as the formatter lays them out


def test_it_lets_the_formatter_lay_out_every_line():
    marker = "# fmt: " + "skip"  # split, so this file does not name it
    packed = [
        f"{path.relative_to(BASE_DIR)}:{number}"
        for folder in OUR_CODE
        for path in sorted((BASE_DIR / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if marker in line or "# fmt: " + "off" in line
    ]
    assert packed == []


def test_it_keeps_every_function_within_60_lines():
    too_long = [
        f"{path.relative_to(BASE_DIR)}:{node.lineno} {node.name} ({length} lines)"
        for path in _product_modules()
        for node, length in _functions(path)
        if length > MAX_FUNCTION_LINES
    ]
    assert too_long == []


def _product_modules():
    """The product's modules; migrations are generated, so they are left out."""
    for folder in PRODUCT_CODE:
        for path in sorted((BASE_DIR / folder).rglob("*.py")):
            if "migrations" not in path.relative_to(BASE_DIR).parts:
                yield path


def _functions(path):
    """Every function and method in the module, nested ones too, with its length in lines
    counted from the `def` (decorators excluded)."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node, node.end_lineno - node.lineno + 1


# Modules that need no test file of their own: configuration and routing tables the framework
# reads, entry points for servers, and plain declarations. Add one here only if it holds no logic.
NEEDS_NO_TEST_OF_ITS_OWN = {
    "payments_app/apps.py",  # app configuration
    "video_app/apps.py",  # app configuration
    "payments_app/urls.py",  # URL table (tests/video_app/test_access.py reaches every URL)
    "project_core/urls.py",  # URL table
    "video_app/urls.py",  # URL table
    "video_app/api/urls.py",  # URL table (tests/video_app/api/test_access.py calls every route)
    "video_app/routing.py",  # WebSocket URL table (tests/video_app/test_consumers.py)
    "project_core/wsgi.py",  # server entry point
    "project_core/run_asgi.py",  # `make run`'s entry point (project_core/supervisord.conf)
    "payments_app/tasks.py",  # a Celery wrapper of webhooks.payment_failed_email_send
    "video_app/context_processors.py",  # a constant and a dict for every template
    "video_app/engine/core/errors.py",  # exception classes
    "video_app/engine/core/types.py",  # plain dataclasses
    "video_app/analytics/models.py",  # model declarations
}
# Modules with logic whose tests are not yet in a mirrored file: they are tested through the
# modules that use them or in a feature's file (named where known), or not directly at all. Give
# each a tests/<path>/test_<module>.py (moving the tests about it there) and take it off this list.
NOT_YET_MIRRORED = {
    "payments_app/builtin_plans.py",
    "payments_app/management/commands/stripe_webhook_endpoint.py",
    "payments_app/models.py",
    "payments_app/services.py",
    "project_core/celery_steps.py",
    "video_app/analytics/admin.py",  # video_app/test_analytics.py (the analytics page)
    "video_app/analytics/selectors.py",  # video_app/test_analytics.py (the analytics page)
    "video_app/api/exceptions.py",
    "video_app/api/serializers.py",
    "video_app/api/tokens.py",  # video_app/api/test_pages.py (the token page)
    "video_app/auth_backends.py",
    "video_app/builtin_templates.py",  # video_app/test_templates.py
    "video_app/engine/core/credentials.py",  # services/test_provider_keys.py
    "video_app/engine/core/cues.py",  # engine/render/test_captions.py, engine/export/test_export.py
    "video_app/engine/core/encoding.py",
    "video_app/engine/core/fonts.py",  # engine/media/test_designed.py
    "video_app/engine/core/loudness.py",  # engine/render/test_audio_mix.py
    "video_app/engine/core/platforms.py",
    "video_app/engine/core/registry.py",
    "video_app/engine/core/styles.py",
    "video_app/engine/core/usage.py",  # services/test_provider_usage.py, engine/core/test_http.py
    "video_app/engine/media/base.py",
    "video_app/engine/render/base.py",
    "video_app/engine/script/base.py",
    "video_app/engine/script/chat.py",
    "video_app/engine/script/phrases.py",
    "video_app/engine/script/structured.py",
    "video_app/engine/voice/base.py",
    "video_app/forms.py",
    "video_app/management/commands/bench_engine.py",  # run by `make bench`
    "video_app/management/commands/install_models.py",
    "video_app/models.py",
    "video_app/security/rate_limits.py",
    "video_app/selectors.py",
    "video_app/services/files.py",
    "video_app/services/notifications.py",
    "video_app/services/variations.py",  # video_app/api/test_variations.py
    "video_app/signals.py",
    "video_app/tasks.py",  # services/test_pipeline.py, video_app/test_analytics.py
    "video_app/template_structure.py",  # video_app/test_templates.py
    "video_app/views/interactions.py",  # video_app/test_analytics.py (what pages record)
}


def test_it_keeps_each_module_s_tests_at_the_mirrored_path():
    """A module's tests are at tests/<its folder>/test_<its name>.py (video_app/services/pipeline.py
    at tests/video_app/services/test_pipeline.py), so a new module comes with its test file."""
    without_tests = {
        str(path.relative_to(BASE_DIR))
        for path in _product_modules()
        if path.name != "__init__.py" and "settings" not in path.relative_to(BASE_DIR).parts
        if not (
            BASE_DIR / "tests" / path.parent.relative_to(BASE_DIR) / f"test_{path.name}"
        ).exists()
    }
    assert NEEDS_NO_TEST_OF_ITS_OWN.isdisjoint(NOT_YET_MIRRORED)
    # Both ways: a new module needs a test file, and a module given one leaves these lists.
    assert without_tests == NEEDS_NO_TEST_OF_ITS_OWN | NOT_YET_MIRRORED
