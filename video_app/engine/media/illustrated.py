"""Illustrated scene pictures, the offline default: vector illustrations chosen for the scene's
words (illustrations.py), laid out over the style's palette with a short headline or the number
the narration states, clear of the captions and of the platforms' buttons.

Each picture comes in three parts: the finished still (`path`, what the storyboard and any engine
that ignores layers show), a background plate, and one transparent layer per illustration and for
the headline, each with a motion spec (`extra["plate"]`, `extra["layers"]`, read by the FFmpeg
engine through `render.base.Layer`). When no illustration fits, the typographic card is drawn,
with the reason in `extra["fallback_reason"]`.
"""

import logging
import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from ..core import packaged_models
from ..core.errors import RenderFailed
from ..core.keywords import content_words
from ..core.styles import Style
from ..core.types import FrameSize, MediaItem
from . import designed, illustrations
from .base import MediaRequest, digest, headline_case, save_png
from .designed import Box, Painter, Palette, ProceduralMediaProvider

logger = logging.getLogger(__name__)

# Up to this many illustrations in one scene ("three objects in a row").
MAX_ART = 3
# Layouts in the order consecutive scenes take them; the number layout replaces the turn of a
# scene whose narration states a number. "Regenerate" moves a scene on by one.
LAYOUT_CYCLE = ("hero", "side", "pair", "side_flip", "trio")
ART_NEEDED = {"hero": 1, "side": 1, "side_flip": 1, "pair": 2, "trio": 3, "number": 1}
ENTRANCE_S = 0.6
NUMBER_WORDS = {
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "dos": "2",
    "tres": "3",
    "cuatro": "4",
    "cinco": "5",
    "seis": "6",
    "siete": "7",
    "ocho": "8",
    "nueve": "9",
    "diez": "10",
}
NUMBER = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:[.,]\d+)?)\s?(%|percent\b|por ciento\b)?"
)


def content_box(frame: FrameSize) -> Box:
    """Where illustrations and headlines may go, as fractions of the frame (left, top, right,
    bottom).

    Landscape and square videos burn captions along the bottom (captions.py: "lower_third", 7 %
    up, two lines); vertical ones burn big words about 28-42 % up from the bottom, below which
    Shorts, Reels and TikTok lay their descriptions, and their buttons run down the right edge.
    """
    if frame.is_vertical:
        return 0.12, 0.09, 0.88, 0.56
    if frame.aspect < 1.25:
        return 0.07, 0.07, 0.93, 0.71
    return 0.06, 0.08, 0.94, 0.73


@dataclass
class _Placed:
    """A layer being composed: its picture at the composing scale, its box in pixels, its motion."""

    image: Image.Image
    left: float
    top: float
    kind: str  # "art" or "text"
    entrance: str
    delay_s: float
    float_amplitude: float = 0.0
    float_period_s: float = 4.0
    phase: float = 0.0


class IllustratedMediaProvider:
    """Scene pictures made of illustrations; the typographic card when none fits."""

    name = "illustrated"

    def find(self, request: MediaRequest, out_dir: Path) -> MediaItem:
        number = stated_number(request.narration)
        layout = choose_layout(request.scene_index, request.variant, number=number is not None)
        texts = [request.visual_description, request.narration, *request.keywords]
        try:
            art = illustrations.choose_art(
                texts,
                language=request.language,
                count=ART_NEEDED[layout],
                exclude=request.exclude_art,
                variant=request.variant,
            )
            if not art and request.topic:
                # A scene that names nothing to show ("Here's the simple version.") shows
                # what the video is about rather than a card.
                art = illustrations.choose_art(
                    [request.topic],
                    language=request.language,
                    exclude=request.exclude_art,
                    variant=request.variant,
                )
        except (packaged_models.ModelUnavailable, OSError) as error:
            logger.warning("illustrations unavailable: %s", error)
            return _card(request, out_dir, "The illustration library is not installed.")
        if not art:
            return _card(request, out_dir, "No illustration matches this scene's words.")
        try:
            return compose(request, art, _fit_layout(layout, len(art)), number, out_dir)
        except RenderFailed as error:
            logger.warning("illustration not drawn: %s (%s)", error, error.detail)
            return _card(request, out_dir, error.message)


