"""Designed pictures drawn with Pillow: the offline stand-in for stock footage ("procedural", and
the card any provider falls back to), and title and outro cards.

A picture is the style's gradient, shapes arranged by the style's layout ("orbs", "bands", "grid",
"frame") and the scene's main keyword set large, with a few more as pills. Type stays inside the
frame's safe zone, clear of the Ken Burns crop and of the captions. Same inputs, same pixels.
"""

import functools
import itertools
import math
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from ..core import fonts
from ..core.styles import Style, rgb
from ..core.types import FrameSize, MediaItem
from .base import GENERATED_LICENCE, MediaRequest, digest, headline_case, save_png, upper_case

Colour = tuple[int, int, int]
Box = tuple[float, float, float, float]  # left, top, right, bottom in pixels
Placed = tuple[str, ImageFont.FreeTypeFont, tuple[float, float], str]  # text, font, xy, anchor

# Soft shapes are drawn and blurred at a quarter of the size, then scaled up: far cheaper than
# blurring at full size, and a blurred shape has no detail to lose.
SOFT_SCALE = 4
PILL_SPACING = 0.4  # x the pill's type size
# Joiners, variation selectors and tag characters glue emoji sequences; alone they draw nothing.
EMOJI_GLUE = {0x200D, 0xFE0E, 0xFE0F, 0x20E3, *range(0xE0020, 0xE0080)}
# A codepoint no font maps: whatever a font draws for it is its "missing glyph" box.
UNMAPPED = "\u0378"
# Noto CJK collections hold one face per region; the wrong one draws Chinese with Japanese forms.
CJK_FACE = {
    "ja": 0,
    "ko": 1,
    "zh": 2,
    "zh-cn": 2,
    "zh-hans": 2,
    "zh-tw": 3,
    "zh-hant": 3,
    "zh-hk": 4,
}


@dataclass(frozen=True)
class Run:
    """Text cleaned of what its font cannot draw, with the font file that draws the rest."""

    text: str
    font_path: Path
    face: int
    rtl: bool

    def font(self, size: float) -> ImageFont.FreeTypeFont:
        return _font(self.font_path, self.face, max(1, round(size)))


def prepare_text(text: str, language: str = "en") -> Run | None:
    """A drawable Run for `text`, or None when nothing in it can be drawn.

    Emoji are dropped from text that has words (the word fonts would draw them as boxes); text
    made only of emoji is drawn with the symbol font, minus any emoji that font lacks too.
    """
    words = " ".join("".join(c for c in text if not _is_emoji(c)).split())
    if words:
        return _covered_run(words, language)
    symbols = "".join(c for c in text if _is_emoji(c) and ord(c) not in EMOJI_GLUE)
    symbols = "".join(c for c in symbols if unicodedata.category(c) != "Sk")  # skin tones
    return _covered_run(symbols, language) if symbols else None


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return (
        code in EMOJI_GLUE
        or 0x1F000 <= code <= 0x1FAFF
        or (code > 0x2000 and unicodedata.category(char) == "So")
    )


def _covered_run(text: str, language: str) -> Run | None:
    """Pick the first font that covers every character; else the one covering most, and drop
    the characters it lacks rather than draw them as boxes."""
    candidates = list(dict.fromkeys(fonts.fonts_for(text) + fonts.fonts_for("")))
    best_text, best_path = "", None
    for path in candidates:
        face = _face_index(path, language)
        kept = "".join(c for c in text if _drawable(path, face, c))
        if kept == text:
            best_text, best_path = kept, path
            break
        if best_path is None or len(kept) > len(best_text):
            best_text, best_path = kept, path
    best_text = " ".join(best_text.split())
    if not best_text or best_path is None:
        return None
    rtl = fonts.script_of(best_text) in {"arabic", "hebrew"}
    return Run(best_text, best_path, _face_index(best_path, language), rtl)


def _face_index(path: Path, language: str) -> int:
    if path.suffix.lower() != ".ttc" or "CJK" not in path.name:
        return 0
    language = language.casefold()
    return CJK_FACE.get(language, CJK_FACE.get(language.split("-")[0], 0))


@functools.lru_cache(maxsize=4096)
def _drawable(path: Path, face: int, char: str) -> bool:
    if char.isspace() or unicodedata.category(char) in {"Cf", "Mn"}:
        return True  # shaping handles these; they have no box of their own to compare
    font = _font(path, face, 32, ImageFont.Layout.BASIC)
    glyph, missing = font.getmask(char), font.getmask(UNMAPPED)
    return not (glyph.size == missing.size and bytes(glyph) == bytes(missing))


@functools.lru_cache(maxsize=256)
def _font(path: Path, face: int, size: int, layout=ImageFont.Layout.RAQM):
    # Raqm shapes Arabic and Indic text and lays right-to-left runs out in visual order.
    return ImageFont.truetype(str(path), size, index=face, layout_engine=layout)


def regular_weight(run: Run) -> Run:
    """The same text in the family's regular weight, when the system has it."""
    sibling = run.font_path.with_name(run.font_path.name.replace("-Bold", "-Regular"))
    return Run(run.text, sibling, run.face, run.rtl) if sibling.exists() else run


# --- Fitting type into a box -------------------------------------------------------------------


@dataclass(frozen=True)
class Lines:
    font: ImageFont.FreeTypeFont
    lines: tuple[str, ...]
    pitch: float  # baseline to baseline

    @property
    def height(self) -> float:
        return self.pitch * len(self.lines)

    @property
    def width(self) -> float:
        return max(self.font.getlength(line) for line in self.lines)


