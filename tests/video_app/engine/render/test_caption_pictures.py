"""Captions drawn with Pillow: shown when the burned ASS captions are, laid out in reading order,
kept inside the frame."""

import re

import numpy as np

from video_app.engine.core.styles import get_style, rgb
from video_app.engine.core.types import FrameSize, WordTiming
from video_app.engine.render.caption_pictures import caption_pictures, watermark_picture
from video_app.engine.render.captions import ass_script

FRAME = FrameSize(320, 180)
STYLE = get_style("tech")


def timed(text, step=0.4, pause_after=None):
    words, clock = [], 0.5
    for index, word in enumerate(text.split()):
        words.append(WordTiming(word, clock, clock + step * 0.8))
        clock += step + (1.0 if index == pause_after else 0.0)
    return words


def ass_times(words, caption_style):
    script = ass_script(
        words, caption_style=caption_style, style=STYLE, frame=FRAME, window=(0.0, 60.0)
    )
    clock = r"(\d+):(\d\d):(\d\d\.\d\d)"
    return [
        (
            round(int(h1) * 3600 + int(m1) * 60 + float(s1), 2),
            round(int(h2) * 3600 + int(m2) * 60 + float(s2), 2),
        )
        for h1, m1, s1, h2, m2, s2 in re.findall(rf"Dialogue: 0,{clock},{clock},", script)
    ]


def test_it_shows_captions_when_the_burned_ones_show():
    words = timed("Coffee is old. It came from Ethiopia long ago", pause_after=2)

    for caption_style in ("lower_third", "word_highlight", "centred"):
        pictures = caption_pictures(words, caption_style=caption_style, style=STYLE, frame=FRAME)
        shown = [(round(p.start_s, 2), round(p.end_s, 2)) for p in pictures]
        assert shown == ass_times(words, caption_style), caption_style


def test_it_keeps_a_word_group_on_screen_between_words():
    pictures = caption_pictures(
        timed("one two three"), caption_style="word_highlight", style=STYLE, frame=FRAME
    )

    assert [p.start_s for p in pictures[1:]] == [p.end_s for p in pictures[:-1]]


def highlighted_columns(picture):
    pixels = np.asarray(picture.image).astype(int)
    near = (np.abs(pixels[..., :3] - np.array(rgb(STYLE.caption_highlight))).sum(axis=2) < 60) & (
        pixels[..., 3] > 200
    )
    return np.nonzero(near)[1].mean() / picture.image.width


def test_it_highlights_words_in_reading_order():
    latin = caption_pictures(
        timed("one two three"), caption_style="word_highlight", style=STYLE, frame=FRAME
    )
    arabic = caption_pictures(
        timed("مرحبا بالعالم الجميل"), caption_style="word_highlight", style=STYLE, frame=FRAME
    )

    assert highlighted_columns(latin[0]) < 0.5 < highlighted_columns(latin[-1])
    assert highlighted_columns(arabic[0]) > 0.5 > highlighted_columns(arabic[-1])


def test_it_wraps_a_long_phrase_inside_the_frame():
    narrow = FrameSize(180, 320)
    short, long = (
        caption_pictures(timed(text), caption_style="lower_third", style=STYLE, frame=narrow)[0]
        for text in ("Coffee.", "Coffee was first brewed in Yemen and then it spread to Cairo")
    )

    assert long.image.height >= 2 * short.image.height
    assert long.x >= 0
    assert long.x + long.image.width <= narrow.width
    assert long.y + long.image.height <= narrow.height


def test_it_puts_the_watermark_in_the_top_right_corner():
    picture = watermark_picture("Free plan", frame=FRAME, duration_s=4.0)

    assert picture.x > FRAME.width / 2
    assert picture.x + picture.image.width < FRAME.width
    assert picture.y < FRAME.height * 0.1
    assert (picture.start_s, picture.end_s) == (0.0, 4.0)
    alpha = np.asarray(picture.image)[..., 3]
    assert 0 < alpha.max() < 255  # see-through, however bold