def _card(request: MediaRequest, out_dir: Path, reason: str) -> MediaItem:
    drawn = ProceduralMediaProvider().find(request, out_dir)
    return replace(drawn, extra={**drawn.extra, "fallback_reason": reason})


def choose_layout(scene_index: int, variant: int, *, number: bool) -> str:
    if number:
        return "number"
    return LAYOUT_CYCLE[(scene_index + variant) % len(LAYOUT_CYCLE)]


def _fit_layout(layout: str, found: int) -> str:
    """A layout for the illustrations actually found (fewer than asked for drops a slot)."""
    if ART_NEEDED[layout] <= found:
        return layout
    return "pair" if found == 2 else "hero"


def stated_number(narration: str) -> tuple[str, str] | None:
    """The first number the narration states, as a headline, and the word after it: "5 habits
    of..." -> ("5", "habits"); "40 percent" -> ("40%", ""). None when it states none."""
    for match in re.finditer(r"\S+", narration):
        word = match.group().strip(".,;:!?¡¿()\"'").casefold()
        if word in NUMBER_WORDS:
            return NUMBER_WORDS[word], _next_word(narration, match.end())
    found = NUMBER.search(narration)
    if found is None:
        return None
    text = found.group(1) + ("%" if found.group(2) else "")
    return text, "" if found.group(2) else _next_word(narration, found.end())


def _next_word(text: str, position: int) -> str:
    following = re.match(r"\s*([^\W\d_][\w'-]*)", text[position:])
    return following.group(1) if following else ""


def headline_text(request: MediaRequest) -> str:
    """The scene's best keyword as a title, trimmed to the words that name something ("bee
    collecting" -> "Bee", "wildflowers provide" -> "Wildflowers"), else its first words."""
    language = request.language
    nouns = content_words(f"{request.visual_description}. {request.narration}", language)
    gerund = _GERUNDS.get(language.split("-")[0].casefold())
    for keyword in request.keywords:
        words = keyword.split()
        while words and not _names_something(words[-1], nouns, gerund):
            words.pop()
        while words and not _names_something(words[0], nouns, gerund):
            words.pop(0)
        if words:
            return headline_case(" ".join(words), language)
    words = (request.visual_description or request.narration).split()[:3]
    return headline_case(" ".join(words).strip(".,;:!?"), language)


# Verb forms a keyword may end on that name no thing ("farmer harvesting").
_GERUNDS = {"en": re.compile(r"\w{3,}ing$"), "es": re.compile(r"\w{2,}(ando|iendo)$")}


def _names_something(word: str, nouns: set[str], gerund: re.Pattern | None) -> bool:
    folded = word.casefold()
    return folded in nouns and not (gerund and gerund.fullmatch(folded))


# --- Composing ----------------------------------------------------------------------------------


def compose(
    request: MediaRequest, art: list, layout: str, number: tuple[str, str] | None, out_dir: Path
) -> MediaItem:
    """Plate, layers and finished still for the scene, written to `out_dir`."""
    frame, style = request.frame, request.style
    seed = digest(style.name, request.scene_index, request.variant, *(a.id for a in art))
    rng = random.Random(seed)  # noqa: S311 - varies motion and shapes, guards nothing
    palette = Palette.of(style)
    slots, text_box, align = _slots(layout, frame, len(art))
    placed = [
        _art_layer(piece, slot, frame, rng, order)
        for order, (piece, slot) in enumerate(zip(art, slots, strict=False))
    ]
    if layout == "number" and number is not None:
        label = number[1] or headline_text(request)
        text = _number_layer(number[0], label, text_box, frame, palette, request.language, align)
    else:
        text = _text_layer(
            headline_text(request), text_box, frame, palette, request.language, align=align
        )
    layers = placed + ([text] if text is not None else [])
    plate = paint_plate(style, frame, seed, focus=[_centre(layer) for layer in placed])
    still = plate.convert("RGBA")
    for layer in layers:
        still.alpha_composite(layer.image, (round(layer.left), round(layer.top)))

    name_key = digest(seed, frame.width, frame.height) % 16**12
    stem = f"scene-{request.scene_index:03d}-{name_key:012x}"
    path, plate_path = out_dir / f"{stem}.png", out_dir / f"{stem}-plate.png"
    save_png(still.convert("RGB"), path)
    save_png(plate, plate_path)
    specs = []
    for number_, layer in enumerate(layers):
        layer_path = out_dir / f"{stem}-layer{number_}.png"
        save_png(layer.image, layer_path)
        specs.append(_spec(layer, layer_path, frame))
    licence, attribution = credits(art)
    return MediaItem(
        path=path,
        kind="image",
        width=frame.width,
        height=frame.height,
        source=IllustratedMediaProvider.name,
        query=" ".join(request.keywords),
        licence=licence,
        attribution=attribution,
        extra={
            "layout": layout,
            "art": [
                {"id": a.id, "title": a.title, "licence": a.licence, "attribution": a.attribution}
                for a in art
            ],
            "exclude_art": list(request.exclude_art),
            "text_box": [round(v, 5) for v in _fractions(text_box, frame)],
            "align": align,
            "plate": str(plate_path),
            "layers": specs,
        },
    )