def fit_lines(
    run: Run,
    *,
    box_w: float,
    box_h: float,
    max_size: float,
    min_size: float,
    max_lines: int,
    pitch: float = 1.18,
) -> Lines:
    """The largest size at which `run` wraps into at most `max_lines` inside the box.

    Below `min_size` the text is broken between characters and, if still too long, cut with an
    ellipsis: it may get small, it never spills out of the box.
    """
    units, joiner = _wrap_units(run.text)
    size = max_size
    while size >= min_size:
        font = run.font(size)
        lines = _balanced_wrap(units, joiner, font, box_w)
        if lines and len(lines) <= max_lines and len(lines) * size * pitch <= box_h:
            return Lines(font, tuple(lines), size * pitch)
        size *= 0.92
    size = max(1.0, min(min_size, box_h / (max_lines * pitch)))
    font = run.font(size)
    lines = _wrap(list(run.text), "", font, box_w) or [run.text]
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], _ellipsize("".join(lines[max_lines - 1 :]), font, box_w)]
    return Lines(font, tuple(line.strip() for line in lines), size * pitch)


def _wrap_units(text: str) -> tuple[list[str], str]:
    if " " in text:
        return text.split(" "), " "
    if fonts.script_of(text) == "cjk":  # no spaces between words: any character may start a line
        return list(text), ""
    return [text], " "


def _wrap(units: list[str], joiner: str, font, max_w: float) -> list[str] | None:
    lines, current = [], ""
    for unit in units:
        candidate = f"{current}{joiner}{unit}" if current else unit
        if font.getlength(candidate) <= max_w:
            current = candidate
        elif not current or font.getlength(unit) > max_w:
            return None
        else:
            lines.append(current)
            current = unit
    return [*lines, current] if current else lines


def _balanced_wrap(units: list[str], joiner: str, font, max_w: float) -> list[str] | None:
    """Greedy wrapping, then the narrowest width giving as many lines: no lone last word."""
    lines = _wrap(units, joiner, font, max_w)
    if not lines or len(lines) == 1:
        return lines
    low, high = font.getlength(joiner.join(units)) / len(lines), max_w
    for _ in range(10):
        middle = (low + high) / 2
        narrower = _wrap(units, joiner, font, middle)
        if narrower and len(narrower) == len(lines):
            high, lines = middle, narrower
        else:
            low = middle
    return lines


def _ellipsize(text: str, font, max_w: float) -> str:
    mark = "…" if font.getlength("…") > 0 else "..."
    while text and font.getlength(text + mark) > max_w:
        text = text[:-1]
    return text.rstrip() + mark


# --- Colour -------------------------------------------------------------------------------------


def mix(a: Colour, b: Colour, t: float) -> Colour:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


def luminance(colour: Colour) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _linear_luminance(pixels: np.ndarray) -> np.ndarray:
    c = pixels / 255
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return c @ np.array([0.2126, 0.7152, 0.0722], np.float32)


def contrast(a: Colour, b: Colour) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def best_contrast(background: Colour, options: Sequence[Colour]) -> Colour:
    return max(options, key=lambda option: contrast(background, option))


# --- Composition --------------------------------------------------------------------------------


@dataclass
class Palette:
    start: Colour
    end: Colour
    accent: Colour
    accent_2: Colour
    text: Colour

    @classmethod
    def of(cls, style: Style) -> "Palette":
        return cls(
            rgb(style.background[0]),
            rgb(style.background[1]),
            rgb(style.accent),
            rgb(style.accent_2),
            rgb(style.text),
        )

    @property
    def light_text(self) -> bool:
        return luminance(self.text) > 0.4

    @property
    def shade(self) -> Colour:
        """Black under light text, white under dark: for shadows."""
        return best_contrast(self.text, [(0, 0, 0), (255, 255, 255)])

    @property
    def scrim(self) -> Colour:
        """The style's own background colour that sets the text off best, deepened towards
        the shade: laid under type that sits on bright shapes."""
        return mix(best_contrast(self.text, [self.start, self.end]), self.shade, 0.35)


@dataclass
class Pill:
    box: Box
    text: str
    font: ImageFont.FreeTypeFont
    solid: bool


@dataclass
class Block:
    """Where the type goes: every line anchored at a point, plus the box around it all."""

    box: Box = (0.0, 0.0, 0.0, 0.0)
    headline: list[Placed] = field(default_factory=list)
    subtitle: list[Placed] = field(default_factory=list)
    pills: list[Pill] = field(default_factory=list)
    rule: Box | None = None

    @property
    def empty(self) -> bool:
        return not (self.headline or self.subtitle or self.pills)


def text_zone(frame: FrameSize) -> Box:
    """The part of the frame type may use.

    The renderer crops up to a sixth of the picture for Ken Burns motion and puts captions at the
    bottom of landscape video and around the lower middle of vertical video, so type keeps to
    the central band and, in vertical frames, to the upper half.
    """
    w, h = frame.width, frame.height
    if frame.is_vertical:
        return 0.14 * w, 0.16 * h, 0.86 * w, 0.54 * h
    return 0.16 * w, 0.16 * h, 0.84 * w, 0.72 * h


@dataclass(frozen=True)
class _Spacing:
    """The block's fixed measures, in proportion to the frame's short side."""

    gap: float
    rule_w: float
    rule_h: float
    pill_size: float  # the pills' type size
    pill_h: float
    pill_gap: float

    @classmethod
    def of(cls, frame: FrameSize) -> "_Spacing":
        m = min(frame.width, frame.height)
        gap, pill_size = 0.035 * m, 0.034 * m
        return cls(
            gap=gap,
            rule_w=0.07 * m,
            rule_h=0.008 * m,
            pill_size=pill_size,
            pill_h=1.9 * pill_size,
            pill_gap=1.3 * gap,  # a little more air: descenders hang over the pills
        )


