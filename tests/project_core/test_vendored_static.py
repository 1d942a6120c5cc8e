"""Vendored front-end files are the packages' own, and every source map they name is shipped
(a missing one stops the production `collectstatic`: static/vendor/README.md)."""

import hashlib
import re

from tests.conftest import BASE_DIR

VENDOR = BASE_DIR / "static" / "vendor"
SOURCE_MAP = re.compile(rb"[#@] sourceMappingURL=([^\s*]+)")
TABLE_ROW = re.compile(r"^\| `([^`]+)` \| [^|]+ \| `([0-9a-f]{64})` \|$", re.MULTILINE)


def vendored_files():
    return sorted(path for path in VENDOR.rglob("*") if path.suffix in (".js", ".css", ".map"))


def test_it_ships_every_source_map_a_vendored_file_names():
    for path in vendored_files():
        for name in SOURCE_MAP.findall(path.read_bytes()[-500:]):
            assert (path.parent / name.decode()).is_file(), f"{path} names a missing {name}"


def test_it_lists_every_vendored_file_with_its_checksum():
    listed = dict(TABLE_ROW.findall((VENDOR / "README.md").read_text()))

    assert sorted(listed) == [str(path.relative_to(VENDOR)) for path in vendored_files()]
    for name, sha256 in listed.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == sha256, name