def retitle(
    item: MediaItem, title: str, style: Style, out_path: Path, *, language: str = "en"
) -> MediaItem | None:
    """The picture with `title` in place of its headline, its illustrations unchanged: how a
    short-form video shows its title over the first scene. None for a picture with no layers."""
    extra = item.extra
    if not extra.get("layers") or not extra.get("text_box"):
        return None
    frame = FrameSize(item.width, item.height)
    left, top, right, bottom = extra["text_box"]
    box = (left * frame.width, top * frame.height, right * frame.width, bottom * frame.height)
    text = _text_layer(
        title, box, frame, Palette.of(style), language, align=extra["align"], max_lines=3
    )
    if text is None:
        return None
    art_layers = [layer for layer in extra["layers"] if layer["kind"] != "text"]
    text_path = out_path.with_name(f"{out_path.stem}-title.png")
    save_png(text.image, text_path)
    layers = [*art_layers, _spec(text, text_path, frame)]
    with Image.open(extra["plate"]) as plate:
        still = plate.convert("RGBA")
    for layer in layers:
        with Image.open(layer["path"]) as picture:
            x, y = layer["box"][0] * frame.width, layer["box"][1] * frame.height
            still.alpha_composite(picture.convert("RGBA"), (round(x), round(y)))
    save_png(still.convert("RGB"), out_path)
    return replace(item, path=out_path, extra={**extra, "layers": layers})


def _fractions(box: Box, frame: FrameSize) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box
    return x0 / frame.width, y0 / frame.height, x1 / frame.width, y1 / frame.height


def credits(art: list) -> tuple[str, str]:
    """One licence line and one attribution line for all the pieces of a picture."""
    licences = list(dict.fromkeys(piece.licence for piece in art if piece.licence))
    attributions = list(dict.fromkeys(piece.attribution for piece in art if piece.attribution))
    return "; ".join(licences), "; ".join(attributions)


def _spec(layer: _Placed, path: Path, frame: FrameSize) -> dict:
    width, height = layer.image.size
    return {
        "path": str(path),
        "kind": layer.kind,
        "box": [
            round(layer.left / frame.width, 5),
            round(layer.top / frame.height, 5),
            round(width / frame.width, 5),
            round(height / frame.height, 5),
        ],
        "entrance": layer.entrance,
        "delay_s": round(layer.delay_s, 3),
        "float_amplitude": round(layer.float_amplitude, 5),
        "float_period_s": round(layer.float_period_s, 3),
        "phase": round(layer.phase, 3),
    }


def _centre(layer: _Placed) -> tuple[float, float]:
    width, height = layer.image.size
    return layer.left + width / 2, layer.top + height / 2


# A slot is where one illustration goes: its centre and side in pixels.
Slot = tuple[float, float, float]