def layout_block(
    frame: FrameSize,
    *,
    headline: Run | None,
    tags: Sequence[Run] = (),
    subtitle: Run | None = None,
    align: str = "center",
    card: bool = False,
) -> Block:
    """Fit and place the headline, the rule, the subtitle and the pills inside the text zone."""
    if headline is None and subtitle is None and not tags:
        return Block()
    zone = text_zone(frame)
    spacing = _Spacing.of(frame)
    head_lines, sub_lines = _fit_type(frame, zone, spacing, headline, subtitle, tags, card)
    pills = _pill_row(tags, spacing.pill_size, spacing.pill_h, zone[2] - zone[0])
    total_h = _stack_height(spacing, head_lines, sub_lines, pills)
    top = _block_top(frame, zone, total_h)
    anchor_x, anchor = _anchor(zone, align, rtl=bool(headline and headline.rtl))
    return _stack(spacing, top, anchor_x, anchor, head_lines, sub_lines, pills)


def _fit_type(
    frame: FrameSize,
    zone: Box,
    spacing: _Spacing,
    headline: Run | None,
    subtitle: Run | None,
    tags: Sequence[Run],
    card: bool,
) -> tuple[Lines | None, Lines | None]:
    """The headline's and the subtitle's lines. The subtitle is fitted first: the headline
    takes whatever height the rule, the subtitle and the pills leave it."""
    x0, y0, x1, y1 = zone
    zone_w, zone_h = x1 - x0, y1 - y0
    m = min(frame.width, frame.height)
    reserved = spacing.rule_h + spacing.gap + (spacing.pill_h + spacing.pill_gap if tags else 0)
    sub_lines = None
    if subtitle is not None:
        sub_lines = fit_lines(
            subtitle,
            box_w=zone_w,
            box_h=zone_h * 0.3,
            max_size=0.05 * m,
            min_size=0.028 * m,
            max_lines=2,
            pitch=1.3,
        )
        reserved += sub_lines.height + spacing.gap
    head_lines = None
    if headline is not None:
        head_lines = fit_lines(
            headline,
            box_w=zone_w,
            box_h=max(1.0, zone_h - reserved),
            max_size=(0.13 if card else 0.155) * m,
            min_size=0.04 * m,
            max_lines=3,
            pitch=1.15,
        )
    return head_lines, sub_lines


def _stack_height(
    spacing: _Spacing, head_lines: Lines | None, sub_lines: Lines | None, pills: list[Pill]
) -> float:
    """From the top of the rule to the bottom of the last line or of the pills."""
    heights = [spacing.rule_h + spacing.gap]
    if head_lines:
        heights.append(head_lines.height)
    if sub_lines:
        heights.append(spacing.gap + sub_lines.height)
    if pills:
        heights.append(spacing.pill_gap + spacing.pill_h)
    return sum(heights)


def _block_top(frame: FrameSize, zone: Box, total_h: float) -> float:
    """Centred in the zone, a little above centre in landscape, and never out of the zone."""
    _, y0, _, y1 = zone
    centre_y = (y0 + y1) / 2 - (0.02 * frame.height if not frame.is_vertical else 0)
    return min(max(y0, centre_y - total_h / 2), y1 - total_h)


def _anchor(zone: Box, align: str, *, rtl: bool) -> tuple[float, str]:
    """The x every line hangs from, and Pillow's horizontal anchor for it: the zone's middle,
    or the edge a line starts from ("start" is the right edge in right-to-left scripts)."""
    x0, _, x1, _ = zone
    if align == "center":
        return (x0 + x1) / 2, "m"
    if rtl:
        return x1, "r"
    return x0, "l"


def _left_of(anchor_x: float, anchor: str, width: float) -> float:
    """The left edge of something `width` wide hanging from `anchor_x`."""
    return {"m": anchor_x - width / 2, "l": anchor_x, "r": anchor_x - width}[anchor]


def _stack(
    spacing: _Spacing,
    top: float,
    anchor_x: float,
    anchor: str,
    head_lines: Lines | None,
    sub_lines: Lines | None,
    pills: list[Pill],
) -> Block:
    """The block with its parts placed top to bottom: rule, headline, subtitle, pills."""
    block = Block()
    rule_left = _left_of(anchor_x, anchor, spacing.rule_w)
    block.rule = (rule_left, top, rule_left + spacing.rule_w, top + spacing.rule_h)
    y = top + spacing.rule_h + spacing.gap
    widths = [spacing.rule_w]
    if head_lines is not None:
        block.headline, y = _place_lines(head_lines, anchor_x, anchor, y)
        widths.append(head_lines.width)
    if sub_lines is not None:
        block.subtitle, y = _place_lines(sub_lines, anchor_x, anchor, y + spacing.gap)
        widths.append(sub_lines.width)
    if pills:
        y += spacing.pill_gap
        widths.append(_place_pills(pills, anchor_x, anchor, y, spacing))
        block.pills = pills
        y += spacing.pill_h
    block_w = max(widths)
    left = _left_of(anchor_x, anchor, block_w)
    block.box = (left, top, left + block_w, y)
    return block


def _place_lines(
    lines: Lines, anchor_x: float, anchor: str, y: float
) -> tuple[list[Placed], float]:
    """Each line anchored at the middle of its pitch, from `y` down; also the y below them."""
    placed = []
    for line in lines.lines:
        placed.append((line, lines.font, (anchor_x, y + lines.pitch / 2), anchor + "m"))
        y += lines.pitch
    return placed, y


