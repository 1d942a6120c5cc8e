"""Finding a font that can show a given text, for pictures drawn with Pillow.

Captions do not need this: libass falls back between system fonts by itself. Pillow draws with
one font file at a time, so the text's script decides the file. The fonts come from the system
packages that `make system-deps` installs (Noto, DejaVu, Symbola for emoji).
"""

import functools
import unicodedata
from pathlib import Path

from .errors import InvalidInput

FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".fonts")

# File names in order of preference, per script. Bold first: these fonts set headlines.
CANDIDATES = {
    "latin": ("NotoSans-Bold.ttf", "DejaVuSans-Bold.ttf", "NotoSans-Regular.ttf", "DejaVuSans.ttf"),
    "arabic": (
        "NotoSansArabic-Bold.ttf",
        "NotoNaskhArabic-Bold.ttf",
        "NotoSansArabic-Regular.ttf",
        "DejaVuSans-Bold.ttf",
    ),
    "hebrew": ("NotoSansHebrew-Bold.ttf", "NotoSansHebrew-Regular.ttf", "DejaVuSans-Bold.ttf"),
    "cjk": ("NotoSansCJK-Bold.ttc", "NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Bold.otf"),
    "devanagari": ("NotoSansDevanagari-Bold.ttf", "NotoSansDevanagari-Regular.ttf"),
    "thai": ("NotoSansThai-Bold.ttf", "NotoSansThai-Regular.ttf"),
    "cyrillic": ("NotoSans-Bold.ttf", "DejaVuSans-Bold.ttf"),
    "greek": ("NotoSans-Bold.ttf", "DejaVuSans-Bold.ttf"),
    "emoji": ("Symbola_hint.ttf", "Symbola.ttf", "NotoEmoji-Bold.ttf", "NotoEmoji-Regular.ttf"),
}

SYSTEM_PACKAGE = {"cjk": "fonts-noto-cjk", "emoji": "fonts-symbola"}


@functools.cache
def _font_index() -> dict[str, Path]:
    index: dict[str, Path] = {}
    for folder in FONT_DIRS:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.suffix.lower() in {".ttf", ".otf", ".ttc"}:
                    index.setdefault(path.name, path)
    return index


def script_of(text: str) -> str:
    """The dominant non-Latin script of `text`, or "latin"."""
    counts: dict[str, int] = {}
    for char in text:
        script = _char_script(char)
        if script:
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=counts.get) if counts else "latin"


def _char_script(char: str) -> str | None:
    code = ord(char)
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFEFF:
        return "arabic"
    if 0x0590 <= code <= 0x05FF:
        return "hebrew"
    if (
        0x3040 <= code <= 0x30FF
        or 0x3400 <= code <= 0x9FFF
        or 0xAC00 <= code <= 0xD7AF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF
    ):
        return "cjk"
    if 0x0900 <= code <= 0x097F:
        return "devanagari"
    if 0x0E00 <= code <= 0x0E7F:
        return "thai"
    if 0x0400 <= code <= 0x04FF:
        return "cyrillic"
    if 0x0370 <= code <= 0x03FF:
        return "greek"
    if unicodedata.category(char) == "So" and code > 0x2000:
        return "emoji"
    return None


def font_for(text: str) -> Path:
    """A font file able to draw `text`'s script, or InvalidInput naming the package to install."""
    script = script_of(text)
    index = _font_index()
    for name in CANDIDATES.get(script, CANDIDATES["latin"]):
        if name in index:
            return index[name]
    package = SYSTEM_PACKAGE.get(script, "fonts-noto-core")
    raise InvalidInput(
        f"No font on this server can draw {script} text. An administrator can install the "
        f"'{package}' package (make system-deps does it).",
        detail=f"searched {', '.join(str(d) for d in FONT_DIRS)}",
    )


def fonts_for(text: str) -> list[Path]:
    """Every installed font for `text`'s script, best first (empty when none is installed).

    Pillow draws a line with one font; a caller holding mixed scripts (Arabic with a Latin name)
    looks down this list for one file that covers them all.
    """
    index = _font_index()
    return [
        index[name]
        for name in CANDIDATES.get(script_of(text), CANDIDATES["latin"])
        if name in index
    ]