def _slots(layout: str, frame: FrameSize, count: int) -> tuple[list[Slot], Box, str]:
    """Illustration slots, the headline's box (pixels) and its alignment, for the layout in
    this frame."""
    fx0, fy0, fx1, fy1 = content_box(frame)
    x0, y0, x1, y1 = fx0 * frame.width, fy0 * frame.height, fx1 * frame.width, fy1 * frame.height
    # Floating moves a picture up and down by FLOAT of the height: keep that inside the box.
    y0, y1 = y0 + FLOAT * frame.height, y1 - FLOAT * frame.height
    w, h = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2
    wide = w / h > 1.15
    if layout in ("side", "side_flip", "number") and wide:
        side = min(h, w * 0.46)
        gap = 0.05 * w
        if layout == "side":  # the picture first, the headline after it
            return [(x0 + side / 2, (y0 + y1) / 2, side)], (x0 + side + gap, y0, x1, y1), "start"
        # "side_flip" and "number": the words first, the picture after them
        return [(x1 - side / 2, (y0 + y1) / 2, side)], (x0, y0, x1 - side - gap, y1), "start"
    if layout == "number":  # tall frames: the number above, the object under it
        text_h = h * 0.42
        side = min(h - text_h, w * 0.8)
        return [(cx, y1 - side / 2, side)], (x0, y0, x1, y0 + text_h), "center"
    text_h = h * 0.2
    if layout in ("trio", "side_flip") or (layout == "hero" and not wide):
        text, art_area = (x0, y0, x1, y0 + text_h), (x0, y0 + text_h, x1, y1)
    else:
        text, art_area = (x0, y1 - text_h, x1, y1), (x0, y0, x1, y1 - text_h)
    slots = _art_slots(layout, art_area, count, wide)
    return slots, text, "center"


def _art_slots(layout: str, art_area: Box, count: int, wide: bool) -> list[Slot]:
    ax0, ay0, ax1, ay1 = art_area
    aw, ah = ax1 - ax0, ay1 - ay0
    acx, acy = (ax0 + ax1) / 2, (ay0 + ay1) / 2
    if layout == "pair" and count >= 2:
        if wide:
            side = min(ah, aw * 0.42)
            gap = min(aw * 0.08, side * 0.25)
            return [(acx - (side + gap) / 2, acy, side), (acx + (side + gap) / 2, acy, side)]
        side = min(ah * 0.6, aw * 0.62)  # staggered: one up left, one down right
        return [(ax0 + side / 2, ay0 + side / 2, side), (ax1 - side / 2, ay1 - side / 2, side)]
    if layout == "trio" and count >= 3:
        if wide:
            side = min(ah, aw * 0.3)
            gap = (aw - 3 * side) / 4
            return [(ax0 + gap + side / 2 + i * (side + gap), acy, side) for i in range(3)]
        big, small = min(ah * 0.56, aw * 0.6), min(ah * 0.48, aw * 0.48)
        return [
            (acx, ay0 + big / 2, big),
            (ax0 + small / 2, ay1 - small / 2, small),
            (ax1 - small / 2, ay1 - small / 2, small),
        ]
    side = min(ah, aw * (0.9 if not wide else 0.6))
    return [(acx, acy, side)]


FLOAT = 0.012  # how far an illustration floats up and down, x the frame's height


def _art_layer(art, slot: Slot, frame: FrameSize, rng: random.Random, order: int) -> _Placed:
    """The illustration rendered at its slot's size from the vector, with a soft shadow under it
    in its own layer (so the shadow floats with it)."""
    cx, cy, side = slot
    size = max(8, round(side * 0.94))  # room inside the slot for the shadow
    picture = illustrations.render_art(art, size)
    shadow_offset = round(size * 0.035)
    pad = round(size * 0.05)
    layer = Image.new("RGBA", (size + 2 * pad, size + 2 * pad + shadow_offset), (0, 0, 0, 0))
    alpha = picture.getchannel("A").reduce(4).filter(ImageFilter.GaussianBlur(size * 0.012))
    alpha = alpha.resize(picture.size, Image.Resampling.BILINEAR).point(lambda a: a * 0.28)
    layer.paste((0, 0, 0, 255), (pad, pad + shadow_offset), mask=alpha)
    layer.alpha_composite(picture, (pad, pad))
    entrance = "pop" if order == 0 else rng.choice(("slide_left", "slide_right", "drop"))
    return _Placed(
        layer,
        cx - layer.width / 2,
        cy - layer.height / 2 + shadow_offset / 2,
        "art",
        entrance=entrance,
        delay_s=0.15 + 0.25 * order,
        float_amplitude=FLOAT * rng.uniform(0.7, 1.0),
        float_period_s=rng.uniform(3.2, 4.6),
        phase=rng.uniform(0, 2 * math.pi),
    )