def _place_pills(
    pills: list[Pill], anchor_x: float, anchor: str, y: float, spacing: _Spacing
) -> float:
    """Set the pills' boxes in one row at `y`, hanging like the lines; returns the row's width.
    Right-aligned rows run right to left, so the first pill still comes first in reading order."""
    pill_spacing = PILL_SPACING * spacing.pill_size
    row_w = sum(p.box[2] for p in pills) + pill_spacing * (len(pills) - 1)
    start = _left_of(anchor_x, anchor, row_w)
    order = reversed(pills) if anchor == "r" else pills
    for pill in order:
        width = pill.box[2]
        pill.box = (start, y, start + width, y + spacing.pill_h)
        start += width + pill_spacing
    return row_w


def _pill_row(tags: Sequence[Run], size: float, height: float, max_w: float) -> list[Pill]:
    """The pills that fit on one row, in rank order (one too long is left out); their x
    position is set later. The first is filled with the accent, the others outlined."""
    pills: list[Pill] = []
    used = 0.0
    for run in tags:
        font = run.font(size)
        width = font.getlength(run.text) + 1.8 * size
        spacing = PILL_SPACING * size if pills else 0.0
        if used + spacing + width <= max_w:
            pills.append(Pill((0.0, 0.0, width, height), run.text, font, solid=not pills))
            used += spacing + width
    return pills


# --- Painting -----------------------------------------------------------------------------------


def paint(*, style: Style, frame: FrameSize, seed: int, block: Block) -> Image.Image:
    """The finished RGB picture: background, the layout's shapes, then the type on top."""
    palette = Palette.of(style)
    rng = random.Random(seed)  # noqa: S311 - varies the layout, guards nothing
    canvas = Painter(frame, palette, rng, block)
    canvas.background()
    LAYOUTS.get(style.layout, _orbs)(canvas)
    canvas.ensure_contrast()
    canvas.set_type()
    return canvas.image


