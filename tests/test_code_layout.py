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
