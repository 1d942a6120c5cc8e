"""Burned-in captions: ASS scripts that libass draws into the picture, from the cues of
`core.cues` (which also writes the SRT/WebVTT sidecar files).

Three burned-in styles: "lower_third" (a phrase at a time, bottom centre, for landscape video),
"word_highlight" (two or three big words at a time with the spoken word coloured, for vertical
video) and "centred" (a phrase at a time, large on a translucent box in the middle of the frame,
for templates that put the words first, like a quote). User text is escaped for each format, so
braces, backslashes and override tags in a script are shown as written and never interpreted.
"""

from collections.abc import Sequence

from ..core.cues import CaptionStyle, build_cues, join_words, plain_text
from ..core.styles import Style
from ..core.types import FrameSize, WordTiming

HIGHLIGHT_GROUP_WORDS = 3
CENTRE_SIZE = 0.08  # of the frame's shorter side
CENTRE_BOX_ALPHA = 0x50  # ASS alpha (0 is opaque): the picture shows faintly through the box


# --- ASS for burning in --------------------------------------------------------------------------


def ass_escape(text: str) -> str:
    """Text shown literally by libass: no override blocks, no \\N or \\h escapes."""
    # A word joiner after each backslash stops libass reading "\N", "\h", "\n" as escapes;
    # braces are escaped with libass's "\{" and "\}" so no override block can start.
    text = plain_text(text).replace("\\", "\\\u2060")
    return text.replace("{", "\\{").replace("}", "\\}")


def ass_script(
    words: Sequence[WordTiming],
    *,
    caption_style: CaptionStyle,
    style: Style,
    frame: FrameSize,
    window: tuple[float, float],
    watermark: str | None = None,
) -> str:
    """An ASS script for the part of the timeline in `window` (start_s, end_s), with times
    relative to the window's start, as a segment of the video sees them."""
    start_s, end_s = window
    events = []
    if caption_style == "lower_third":
        for cue in build_cues(words):
            events.append(("Caption", cue.start_s, cue.end_s, ass_escape(cue.text)))
    elif caption_style == "word_highlight":
        events.extend(_highlight_events(words, style))
    elif caption_style == "centred":
        for cue in build_cues(words):
            events.append(("Centre", cue.start_s, cue.end_s, ass_escape(cue.text)))
    if watermark:
        events.append(("Watermark", start_s, end_s, ass_escape(watermark)))
    lines = [_ass_header(style, frame)]
    for name, event_start, event_end, text in events:
        if event_end <= start_s or event_start >= end_s:
            continue
        local_start = max(0.0, event_start - start_s)
        local_end = min(end_s, event_end) - start_s
        lines.append(
            f"Dialogue: 0,{_ass_clock(local_start)},{_ass_clock(local_end)},{name},,0,0,0,,{text}"
        )
    return "\n".join(lines) + "\n"


def highlight_moments(words: Sequence[WordTiming]):
    """(start_s, end_s, group of words, index of the spoken one) for word-by-word captions.

    A group stays on screen until its next word starts, so it never flickers off between words.
    """
    for cue in build_cues(words, max_words=HIGHLIGHT_GROUP_WORDS):
        group = cue.words
        for position, word in enumerate(group):
            end_s = group[position + 1].start_s if position + 1 < len(group) else cue.end_s
            yield word.start_s, max(end_s, word.end_s), group, position


def _highlight_events(words: Sequence[WordTiming], style: Style):
    """One event per spoken word: its group of words, with that word in the highlight colour."""
    highlight = _ass_colour(style.caption_highlight)
    for start_s, end_s, group, spoken in highlight_moments(words):
        parts = [
            f"{{\\c{highlight}}}{ass_escape(word.text)}{{\\r}}"
            if index == spoken
            else ass_escape(word.text)
            for index, word in enumerate(group)
        ]
        yield "Highlight", start_s, end_s, join_words(parts)


def _ass_header(style: Style, frame: FrameSize) -> str:
    text = _ass_colour(style.caption_text)
    outline = _ass_colour(style.caption_outline)
    box = _ass_colour(style.caption_outline, alpha=0x60)
    short_side = min(frame.width, frame.height)
    caption_size = round(short_side * 0.055)
    highlight_size = round(short_side * 0.085)
    centre_size = round(short_side * CENTRE_SIZE)
    centre_box = _ass_colour(style.caption_outline, alpha=CENTRE_BOX_ALPHA)
    margin = round(frame.height * 0.07)
    # Encoding -1 lets libass pick each line's base direction, so Arabic and Hebrew captions run
    # right to left (VSFilter's default would force left to right).
    fields = (
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding"
    )
    side = round(frame.width * 0.08)
    return "\n".join(
        [
            "[Script Info]",
            "ScriptType: v4.00+",
            f"PlayResX: {frame.width}",
            f"PlayResY: {frame.height}",
            "WrapStyle: 0",
            "ScaledBorderAndShadow: yes",
            "",
            "[V4+ Styles]",
            fields,
            # Lower third: white on a solid box (BorderStyle 3), bottom centre (alignment 2).
            f"Style: Caption,Noto Sans,{caption_size},{text},{text},{outline},{box},1,0,0,0,"
            f"100,100,0,0,3,{max(2, caption_size // 6)},0,2,{side},{side},{margin},-1",
            # Word highlight: big bold words with a thick outline, lower middle (alignment 2,
            # raised to about a third from the bottom, above platform buttons).
            f"Style: Highlight,Noto Sans,{highlight_size},{text},{text},{outline},{outline},"
            f"1,0,0,0,100,100,0,0,1,{max(3, highlight_size // 10)},2,2,{side},{side},"
            f"{round(frame.height * 0.28)},-1",
            # Centred: a whole phrase, large, on a translucent box per line, in the middle
            # (alignment 5), so it reads over the headline of a designed picture.
            f"Style: Centre,Noto Sans,{centre_size},{text},{text},{centre_box},{centre_box},"
            f"1,0,0,0,100,100,0,0,3,{max(2, centre_size // 6)},0,5,{side},{side},0,-1",
            f"Style: Watermark,Noto Sans,{round(short_side * 0.03)},"
            f"{_ass_colour('#ffffff', 0x70)},{text},{_ass_colour('#000000', 0x90)},{box},"
            "1,0,0,0,100,100,0,0,1,1,0,9,"
            f"{round(frame.width * 0.03)},{round(frame.width * 0.03)},"
            f"{round(frame.height * 0.03)},1",
            "",
            "[Events]",
            "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
        ]
    )


def _ass_colour(hex_colour: str, alpha: int = 0) -> str:
    value = hex_colour.lstrip("#")
    red, green, blue = value[0:2], value[2:4], value[4:6]
    return f"&H{alpha:02X}{blue}{green}{red}".upper()


def _ass_clock(seconds: float) -> str:
    centis = max(0, round(seconds * 100))
    hours, centis = divmod(centis, 360_000)
    minutes, centis = divmod(centis, 6000)
    secs, centis = divmod(centis, 100)
    return f"{hours}:{minutes:02d}:{secs:02d}.{centis:02d}"