class Painter:
    """One picture being painted; layouts add shapes through `soft` and `crisp` passes."""

    def __init__(self, frame: FrameSize, palette: Palette, rng: random.Random, block: Block):
        self.frame, self.palette, self.rng, self.block = frame, palette, rng, block
        self.w, self.h = frame.width, frame.height
        self.m = min(self.w, self.h)
        self.small_size = (
            max(2, math.ceil(self.w / SOFT_SCALE)),
            max(2, math.ceil(self.h / SOFT_SCALE)),
        )
        self.small = None  # the quarter-size canvas while soft shapes are being added
        self.image = None

    # Background and soft shapes share the quarter-size canvas, blurred once and scaled up.
    def background(self) -> None:
        sw, sh = self.small_size
        ys, xs = np.mgrid[0:sh, 0:sw].astype(np.float32)
        px, py = xs / max(1, sw - 1) * self.w, ys / max(1, sh - 1) * self.h
        t = (px * self.w + py * self.h) / (self.w**2 + self.h**2)
        t = t * t * (3 - 2 * t)
        start, end = (
            np.array(self.palette.start, np.float32),
            np.array(self.palette.end, np.float32),
        )
        colour = start + (end - start) * t[..., None]
        glow_x, glow_y = self.rng.uniform(0.25, 0.75) * self.w, self.rng.uniform(0.1, 0.4) * self.h
        distance = np.hypot(px - glow_x, py - glow_y) / self.m
        glow = np.exp(-((distance / 0.55) ** 2))[..., None] * 0.18
        colour += (255 - colour) * glow
        centre = np.hypot(px / self.w - 0.5, py / self.h - 0.5) / math.hypot(0.5, 0.5)
        strength = 0.38 if self.palette.light_text else 0.08
        colour *= (1 - strength * centre**2)[..., None]
        self.small = Image.fromarray(np.clip(colour, 0, 255).astype(np.uint8))

    def soft(self, paint_shapes: Callable[[ImageDraw.ImageDraw, float], None], blur: float) -> None:
        """Draw blended shapes on the quarter-size canvas (coordinates are full-size; the
        callback gets the factor to multiply them by) and blur them by `blur` x the short side.
        Soft passes come before any full-size one."""
        if self.image is not None:
            raise RuntimeError("soft shapes must be drawn before crisp ones")
        layer = self.small.copy()
        paint_shapes(ImageDraw.Draw(layer, "RGBA"), 1 / SOFT_SCALE)
        self.small = layer.filter(ImageFilter.GaussianBlur(blur * self.m / SOFT_SCALE))

    def crisp(self, paint_shapes: Callable[[ImageDraw.ImageDraw], None]) -> None:
        """Draw shapes at full size on their own layer, softened by a pixel against jaggies."""
        self.settle()
        layer = Image.new("RGBA", (self.w, self.h), (0, 0, 0, 0))
        paint_shapes(ImageDraw.Draw(layer))
        drawn = layer.getbbox()
        if drawn is None:
            return
        left, top = max(0, drawn[0] - 2), max(0, drawn[1] - 2)
        region = (left, top, min(self.w, drawn[2] + 2), min(self.h, drawn[3] + 2))
        # One box-blur pass of under a pixel: the cheapest anti-aliasing Pillow offers.
        softened = layer.crop(region).convert("RGBa").filter(ImageFilter.BoxBlur(0.6))
        self.image.alpha_composite(softened.convert("RGBA"), (left, top))

    def shadow(self, box: Box, *, radius: float, blur: float, offset: float, alpha: int) -> None:
        """A soft drop shadow under a rounded box (a panel floating above the background)."""
        self.settle()
        layer = Image.new("RGBA", self.small_size, (0, 0, 0, 0))
        scaled = [v / SOFT_SCALE for v in _shift(box, offset, offset)]
        ImageDraw.Draw(layer).rounded_rectangle(scaled, radius / SOFT_SCALE, (0, 0, 0, alpha))
        layer = layer.convert("RGBa").filter(ImageFilter.GaussianBlur(blur / SOFT_SCALE))
        self.image.alpha_composite(layer.convert("RGBA").resize((self.w, self.h)))

    def settle(self) -> None:
        """Scale the quarter-size canvas up to full size; from here on, work is at full size."""
        if self.image is None:
            self.image = self.small.resize((self.w, self.h), Image.Resampling.BILINEAR)
            self.image = self.image.convert("RGBA")

    def outside_type(self, x: float, y: float, margin: float) -> bool:
        if self.block.empty:
            return True
        left, top, right, bottom = self.block.box
        return not (left - margin < x < right + margin and top - margin < y < bottom + margin)

    def room_around(self, x: float, y: float) -> float:
        """Distance from (x, y) to the type's box: how large a shape centred there may grow."""
        if self.block.empty:
            return math.inf
        left, top, right, bottom = self.block.box
        return math.hypot(max(left - x, 0, x - right), max(top - y, 0, y - bottom))

    def ensure_contrast(self) -> None:
        """Lay a soft patch of the shade colour under the type until the brightest (or darkest)
        tenth of the pixels there still contrasts 3:1 with the text, the large-text minimum."""
        self.settle()
        if self.block.empty:
            return
        left, top, right, bottom = (round(v) for v in self.block.box)
        region = self.image.crop((left, top, right, bottom)).convert("RGB").reduce(4)
        pixels = np.asarray(region, np.float32).reshape(-1, 3)
        lit = _linear_luminance(pixels)
        share = 0.9 if self.palette.light_text else 0.1
        worst = tuple(int(v) for v in pixels[np.argsort(lit)[int((len(lit) - 1) * share)]])
        scrim, text = self.palette.scrim, self.palette.text
        for alpha in (0.0, 0.3, 0.5, 0.65, 0.8):
            if contrast(mix(worst, scrim, alpha), text) >= 3.0:
                break
        if alpha == 0.0:
            return
        # A wide ellipse fading out well beyond the block: reads as shade, not as a box.
        sw, sh = self.small_size
        ys, xs = np.ogrid[0:sh, 0:sw]
        pad = 0.08 * self.m
        cx, cy = (left + right) / 2 / SOFT_SCALE, (top + bottom) / 2 / SOFT_SCALE
        rx = ((right - left) / 2 + pad) * 1.3 / SOFT_SCALE
        ry = ((bottom - top) / 2 + pad) * 1.3 / SOFT_SCALE
        reach = ((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2
        fade = np.clip((1.7 - reach) / 1.2, 0, 1)
        strength = (fade * fade * (3 - 2 * fade) * alpha * 255).astype(np.uint8)
        mask = Image.fromarray(strength).resize((self.w, self.h), Image.Resampling.BICUBIC)
        self.image.paste((*scrim, 255), mask=mask)

    def set_type(self) -> None:
        block, palette = self.block, self.palette
        self.settle()
        draw = ImageDraw.Draw(self.image)
        if block.empty:
            self.image = self.image.convert("RGB")
            return
        if block.rule:
            draw.rectangle(block.rule, fill=palette.accent)
        for pill in block.pills:
            self._pill(draw, pill)
        # Type is drawn into a mask covering only the block (plus room for the shadow).
        margin = round(0.04 * self.m)
        left, top = max(0, round(block.box[0]) - margin), max(0, round(block.box[1]) - margin)
        right = min(self.w, round(block.box[2]) + margin)
        bottom = min(self.h, round(block.box[3]) + margin)
        mask = Image.new("L", (right - left, bottom - top), 0)
        mask_draw = ImageDraw.Draw(mask)
        for text, font, (x, y), anchor in block.headline + block.subtitle:
            mask_draw.text((x - left, y - top), text, fill=255, font=font, anchor=anchor)
        if palette.light_text:
            # A soft shadow a little below the letters lifts them off busy shapes.
            blurred = mask.reduce(2).filter(ImageFilter.GaussianBlur(0.002 * self.m))
            blurred = blurred.resize(mask.size, Image.Resampling.BILINEAR)
            shadow = Image.new("L", mask.size, 0)
            shadow.paste(blurred.point(lambda a: round(a * 0.6)), (0, round(0.005 * self.m)))
            self.image.paste(palette.shade, (left, top, right, bottom), mask=shadow)
        self.image.paste(palette.text, (left, top, right, bottom), mask=mask)
        self.image = self.image.convert("RGB")

    def _pill(self, draw: ImageDraw.ImageDraw, pill: Pill) -> None:
        palette = self.palette
        radius = (pill.box[3] - pill.box[1]) / 2
        if pill.solid:
            fill = palette.accent
            ink = best_contrast(fill, [palette.start, palette.end, palette.text])
            draw.rounded_rectangle(pill.box, radius, fill=fill)
        else:
            layer = Image.new("RGBA", (self.w, self.h), (0, 0, 0, 0))
            tint = palette.text if palette.light_text else palette.accent
            ImageDraw.Draw(layer).rounded_rectangle(
                pill.box,
                radius,
                fill=(*tint, 36),
                outline=(*tint, 150),
                width=max(2, round(0.0025 * self.m)),
            )
            self.image.alpha_composite(layer)
            ink = palette.text
        centre = ((pill.box[0] + pill.box[2]) / 2, (pill.box[1] + pill.box[3]) / 2)
        ImageDraw.Draw(self.image).text(centre, pill.text, fill=ink, font=pill.font, anchor="mm")


def _shift(box: Box, dx: float, dy: float) -> Box:
    return box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy


# --- Layouts ------------------------------------------------------------------------------------


def _orbs(p: Painter) -> None:
    """Large blurred circles gathered at the corners, a crisp ring and a scatter of sparks."""
    rng, pal, w, h, m = p.rng, p.palette, p.w, p.h, p.m
    corners = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)]
    rng.shuffle(corners)
    colours = [pal.accent, pal.accent_2, mix(pal.accent, pal.end, 0.5), pal.accent]
    orbs = []
    for (cx, cy), colour in zip(corners, colours, strict=True):
        inward_x, inward_y = rng.uniform(0.05, 0.22), rng.uniform(0.05, 0.22)
        x = (cx + (inward_x if cx == 0 else -inward_x)) * w
        y = (cy + (inward_y if cy == 0 else -inward_y)) * h
        orbs.append((x, y, rng.uniform(0.22, 0.42) * m, colour, rng.randint(150, 215)))

    def circles(draw, s):
        for x, y, r, colour, alpha in orbs[:3]:
            draw.ellipse([(x - r) * s, (y - r) * s, (x + r) * s, (y + r) * s], (*colour, alpha))

    p.soft(circles, blur=0.09)
    x, y, r, colour, _ = orbs[3]

    def small_orb(draw, s):
        r2 = r * 0.45
        draw.ellipse([(x - r2) * s, (y - r2) * s, (x + r2) * s, (y + r2) * s], (*colour, 200))

    p.soft(small_orb, blur=0.012)
    ring_x, ring_y, ring_r, _, _ = orbs[rng.randrange(3)]
    ring_r = min(ring_r * rng.uniform(0.55, 0.8), p.room_around(ring_x, ring_y) - 0.04 * m)
    candidates = [
        (
            rng.uniform(0.04, 0.96) * w,
            rng.uniform(0.04, 0.96) * h,
            rng.uniform(0.002, 0.006) * m,
            rng.randint(70, 170),
        )
        for _ in range(40)
    ]
    sparks = [spark for spark in candidates if p.outside_type(spark[0], spark[1], 0.05 * m)][:18]

    def details(draw):
        width = max(2, round(0.004 * m))
        if ring_r > 0.05 * m:
            box = [ring_x - ring_r, ring_y - ring_r, ring_x + ring_r, ring_y + ring_r]
            draw.ellipse(box, outline=(*pal.text, 110), width=width)
        for sx, sy, sr, alpha in sparks:
            draw.ellipse([sx - sr, sy - sr, sx + sr, sy + sr], (*pal.text, alpha))

    p.crisp(details)


