"""Designed pictures drawn with Pillow: the offline stand-in for stock footage, with the scene's
keywords set as type in any script, and title cards."""

import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.video_app.engine.media.conftest import FRAMES, LANDSCAPE, PORTRAIT, SQUARE, scene
from video_app.engine.core import fonts
from video_app.engine.core.styles import STYLES, get_style, rgb
from video_app.engine.media import GENERATED_LICENCE, ProceduralMediaProvider, designed, render_card


def painted(
    headline: str | None, *, frame=LANDSCAPE, style="modern", language="en", tags=()
) -> Image.Image:
    """A picture with a fixed seed, so two calls differ only by their type."""
    run = designed.prepare_text(headline, language) if headline else None
    tag_runs = [designed.prepare_text(tag, language) for tag in tags]
    block = designed.layout_block(frame, headline=run, tags=tag_runs)
    return designed.paint(style=get_style(style), frame=frame, seed=7, block=block)


def type_pixels(image: Image.Image, style="modern") -> np.ndarray:
    """Where the type is: glyphs are filled with the style's text colour, which no shape uses
    at full strength (shapes, sparks and shadows are all blended)."""
    return (np.asarray(image.convert("RGB")) == rgb(get_style(style).text)).all(axis=2)


def ink(image: Image.Image, style="modern") -> int:
    return int(np.count_nonzero(type_pixels(image, style)))