def _text_layer(
    text: str,
    box: Box,
    frame: FrameSize,
    palette: Palette,
    language: str,
    *,
    align: str,
    max_lines: int = 2,
) -> _Placed | None:
    run = designed.prepare_text(text, language)
    if run is None:
        return None
    m = min(frame.width, frame.height)
    x0, y0, x1, y1 = box
    lines = designed.fit_lines(
        run,
        box_w=x1 - x0,
        box_h=y1 - y0,
        max_size=0.12 * m,
        min_size=0.035 * m,
        max_lines=max_lines,
        pitch=1.12,
    )
    return _type_layer([(lines, palette.text)], box, frame, palette, align, "fade")


def _number_layer(
    number: str, label: str, box: Box, frame: FrameSize, palette: Palette, language: str, align: str
) -> _Placed | None:
    """The number very large in the accent colour, the word it counts under it."""
    big = designed.prepare_text(number, language)
    if big is None:
        return None
    m = min(frame.width, frame.height)
    x0, y0, x1, y1 = box
    rows = []
    small = designed.prepare_text(headline_case(label, language), language)
    label_h = 0.3 * (y1 - y0) if small else 0
    rows.append(
        (
            designed.fit_lines(
                big,
                box_w=x1 - x0,
                box_h=y1 - y0 - label_h,
                max_size=0.42 * m,
                min_size=0.08 * m,
                max_lines=1,
                pitch=1.0,
            ),
            _number_colour(palette),
        )
    )
    if small:
        rows.append(
            (
                designed.fit_lines(
                    small,
                    box_w=x1 - x0,
                    box_h=label_h,
                    max_size=0.085 * m,
                    min_size=0.03 * m,
                    max_lines=2,
                    pitch=1.12,
                ),
                palette.text,
            )
        )
    return _type_layer(rows, box, frame, palette, align, "pop")


def _number_colour(palette: Palette):
    """An accent colour for the big number, if one reads on the background (3:1, large type)."""
    background = designed.mix(palette.start, palette.end, 0.5)
    for colour in (palette.accent_2, palette.accent):
        if designed.contrast(colour, background) >= 3.0:
            return colour
    return palette.text