def _bands(p: Painter) -> None:
    """Parallel diagonal bands cutting two opposite corners, stopping short of the type."""
    pal, m = p.palette, p.m
    main, other = _band_sides(p)
    cuts = sorted(p.rng.uniform(0.3, 0.5) for _ in range(2))

    def glow(draw, s):
        cx, cy = main.corner
        r = main.reach * 1.1
        draw.ellipse([(cx - r) * s, (cy - r) * s, (cx + r) * s, (cy + r) * s], (*pal.accent, 70))

    p.soft(glow, blur=0.08)
    line_w = 0.006 * m

    def shapes(draw):
        draw.polygon(main.strip(0, main.reach * 0.22), (*pal.text, 26))
        draw.polygon(main.strip(main.reach * cuts[0], main.reach * cuts[1]), (*pal.accent_2, 235))
        draw.polygon(
            main.strip(main.reach * (cuts[1] + 0.06), main.reach * 0.86), (*pal.accent, 255)
        )
        draw.polygon(main.strip(main.reach * 0.93, main.reach * 0.93 + line_w), (*pal.text, 120))
        draw.polygon(other.strip(other.reach * 0.25, other.reach * 0.55), (*pal.accent, 255))
        for step in (0.66, 0.74):
            draw.polygon(
                other.strip(other.reach * step, other.reach * step + line_w), (*pal.text, 110)
            )

    p.crisp(shapes)


@dataclass(frozen=True)
class _BandSide:
    """A corner the bands cut across: they run at right angles to `normal`, which points from
    `corner` into the picture, and stay within `reach` of the corner."""

    corner: tuple[float, float]
    normal: tuple[float, float]
    reach: float
    span: float  # how far a band runs each way along itself: past the picture's edges

    def strip(self, near: float, far: float) -> list[tuple[float, float]]:
        """The band from `near` to `far` away from the corner, as a polygon's corners."""
        (cx, cy), (nx, ny) = self.corner, self.normal
        ux, uy = -ny, nx
        return [
            (cx + nx * d + ux * t, cy + ny * d + uy * t)
            for d, t in ((near, -self.span), (near, self.span), (far, self.span), (far, -self.span))
        ]


def _band_sides(p: Painter) -> tuple[_BandSide, _BandSide]:
    """Two opposite corners at a random angle, the one with more room before the type first:
    it takes the main bands."""
    w, h = p.w, p.h
    angle = math.radians(p.rng.uniform(30, 60))
    pairs = [
        ((0.0, h), (math.cos(angle), -math.sin(angle))),
        ((w, 0.0), (-math.cos(angle), math.sin(angle))),
    ]
    if p.rng.random() < 0.5:  # the other diagonal
        pairs = [
            ((0.0, 0.0), (math.cos(angle), math.sin(angle))),
            ((w, h), (-math.cos(angle), -math.sin(angle))),
        ]
    sides = [
        _BandSide(corner, normal, _reach(corner, normal, p), w + h) for corner, normal in pairs
    ]
    if sides[1].reach > sides[0].reach:
        sides.reverse()
    return sides[0], sides[1]


def _reach(corner: tuple[float, float], normal: tuple[float, float], p: Painter) -> float:
    """How far from `corner` along `normal` shapes may go before touching the type's margin."""
    limit = 0.42 * math.hypot(p.w, p.h)
    if p.block.empty:
        return limit
    margin = 0.05 * p.m
    left, top, right, bottom = p.block.box
    nearest = min(
        (x - corner[0]) * normal[0] + (y - corner[1]) * normal[1]
        for x in (left - margin, right + margin)
        for y in (top - margin, bottom + margin)
    )
    return max(0.12 * p.m, min(limit, nearest))