def bounds(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return columns[0], rows[0], columns[-1] + 1, rows[-1] + 1


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- Designed pictures --------------------------------------------------------------------------


@FRAMES
def test_it_draws_a_picture_of_the_requested_size(tmp_path, frame):
    item = ProceduralMediaProvider().find(scene(frame=frame), tmp_path)

    with Image.open(item.path) as image:
        assert image.format == "PNG"
        assert image.size == (frame.width, frame.height)
    assert (item.width, item.height, item.kind) == (frame.width, frame.height, "image")
    assert item.source == "procedural"
    assert item.query == "Ocean currents climate heat"
    assert item.licence == GENERATED_LICENCE


def test_it_leaves_one_finished_picture_when_a_scene_is_drawn_twice(tmp_path):
    ProceduralMediaProvider().find(scene(), tmp_path)
    item = ProceduralMediaProvider().find(scene(), tmp_path)

    assert list(tmp_path.iterdir()) == [item.path]


def test_it_draws_the_same_bytes_for_the_same_request(tmp_path):
    first = ProceduralMediaProvider().find(scene(), tmp_path / "a")
    second = ProceduralMediaProvider().find(scene(), tmp_path / "b")

    assert sha(first.path) == sha(second.path)


def test_it_draws_a_different_picture_for_each_style(tmp_path):
    digests = {
        sha(ProceduralMediaProvider().find(scene(style=name), tmp_path / name).path)
        for name in STYLES
    }

    assert len(digests) == len(STYLES)


def test_it_draws_related_but_different_pictures_for_the_scenes_of_a_video(tmp_path):
    def mean_colour(path):
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"), np.float32).mean(axis=(0, 1))

    first, second = (
        ProceduralMediaProvider().find(scene(index=index, keywords=keywords), tmp_path)
        for index, keywords in ((0, ("Ocean currents", "heat")), (1, ("Trade winds", "storms")))
    )
    other_style = ProceduralMediaProvider().find(scene(style="tech"), tmp_path / "tech")

    assert sha(first.path) != sha(second.path)
    same_look = np.abs(mean_colour(first.path) - mean_colour(second.path)).max()
    other_look = np.abs(mean_colour(first.path) - mean_colour(other_style.path)).max()
    assert same_look < other_look


@FRAMES
def test_it_sets_the_main_keyword_large_inside_the_safe_zone(frame):
    assert ink(painted(None, frame=frame)) == 0

    left, top, right, bottom = bounds(type_pixels(painted("Ocean currents", frame=frame)))

    # Large: the headline spans a good part of the width...
    assert right - left > 0.4 * frame.width
    # ...and stays inside the central 70% the Ken Burns crop always shows.
    assert left >= 0.15 * frame.width and right <= 0.85 * frame.width
    assert top >= 0.15 * frame.height and bottom <= 0.85 * frame.height


def test_it_keeps_type_above_the_captions_of_vertical_video():
    picture = painted("Ocean currents", frame=PORTRAIT, tags=("CLIMATE", "HEAT"))

    assert bounds(type_pixels(picture))[3] <= 0.56 * PORTRAIT.height


def test_it_sets_secondary_keywords_smaller_below_the_headline():
    headline = designed.prepare_text("Ocean currents")
    tags = [designed.prepare_text(tag) for tag in ("CLIMATE", "HEAT", "GULF STREAM")]

    block = designed.layout_block(LANDSCAPE, headline=headline, tags=tags)

    (_, last_font, (_, last_line_y), _) = block.headline[-1]
    assert [pill.text for pill in block.pills] == ["CLIMATE", "HEAT", "GULF STREAM"]
    assert all(pill.box[1] > last_line_y for pill in block.pills)
    assert all(pill.font.size < last_font.size / 2 for pill in block.pills)
    assert [pill.solid for pill in block.pills] == [True, False, False]


@FRAMES
def test_it_shrinks_and_wraps_long_keywords_to_fit(frame):
    words = "Supercalifragilisticexpialidocious internationalisation of everything we know"

    left, top, right, bottom = bounds(type_pixels(painted(words, frame=frame)))

    zone_left, zone_top, zone_right, zone_bottom = designed.text_zone(frame)
    assert left >= zone_left and right <= zone_right
    assert top >= zone_top and bottom <= zone_bottom


@pytest.mark.parametrize(
    ("text", "language", "script"),
    [("الطاقة الشمسية", "ar", "arabic"), ("אנרגיה סולארית", "he", "hebrew")],
)
def test_it_renders_right_to_left_keywords(text, language, script):
    run = designed.prepare_text(text, language)

    assert run.rtl and run.text == text
    assert fonts.script_of(run.text) == script
    assert ink(painted(text, language=language)) > 2000


def test_it_keeps_a_latin_name_inside_arabic_text():
    run = designed.prepare_text("مستقبل Tesla", "ar")

    assert run.text == "مستقبل Tesla"


def test_it_renders_cjk_keywords_with_the_regional_face():
    # fonts-noto-cjk is part of `make system-deps`; without it this fails rather than skip.
    assert fonts.font_for("東京").name.startswith("NotoSansCJK")

    run = designed.prepare_text("东京塔的历史", "zh")

    assert run.text == "东京塔的历史"
    assert run.face == designed.CJK_FACE["zh"]
    assert ink(painted("东京塔的历史", language="zh", frame=SQUARE)) > 2000


def test_it_leaves_out_emoji_in_text_rather_than_draw_boxes():
    with_emoji = painted("Coffee ☕ time 😀")
    plain = painted("Coffee time")

    assert np.array_equal(np.asarray(with_emoji), np.asarray(plain))


def test_it_draws_emoji_only_keywords_with_the_symbol_font(tmp_path):
    run = designed.prepare_text("🚀🌍")

    assert run.text == "🚀🌍"
    assert ink(painted("🚀🌍")) > 500
    item = ProceduralMediaProvider().find(scene(keywords=("🚀", "👍🏽", "🏳️‍🌈")), tmp_path)
    assert item.path.exists()


def test_it_draws_nothing_for_symbols_no_font_has():
    assert designed.prepare_text("\U0001fae0") is None  # melting face, newer than Symbola
    assert np.array_equal(np.asarray(painted("\U0001fae0")), np.asarray(painted(None)))


def test_it_heads_the_picture_with_the_first_keyword_it_can_draw():
    headline, tags = designed._headline_and_tags(scene(keywords=("\U0001fae0", "ocean", "heat")))

    assert headline.text == "Ocean"
    assert [tag.text for tag in tags] == ["HEAT"]


def test_it_uses_the_visual_description_when_a_scene_has_no_keywords(tmp_path):
    with_description = ProceduralMediaProvider().find(scene(keywords=()), tmp_path / "a")
    bare = ProceduralMediaProvider().find(
        scene(keywords=(), description="", narration=""), tmp_path / "b"
    )

    with Image.open(with_description.path) as described, Image.open(bare.path) as empty:
        assert ink(described) > 2000
        assert ink(empty) == 0


# --- Cards --------------------------------------------------------------------------------------


@FRAMES
def test_it_renders_a_title_card_with_its_subtitle(tmp_path, frame):
    style = get_style("bold")
    card = render_card(
        title="How the Ocean Shapes Our Weather",
        subtitle="A 3-minute explainer",
        style=style,
        frame=frame,
        out_path=tmp_path / "title.png",
    )
    bare = render_card(
        title="How the Ocean Shapes Our Weather",
        subtitle="",
        style=style,
        frame=frame,
        out_path=tmp_path / "bare.png",
    )

    assert (card.width, card.height, card.source) == (frame.width, frame.height, "procedural")
    with Image.open(card.path) as with_sub, Image.open(bare.path) as without:
        assert with_sub.size == (frame.width, frame.height)
        # The subtitle sits under the title, so the type reaches further down.
        assert bounds(type_pixels(with_sub, "bold"))[3] > bounds(type_pixels(without, "bold"))[3]