def _type_layer(
    rows, box: Box, frame: FrameSize, palette: Palette, align: str, entrance: str
) -> _Placed:
    """Lines of type, centred vertically in `box`, on a transparent layer with a soft shadow."""
    m = min(frame.width, frame.height)
    x0, y0, x1, y1 = box
    width = round(x1 - x0)
    total = sum(lines.height for lines, _ in rows)
    margin = round(0.03 * m)
    layer = Image.new("RGBA", (width + 2 * margin, round(total) + 2 * margin), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    y = margin
    anchor_x, anchor = (layer.width / 2, "mm") if align == "center" else (margin, "lm")
    mask = Image.new("L", layer.size, 0)
    mask_draw = ImageDraw.Draw(mask)
    for lines, colour in rows:
        for line in lines.lines:
            centre = (anchor_x, y + lines.pitch / 2)
            draw.text(centre, line, fill=(*colour, 255), font=lines.font, anchor=anchor)
            mask_draw.text(centre, line, fill=255, font=lines.font, anchor=anchor)
            y += lines.pitch
    # A soft shade under the letters: the type stays readable over any part of the plate.
    shade = mask.filter(ImageFilter.GaussianBlur(0.006 * m)).point(lambda a: a * 0.45)
    under = Image.new("RGBA", layer.size, (*palette.shade, 0))
    under.putalpha(shade)
    under.alpha_composite(layer, (0, 0))
    bbox = under.getbbox() or (0, 0, 1, 1)
    cropped = under.crop(bbox)
    top = (y0 + y1) / 2 - total / 2 - margin + bbox[1]
    return _Placed(cropped, x0 - margin + bbox[0], top, "text", entrance=entrance, delay_s=0.05)


def paint_plate(style: Style, frame: FrameSize, seed: int, *, focus) -> Image.Image:
    """The background: the style's gradient, a soft halo behind the illustrations and two
    blurred accent shapes in opposite corners. Calm on purpose: the illustrations are the show."""
    palette = Palette.of(style)
    rng = random.Random(seed)  # noqa: S311
    painter = Painter(frame, palette, rng, designed.Block())
    painter.background()
    w, h, m = frame.width, frame.height, min(frame.width, frame.height)
    corner = rng.choice(((0.0, 0.0), (1.0, 0.0)))
    blobs = [
        (corner[0] * w, corner[1] * h + 0.05 * h, 0.42 * m, palette.accent),
        ((1 - corner[0]) * w, h * 0.95, 0.5 * m, palette.accent_2),
    ]
    halo = designed.mix(palette.start, palette.text, 0.18 if palette.light_text else 0.5)

    def shapes(draw, s):
        for x, y, r, colour in blobs:
            draw.ellipse([(x - r) * s, (y - r) * s, (x + r) * s, (y + r) * s], (*colour, 70))
        for x, y in focus[:1]:
            r = 0.36 * m
            draw.ellipse([(x - r) * s, (y - r) * s, (x + r) * s, (y + r) * s], (*halo, 90))

    painter.soft(shapes, blur=0.07)
    painter.settle()
    return painter.image.convert("RGB")


# --- The thumbnail ------------------------------------------------------------------------------


def hero_illustration(extras: Iterable[dict]) -> Path | None:
    """The video's strongest illustration: the first scene's main one (pictures' `extra`)."""
    for extra in extras:
        for layer in extra.get("layers", ()):
            if layer.get("kind") == "art" and Path(layer["path"]).is_file():
                return Path(layer["path"])
    return None


def design_thumbnail(
    *,
    title: str,
    hero: Path | None,
    style: Style,
    frame: FrameSize,
    out_path: Path,
    language: str = "en",
) -> Path | None:
    """The video's cover, written to `out_path`: the title large beside (or above) its strongest
    illustration, on the style's background. None without an illustration (the export then
    takes its sharpest frame)."""
    if hero is None or not hero.is_file():
        return None
    save_png(_cover(title, hero, style, frame, language), out_path)
    return out_path


def _cover(title: str, hero: Path, style: Style, frame: FrameSize, language: str) -> Image.Image:
    palette = Palette.of(style)
    w, h, m = frame.width, frame.height, min(frame.width, frame.height)
    art = Image.open(hero).convert("RGBA")
    art = art.crop(art.getbbox() or (0, 0, art.width, art.height))
    if frame.is_vertical:
        art_box = (0.08 * w, 0.44 * h, 0.92 * w, 0.92 * h)
        text_box = (0.08 * w, 0.07 * h, 0.92 * w, 0.4 * h)
        align = "center"
    else:
        art_box = (0.55 * w, 0.1 * h, 0.95 * w, 0.9 * h)
        text_box = (0.06 * w, 0.12 * h, 0.53 * w, 0.88 * h)
        align = "start"
    box_w, box_h = art_box[2] - art_box[0], art_box[3] - art_box[1]
    scale = min(box_w / art.width, box_h / art.height)
    art = art.resize(
        (max(1, round(art.width * scale)), max(1, round(art.height * scale))),
        Image.Resampling.LANCZOS,
    )
    centre = ((art_box[0] + art_box[2]) / 2, (art_box[1] + art_box[3]) / 2)
    seed = digest("thumbnail", style.name, title)
    image = paint_plate(style, frame, seed, focus=[centre]).convert("RGBA")
    image.alpha_composite(
        art, (round(centre[0] - art.width / 2), round(centre[1] - art.height / 2))
    )
    run = designed.prepare_text(title, language)
    if run is not None:
        lines = designed.fit_lines(
            run,
            box_w=text_box[2] - text_box[0],
            box_h=text_box[3] - text_box[1],
            max_size=0.17 * m,
            min_size=0.05 * m,
            max_lines=3,
            pitch=1.1,
        )
        layer = _type_layer([(lines, palette.text)], text_box, frame, palette, align, "fade")
        bar_h = round(0.018 * m)
        bar_top = round(layer.top + layer.image.height + 0.02 * m)
        bar_left = round(layer.left if align == "start" else w / 2 - 0.08 * m)
        ImageDraw.Draw(image).rounded_rectangle(
            (bar_left, bar_top, bar_left + round(0.16 * m), bar_top + bar_h),
            bar_h / 2,
            fill=palette.accent,
        )
        image.alpha_composite(layer.image, (round(layer.left), round(layer.top)))
    return image.convert("RGB")