def _grid(p: Painter) -> None:
    """A fine grid fading out behind the type, lit cells, glows and circuit traces."""
    rng, pal, w, h, m = p.rng, p.palette, p.w, p.h, p.m
    cell = m / rng.choice([9, 10, 12])
    off_x, off_y = (w / 2) % cell, (h / 2) % cell

    def glows(draw, s):
        for colour, (gx, gy), r, alpha in (
            (pal.accent, (rng.choice([0.1, 0.9]) * w, rng.uniform(0.0, 0.3) * h), 0.5 * m, 90),
            (pal.accent_2, (rng.uniform(0.3, 0.7) * w, 1.05 * h), 0.4 * m, 60),
        ):
            draw.ellipse([(gx - r) * s, (gy - r) * s, (gx + r) * s, (gy + r) * s], (*colour, alpha))

    p.soft(glows, blur=0.1)
    width = max(1, round(m / 900))
    _grid_lines(p, cell, off_x, off_y, width)
    cells = _lit_cells(p, cell, off_x, off_y, width)
    traces = [t for t in (_trace(p, cell, off_x, off_y) for _ in range(12)) if t][:4]

    def details(draw):
        for x, y, pick in cells:
            box = [x + width, y + width, x + cell - width, y + cell - width]
            if pick < 0.6:
                draw.rectangle(box, (*pal.accent, 46))
            else:
                draw.rectangle(box, outline=(*pal.accent_2, 150), width=max(2, width * 2))
        node = 0.009 * m
        for points in traces:
            draw.line(points, (*pal.accent, 210), max(2, round(0.003 * m)), joint="curve")
            (ex, ey), (sx, sy) = points[-1], points[0]
            draw.ellipse([ex - node, ey - node, ex + node, ey + node], (*pal.accent_2, 255))
            draw.ellipse(
                [sx - node, sy - node, sx + node, sy + node],
                outline=(*pal.accent, 230),
                width=max(2, round(0.003 * m)),
            )

    p.crisp(details)


def _grid_lines(p: Painter, cell: float, off_x: float, off_y: float, width: int) -> None:
    """The grid's lines at full size, fading towards the type so they read as texture, not as
    lines through letters."""
    w, h = p.w, p.h
    p.settle()
    lines = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(lines)
    for x in np.arange(off_x, w, cell):
        draw.line([(x, 0), (x, h)], 255, width)
    for y in np.arange(off_y, h, cell):
        draw.line([(0, y), (w, y)], 255, width)
    if p.block.empty:
        cx, cy = w / 2, h / 2
    else:
        cx, cy = (p.block.box[0] + p.block.box[2]) / 2, (p.block.box[1] + p.block.box[3]) / 2
    sw, sh = p.small_size
    ys, xs = np.ogrid[0:sh, 0:sw]
    fade = np.clip(np.hypot(xs / sw - cx / w, ys / sh - cy / h) * 2.2, 0.12, 1.0) * 0.22 * 255
    fade = Image.fromarray(fade.astype(np.uint8)).resize((w, h), Image.Resampling.BILINEAR)
    p.image.paste((*p.palette.accent, 255), mask=ImageChops.multiply(lines, fade))


