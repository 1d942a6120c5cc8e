"""How the code is laid out, checked where no linter looks: every line as the formatter lays it
out (STYLE.md: no skip or off markers for the formatter to pack lines; ruff's `format --check`
honours them, so it cannot see them)."""

from tests.conftest import BASE_DIR

OUR_CODE = ("video_app", "payments_app", "project_core", "tests")


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
