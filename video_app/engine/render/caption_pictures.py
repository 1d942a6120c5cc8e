"""Captions and the watermark drawn as pictures with Pillow, for engines that composite frames
themselves (the MoviePy engine) instead of burning ASS scripts with libass.

The pictures copy the ASS styles of captions._ass_header: the same sizes (libass's sense of a font
size), colours, outlines and margins, so either engine's captions look alike. Raqm shapes Arabic
and Indic text and runs right-to-left scripts the right way.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont, features

from ..core.cues import CaptionStyle, build_cues, join_words
from ..core.fonts import font_for, script_of
from ..core.styles import Style, rgb
from ..core.types import FrameSize, WordTiming
from .captions import CENTRE_BOX_ALPHA, CENTRE_SIZE, highlight_moments

# Without Raqm, Pillow draws letters one by one, left to right: Arabic comes out unjoined and
# backwards, so the engine should run where Pillow was built with it (the wheels are).
LAYOUT = ImageFont.Layout.RAQM if features.check_feature("raqm") else ImageFont.Layout.BASIC
RTL_SCRIPTS = {"arabic", "hebrew"}
HIGHLIGHT_SHADOW = 2
# ASS alpha runs from 0 (opaque) to 255 (clear).
WATERMARK_OPACITY = 1 - 0x70 / 255
WATERMARK_OUTLINE_OPACITY = 1 - 0x90 / 255


@dataclass(frozen=True)
class CaptionPicture:
    image: Image.Image  # RGBA
    x: int  # top-left corner on the frame
    y: int
    start_s: float
    end_s: float


def caption_pictures(
    words: Sequence[WordTiming], *, caption_style: CaptionStyle, style: Style, frame: FrameSize
) -> list[CaptionPicture]:
    """The pictures to lay over the video, each with where and when it shows (words on the
    video's clock, as Timeline.caption_words gives them)."""
    if caption_style == "lower_third":
        return [
            _lower_third(cue.words, cue.start_s, cue.end_s, style, frame)
            for cue in build_cues(words)
        ]
    if caption_style == "word_highlight":
        return [
            _highlighted(group, spoken, start_s, end_s, style, frame)
            for start_s, end_s, group, spoken in highlight_moments(words)
        ]
    if caption_style == "centred":
        return [
            _lower_third(cue.words, cue.start_s, cue.end_s, style, frame, centred=True)
            for cue in build_cues(words)
        ]
    return []


def _lower_third(
    words, start_s: float, end_s: float, style: Style, frame: FrameSize, *, centred: bool = False
):
    """A phrase on a box per line, bottom centre: the ASS "Caption" style (BorderStyle 3); with
    `centred`, larger on a translucent box in the middle: the "Centre" style."""
    font_size = round(min(frame.width, frame.height) * (CENTRE_SIZE if centred else 0.055))
    padding = max(2, font_size // 6)
    texts = [word.text for word in words]
    font = _font(join_words(texts), font_size)
    max_width = frame.width - 2 * round(frame.width * 0.08) - 2 * padding
    lines = [join_words(texts[i] for i in line) for line in _wrap(texts, font, max_width)]
    ascent, descent = font.getmetrics()
    line_h = ascent + descent + 2 * padding
    width = max(math.ceil(font.getlength(line)) for line in lines) + 2 * padding
    image = Image.new("RGBA", (width, line_h * len(lines)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    # libass paints this box in the outline colour, which the style leaves opaque (translucent
    # when centred).
    box = (*rgb(style.caption_outline), 255 - CENTRE_BOX_ALPHA if centred else 255)
    for row, line in enumerate(lines):
        box_w = math.ceil(font.getlength(line)) + 2 * padding
        left = (width - box_w) // 2
        draw.rectangle([left, row * line_h, left + box_w - 1, (row + 1) * line_h - 1], fill=box)
        draw.text(
            (width / 2, row * line_h + padding),
            line,
            font=font,
            anchor="ma",
            fill=(*rgb(style.caption_text), 255),
        )
    if centred:
        top = (frame.height - image.height) // 2
        return CaptionPicture(image, (frame.width - width) // 2, top, start_s, end_s)
    # The last line of text sits on the bottom margin; its box reaches below it.
    bottom = frame.height - round(frame.height * 0.07) + padding
    return CaptionPicture(image, (frame.width - width) // 2, bottom - image.height, start_s, end_s)


def _highlighted(group, spoken: int, start_s: float, end_s: float, style: Style, frame: FrameSize):
    """Two or three big outlined words with the spoken one coloured: the ASS "Highlight" style.
    Words are drawn one at a time (each in its colour), in reading order."""
    font_size = round(min(frame.width, frame.height) * 0.085)
    stroke = max(3, font_size // 10)
    texts = [word.text for word in group]
    font = _font(join_words(texts), font_size)
    rtl = script_of(join_words(texts)) in RTL_SCRIPTS
    lines = _wrap(texts, font, frame.width - 2 * round(frame.width * 0.08))
    placed = [_place_words([(i, texts[i]) for i in line], font, rtl) for line in lines]
    ascent, descent = font.getmetrics()
    line_h = ascent + descent
    margin = stroke + HIGHLIGHT_SHADOW
    width = max(line_w for _, line_w in placed) + 2 * margin
    image = Image.new("RGBA", (width, line_h * len(lines) + 2 * margin), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    outline = (*rgb(style.caption_outline), 255)
    colours = {False: (*rgb(style.caption_text), 255), True: (*rgb(style.caption_highlight), 255)}
    for shadow in (HIGHLIGHT_SHADOW, 0):  # the shadow first, under every word
        for row, (words, line_w) in enumerate(placed):
            left = (width - line_w) / 2 + shadow
            top = margin + row * line_h + shadow
            for x, (position, text) in words:
                fill = outline if shadow else colours[position == spoken]
                draw.text(
                    (left + x, top),
                    text,
                    font=font,
                    fill=fill,
                    stroke_width=stroke,
                    stroke_fill=outline,
                )
    # Raised to about a third from the bottom (above platform buttons); outline and shadow
    # reach below the last line.
    bottom = frame.height - round(frame.height * 0.28) + margin
    return CaptionPicture(image, (frame.width - width) // 2, bottom - image.height, start_s, end_s)


def _place_words(line: list[tuple[int, str]], font, rtl: bool):
    """Each word's x from the line's left edge, and the line's width. Right-to-left lines are
    laid out from the right, so their first word ends up rightmost."""
    placed, x = [], 0.0
    ordered = list(reversed(line)) if rtl else line
    for number, (position, text) in enumerate(ordered):
        if number and join_words([ordered[number - 1][1], text]) != ordered[number - 1][1] + text:
            x += font.getlength(" ")
        placed.append((x, (position, text)))
        x += font.getlength(text)
    return placed, math.ceil(x)


def _wrap(texts: list[str], font, max_width: float) -> list[list[int]]:
    """The words' positions, line by line, in lines no wider than max_width (a word too wide
    for any line gets one of its own)."""
    lines: list[list[int]] = [[]]
    for position, text in enumerate(texts):
        candidate = join_words([*(texts[i] for i in lines[-1]), text])
        if lines[-1] and font.getlength(candidate) > max_width:
            lines.append([])
        lines[-1].append(position)
    return lines


def watermark_picture(text: str, *, frame: FrameSize, duration_s: float) -> CaptionPicture:
    """The watermark in the top-right corner for the whole video: translucent white on a
    fainter dark outline (the ASS "Watermark" style)."""
    font = _font(text, round(min(frame.width, frame.height) * 0.03))
    # Measured from the line's top (anchor "la"), as the ASS margin is.
    left, _, right, bottom = font.getbbox(text, anchor="la", stroke_width=1)
    size = (right - left, bottom)
    layers = []
    for fill, stroke, opacity in (
        ((0, 0, 0, 255), 1, WATERMARK_OUTLINE_OPACITY),
        ((255, 255, 255, 255), 0, WATERMARK_OPACITY),
    ):
        layer = Image.new("RGBA", size, (0, 0, 0, 0))
        ImageDraw.Draw(layer).text(
            (-left, 0),
            text,
            font=font,
            anchor="la",
            fill=fill,
            stroke_width=stroke,
            stroke_fill=fill,
        )
        layer.putalpha(layer.getchannel("A").point(lambda alpha, o=opacity: round(alpha * o)))
        layers.append(layer)
    x = frame.width - round(frame.width * 0.03) - size[0]
    y = round(frame.height * 0.03)
    return CaptionPicture(Image.alpha_composite(*layers), x, y, 0.0, duration_s)


def _font(text: str, size: int) -> ImageFont.FreeTypeFont:
    """A font for `text` whose line (ascent + descent) is `size` pixels high: libass sizes ASS
    fonts that way, so these captions come out as large as the burned ones."""
    path = str(font_for(text))
    ascent, descent = ImageFont.truetype(path, 100).getmetrics()
    pixels = max(1, round(size * 100 / (ascent + descent)))
    return ImageFont.truetype(path, pixels, layout_engine=LAYOUT)