def _lit_cells(
    p: Painter, cell: float, off_x: float, off_y: float, width: int
) -> list[tuple[float, float, float]]:
    """Up to nine grid cells clear of the type, as (left, top, pick): a pick under 0.6 fills
    the cell, a higher one outlines it."""
    rng = p.rng
    columns, rows = int(p.w // cell) + 1, int(p.h // cell) + 1
    candidates = [
        (off_x + rng.randrange(columns) * cell, off_y + rng.randrange(rows) * cell, rng.random())
        for _ in range(30)
    ]
    cells = [c for c in candidates if p.outside_type(c[0] + cell / 2, c[1] + cell / 2, cell)][:9]
    # Checked after the draws above, which the traces' draws follow: same seed, same traces.
    if cell < 6 * width:  # a frame too small for cells to read as cells
        return []
    return cells


def _trace(p: Painter, cell: float, off_x: float, off_y: float) -> list | None:
    """An L-shaped circuit trace along the grid, or None if it would cross the type."""
    rng = p.rng
    x = off_x + rng.randrange(int(p.w // cell) + 1) * cell
    y = off_y + rng.randrange(int(p.h // cell) + 1) * cell
    bend = (x + rng.choice([-1, 1]) * rng.randint(2, 4) * cell, y)
    end = (bend[0], y + rng.choice([-1, 1]) * rng.randint(1, 3) * cell)
    points = [(x, y), bend, end]
    for (ax, ay), (bx, by) in itertools.pairwise(points):
        for t in np.linspace(0, 1, 9):
            px, py = ax + (bx - ax) * t, ay + (by - ay) * t
            if not (0 <= px <= p.w and 0 <= py <= p.h) or not p.outside_type(px, py, cell * 0.6):
                return None
    return points


def _frame(p: Painter) -> None:
    """An editorial layout: a colour block from one edge, a panel holding the type, dots."""
    rng, pal, w, h, m = p.rng, p.palette, p.w, p.h, p.m
    corner_x, corner_y = rng.choice([0, 1]), rng.choice([0, 1])

    def glow(draw, s):
        gx, gy, r = (1 - corner_x) * w, (1 - corner_y) * h, 0.45 * m
        draw.ellipse([(gx - r) * s, (gy - r) * s, (gx + r) * s, (gy + r) * s], (*pal.accent_2, 60))

    p.soft(glow, blur=0.1)
    block_w, block_h = rng.uniform(0.32, 0.42) * w, rng.uniform(0.45, 0.6) * h
    bx0 = 0 if corner_x == 0 else w - block_w
    by0 = 0 if corner_y == 0 else h - block_h
    colour_block = (bx0, by0, bx0 + block_w, by0 + block_h)
    # A disc half off the edge facing the block balances it; the dots take the fourth corner.
    disc_r = rng.uniform(0.16, 0.22) * m
    disc_x = (1 - corner_x) * w + (disc_r * 0.5 if corner_x == 0 else -disc_r * 0.5)
    disc_y = (1 - corner_y) * h + (disc_r * 0.5 if corner_y == 0 else -disc_r * 0.5)
    dots_x = 0.06 * w if corner_x == 1 else 0.94 * w - 5 * 0.03 * m
    dots_y = 0.92 * h - 3 * 0.03 * m if corner_y == 1 else 0.08 * h
    pad = 0.055 * m
    panel = None
    if not p.block.empty:
        left, top, right, bottom = p.block.box
        panel = (left - pad, top - pad, right + pad, bottom + pad)
        p.crisp(lambda draw: draw.rectangle(colour_block, (*pal.accent, 255)))
        p.shadow(panel, radius=0.01 * m, blur=0.03 * m, offset=0.012 * m, alpha=70)
    panel_fill = (
        mix(pal.start, (255, 255, 255), 0.75)
        if not pal.light_text
        else mix(pal.start, (0, 0, 0), 0.35)
    )

    def shapes(draw):
        if panel is None:
            draw.rectangle(colour_block, (*pal.accent, 255))
        draw.ellipse(
            [disc_x - disc_r, disc_y - disc_r, disc_x + disc_r, disc_y + disc_r],
            (*pal.accent_2, 255),
        )
        dot = 0.0045 * m
        for i in range(6):
            for j in range(4):
                x, y = dots_x + i * 0.03 * m, dots_y + j * 0.03 * m
                draw.ellipse([x - dot, y - dot, x + dot, y + dot], (*pal.text, 120))
        if panel is not None:
            offset = 0.02 * m
            draw.rectangle(
                _shift(panel, offset, offset),
                outline=(*pal.text, 200),
                width=max(2, round(0.003 * m)),
            )
            draw.rounded_rectangle(panel, 0.01 * m, (*panel_fill, 255))

    p.crisp(shapes)


LAYOUTS: dict[str, Callable[[Painter], None]] = {
    "orbs": _orbs,
    "bands": _bands,
    "grid": _grid,
    "frame": _frame,
}


# --- The provider: a designed picture for any scene, and the title and outro cards --------------


class ProceduralMediaProvider:
    """Draws a picture in the project's style around the scene's keywords. Never returns None."""

    name = "procedural"

    def find(self, request: MediaRequest, out_dir: Path) -> MediaItem:
        headline, tags = _headline_and_tags(request)
        # The seed leaves the frame size out: the same scene exported for another platform gets
        # the same composition, only re-proportioned.
        seed = digest(request.style.name, request.scene_index, *request.keywords)
        if request.variant:
            seed = digest(seed, request.variant)
        frame = request.frame
        block = layout_block(
            frame, headline=headline, tags=tags, align=_ALIGN.get(request.style.layout, "center")
        )
        image = paint(style=request.style, frame=frame, seed=seed, block=block)
        name_key = digest(seed, frame.width, frame.height) % 16**12
        path = out_dir / f"scene-{request.scene_index:03d}-{name_key:012x}.png"
        save_png(image, path)
        return MediaItem(
            path=path,
            kind="image",
            width=frame.width,
            height=frame.height,
            source=self.name,
            query=" ".join(request.keywords),
            licence=GENERATED_LICENCE,
        )


# Editorial layouts read best set from the start edge; the others centre their type.
_ALIGN = {"frame": "start", "bands": "start"}
MAX_TAGS = 3


def render_card(
    *,
    title: str,
    subtitle: str,
    style: Style,
    frame: FrameSize,
    out_path: Path,
    language: str = "en",
) -> MediaItem:
    """A title or outro card: the title large, the subtitle under it, in the scenes' look."""
    headline = prepare_text(title, language)
    sub = prepare_text(subtitle, language)
    block = layout_block(
        frame,
        headline=headline,
        subtitle=sub and regular_weight(sub),
        align="center",
        card=True,
    )
    seed = digest("card", style.name, title, subtitle)
    image = paint(style=style, frame=frame, seed=seed, block=block)
    save_png(image, out_path)
    return MediaItem(
        path=out_path,
        kind="image",
        width=frame.width,
        height=frame.height,
        source=ProceduralMediaProvider.name,
        query=title,
        licence=GENERATED_LICENCE,
    )


def _headline_and_tags(
    request: MediaRequest,
) -> tuple[Run | None, list[Run]]:
    """The first keyword that can be drawn becomes the headline, the next ones the pills.

    A scene without usable keywords is headed by the first words of what it should show.
    """
    language = request.language
    texts = [keyword for keyword in request.keywords if keyword.strip()]
    fallback = " ".join((request.visual_description or request.narration).split()[:4])
    for index, text in enumerate([*texts, fallback]):
        headline = prepare_text(headline_case(text, language), language)
        if headline is not None:
            return headline, _tag_runs(texts[index + 1 :], headline, language)
    return None, []


def _tag_runs(keywords: Sequence[str], headline: Run, language: str) -> list[Run]:
    """The secondary keywords as pills: capitals, no repeat of the headline, at most MAX_TAGS."""
    seen = {headline.text.casefold()}
    runs = []
    for keyword in keywords:
        run = prepare_text(upper_case(keyword, language), language)
        if run and run.text.casefold() not in seen:
            seen.add(run.text.casefold())
            runs.append(run)
    return runs[:MAX_TAGS]
