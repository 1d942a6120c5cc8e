"""Visual styles a project can pick: palette and type for generated pictures, cards and captions.

Colours are "#rrggbb". Captions use `caption_*`; generated pictures use the background gradient,
the accent for shapes and `text` for type. Adding a style is adding an entry here.
"""

from dataclasses import dataclass

from .errors import InvalidInput


@dataclass(frozen=True)
class Style:
    name: str
    label: str
    background: tuple[str, str]  # gradient from top-left to bottom-right
    accent: str
    accent_2: str
    text: str
    caption_text: str
    caption_highlight: str
    caption_outline: str
    layout: str  # how procedural pictures arrange shapes: "orbs", "bands", "grid", "frame"


STYLES: dict[str, Style] = {
    style.name: style
    for style in (
        Style(
            "modern",
            "Modern",
            ("#1f1c4d", "#7b2f6e"),
            "#ff6b6b",
            "#ffd166",
            "#ffffff",
            "#ffffff",
            "#ffd166",
            "#101020",
            "orbs",
        ),
        Style(
            "minimal",
            "Minimal",
            ("#f4f1ea", "#e3ded3"),
            "#2d6cdf",
            "#d9a441",
            "#1d1d1f",
            "#ffffff",
            "#7fb2ff",
            "#1d1d1f",
            "frame",
        ),
        Style(
            "bold",
            "Bold",
            ("#0b0b0b", "#262626"),
            "#ffd400",
            "#ff3d00",
            "#ffffff",
            "#ffffff",
            "#ffd400",
            "#000000",
            "bands",
        ),
        Style(
            "warm",
            "Warm sunset",
            ("#ff7e5f", "#6a3093"),
            "#feb47b",
            "#ffe29a",
            "#ffffff",
            "#ffffff",
            "#ffe29a",
            "#3a1030",
            "orbs",
        ),
        Style(
            "nature",
            "Nature",
            ("#0f3d2e", "#4f7942"),
            "#c5e063",
            "#f2d492",
            "#f7f7f2",
            "#ffffff",
            "#c5e063",
            "#0b2219",
            "bands",
        ),
        Style(
            "tech",
            "Tech",
            ("#0a1128", "#1c3f60"),
            "#00d1ff",
            "#7cffcb",
            "#e8f6ff",
            "#ffffff",
            "#00d1ff",
            "#020814",
            "grid",
        ),
    )
}

DEFAULT_STYLE = "modern"


def get_style(name: str | None) -> Style:
    try:
        return STYLES[name or DEFAULT_STYLE]
    except KeyError:
        raise InvalidInput(
            f"Unknown style {name!r}. Choose one of: {', '.join(sorted(STYLES))}."
        ) from None


def rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
