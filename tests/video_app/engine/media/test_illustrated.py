"""Illustrated scene pictures: composed for every frame, clear of the captions, varied from scene
to scene, credited, moving in the rendered video, and the designed thumbnail."""

import itertools

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.video_app.engine.viewer import frame_at
from video_app.engine.core import packaged_models
from video_app.engine.core.styles import get_style
from video_app.engine.core.types import FrameSize
from video_app.engine.export import _fit_thumbnail
from video_app.engine.media import MediaRequest, illustrated, illustrations
from video_app.engine.media.illustrated import (
    IllustratedMediaProvider,
    content_box,
    design_thumbnail,
    hero_illustration,
    stated_number,
)
from video_app.engine.render import Timeline, TimelineScene
from video_app.engine.render.ffmpeg_engine import FFmpegEngine

FRAMES = {
    "16:9": FrameSize(1920, 1080),
    "9:16": FrameSize(1080, 1920),
    "1:1": FrameSize(1080, 1080),
    "4:5": FrameSize(1080, 1350),
}
GREEN = (0, 200, 0, 255)
# Where captions burn in, as shares of the height (captions.py): landscape and square along the
# bottom, vertical from 28 % up to about 42 % up.
CAPTION_TOP = {"16:9": 0.77, "1:1": 0.75, "9:16": 0.58, "4:5": 0.58}


def fake_art(ids):
    return [illustrations.Art(art_id, art_id.split(":")[1], "MIT (test art)", "") for art_id in ids]


def disc(art, size_px):
    image = Image.new("RGBA", (size_px, size_px), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((0, 0, size_px - 1, size_px - 1), fill=GREEN)
    return image


@pytest.fixture
def art_shelf(monkeypatch):
    """Test art: sixteen green discs, chosen in order, skipping excluded ones; variant rotates."""
    shelf = [f"test:piece-{n}" for n in range(16)]

    def choose(texts, *, language="en", count=1, exclude=(), variant=0):
        free = [art_id for art_id in shelf if art_id not in exclude]
        if not free:
            return []
        start = variant * count % len(free)
        return fake_art((free[start:] + free[:start])[:count])

    monkeypatch.setattr(illustrations, "choose_art", choose)
    monkeypatch.setattr(illustrations, "render_art", disc)
    return shelf


def request_for(frame, *, index=0, variant=0, narration="Bees make honey.", exclude=()):
    prepared = FrameSize(round(frame.width * 1.2), round(frame.height * 1.2))
    return MediaRequest(
        scene_index=index,
        keywords=("honey bees", "flowers"),
        visual_description="A bee on a flower",
        narration=narration,
        style=get_style("modern"),
        frame=prepared,
        variant=variant,
        exclude_art=exclude,
    )


@pytest.mark.parametrize("aspect", FRAMES)
def test_it_composes_every_aspect_at_the_frame_asked_for(tmp_path, art_shelf, aspect):
    request = request_for(FRAMES[aspect])

    item = IllustratedMediaProvider().find(request, tmp_path)

    assert item.source == "illustrated"
    assert Image.open(item.path).size == (request.frame.width, request.frame.height)
    assert Image.open(item.extra["plate"]).size == Image.open(item.path).size
    kinds = [layer["kind"] for layer in item.extra["layers"]]
    assert kinds.count("art") >= 1 and kinds.count("text") == 1


@pytest.mark.parametrize("aspect", FRAMES)
def test_it_keeps_illustrations_and_headline_out_of_the_captions(tmp_path, art_shelf, aspect):
    frame = FRAMES[aspect]
    for index in range(5):  # every layout
        item = IllustratedMediaProvider().find(request_for(frame, index=index), tmp_path)
        for layer in item.extra["layers"]:
            left, top, width, height = layer["box"]
            alpha = Image.open(layer["path"]).getchannel("A")
            drawn = alpha.point(lambda a: 255 if a > 24 else 0).getbbox()
            lowest = top + drawn[3] / alpha.height * height + layer["float_amplitude"]
            assert lowest <= CAPTION_TOP[aspect], (index, layer["kind"], lowest)
            box_left, _, box_right, _ = content_box(frame)
            assert box_left - 0.04 <= left and left + width <= box_right + 0.04


def test_it_heads_a_scene_with_the_number_its_narration_states(tmp_path, art_shelf):
    request = request_for(FRAMES["16:9"], narration="These 5 habits change your mornings.")

    item = IllustratedMediaProvider().find(request, tmp_path)

    assert item.extra["layout"] == "number"
    assert stated_number("These 5 habits change your mornings.") == ("5", "habits")
    assert stated_number("Save forty percent, or 40 percent.") == ("40%", "")
    assert stated_number("Three ideas worth trying") == ("3", "ideas")
    assert stated_number("No numbers here.") is None


def test_it_varies_the_layout_from_scene_to_scene(tmp_path, art_shelf):
    used: list[str] = []
    layouts = []
    for index in range(6):
        request = request_for(FRAMES["9:16"], index=index, exclude=tuple(used))
        item = IllustratedMediaProvider().find(request, tmp_path)
        layouts.append(item.extra["layout"])
        used += [art["id"] for art in item.extra["art"]]

    assert all(first != second for first, second in itertools.pairwise(layouts))
    assert len(set(layouts)) >= 4
    assert len(used) == len(set(used))


def test_regenerate_gives_another_illustration(tmp_path, art_shelf):
    first = IllustratedMediaProvider().find(request_for(FRAMES["1:1"]), tmp_path)
    again = IllustratedMediaProvider().find(request_for(FRAMES["1:1"], variant=1), tmp_path)

    assert first.extra["art"] != again.extra["art"]
    assert first.path != again.path


def test_regenerate_changes_real_art(tmp_path):
    # The real art, which `make test` installs.
    first = illustrations.choose_art(["A bee on a flower", "Bees make honey."])
    again = illustrations.choose_art(["A bee on a flower", "Bees make honey."], variant=1)
    assert first and again and first[0].id != again[0].id


def test_it_draws_the_card_when_no_illustration_matches(tmp_path, monkeypatch):
    monkeypatch.setattr(illustrations, "choose_art", lambda texts, **options: [])

    item = IllustratedMediaProvider().find(request_for(FRAMES["16:9"]), tmp_path)

    assert item.source == "procedural"
    assert "No illustration" in item.extra["fallback_reason"]
    assert "layers" not in item.extra


def test_it_draws_the_card_when_the_art_is_not_installed(tmp_path, monkeypatch):
    def missing(texts, **options):
        raise packaged_models.ModelUnavailable("The art model is not installed.")

    monkeypatch.setattr(illustrations, "choose_art", missing)

    item = IllustratedMediaProvider().find(request_for(FRAMES["9:16"]), tmp_path)

    assert item.source == "procedural"
    assert "not installed" in item.extra["fallback_reason"]


def test_it_records_the_licences_and_attributions_of_every_piece(tmp_path, monkeypatch):
    pieces = [
        illustrations.Art("test:a", "a", "MIT (Fluent)", ""),
        illustrations.Art("test:b", "b", "CC BY 4.0 (Twemoji)", "Twemoji by Twitter, CC BY 4.0"),
    ]
    monkeypatch.setattr(illustrations, "choose_art", lambda texts, **options: pieces)
    monkeypatch.setattr(illustrations, "render_art", disc)

    item = IllustratedMediaProvider().find(request_for(FRAMES["16:9"], index=2), tmp_path)

    assert item.licence == "MIT (Fluent); CC BY 4.0 (Twemoji)"
    assert item.attribution == "Twemoji by Twitter, CC BY 4.0"
    assert [art["id"] for art in item.extra["art"]] == ["test:a", "test:b"]


def test_the_engine_moves_the_illustrations_within_the_scene(tmp_path, art_shelf):
    frame = FrameSize(320, 180)
    item = IllustratedMediaProvider().find(request_for(frame), tmp_path / "media")
    timeline = Timeline(
        frame=frame,
        fps=24,
        scenes=(TimelineScene(media=item, duration_s=2.0, motion="zoom_in"),),
        style=get_style("modern"),
        caption_style="none",
        loudness_lufs=None,
    )

    result = FFmpegEngine(cache_dir=tmp_path / "cache").render(timeline, tmp_path / "out.mp4")

    def green_box(seconds):
        pixels = frame_at(result.path, seconds).astype(int)
        green = (pixels[..., 1] > 150) & (pixels[..., 0] < 80) & (pixels[..., 2] < 80)
        ys, xs = np.nonzero(green)
        return (xs.min(), ys.min(), xs.max(), ys.max()) if len(xs) else None

    early, late = green_box(0.35), green_box(1.8)
    assert late is not None
    assert early != late
    assert green_box(0.02) is None  # not there yet: it enters


def test_the_engine_shows_the_whole_picture_when_a_layer_file_is_gone(tmp_path, art_shelf):
    item = IllustratedMediaProvider().find(request_for(FrameSize(320, 180)), tmp_path)
    scene = TimelineScene(media=item, duration_s=1.0)
    assert scene.plate is not None and scene.layers

    (tmp_path / item.extra["layers"][0]["path"]).unlink()

    assert scene.plate is None and scene.layers == ()


@pytest.mark.parametrize("aspect", FRAMES)
def test_it_designs_a_thumbnail_for_every_aspect(tmp_path, art_shelf, aspect):
    frame = FRAMES[aspect]
    item = IllustratedMediaProvider().find(request_for(frame), tmp_path)
    hero = hero_illustration([{}, item.extra])

    cover = design_thumbnail(
        title="Why bees matter",
        hero=hero,
        style=get_style("modern"),
        frame=frame,
        out_path=tmp_path / "cover.png",
    )
    _fit_thumbnail(cover, frame, tmp_path / "cover.jpg")

    assert Image.open(cover).size == (frame.width, frame.height)
    assert Image.open(tmp_path / "cover.jpg").size == (frame.width, frame.height)


def test_there_is_no_designed_thumbnail_without_an_illustration(tmp_path):
    assert hero_illustration([{}, {"layers": []}]) is None
    cover = design_thumbnail(
        title="Plain",
        hero=None,
        style=get_style("modern"),
        frame=FRAMES["16:9"],
        out_path=tmp_path / "cover.png",
    )
    assert cover is None


def test_layouts_depend_on_the_scene_and_the_variant_only():
    assert illustrated.choose_layout(0, 0, number=False) == "hero"
    assert illustrated.choose_layout(0, 1, number=False) != "hero"
    assert illustrated.choose_layout(3, 0, number=True) == "number"


@pytest.mark.parametrize(
    ("keywords", "direction", "language", "headline"),
    [
        (("Bee collecting", "nectar"), "A bee collecting nectar from a flower", "en", "Bee"),
        (("Helping", "food"), "A pot of food, helping us", "en", "Food"),
        (("Wildflowers provide",), "Wildflowers provide food in a garden", "en", "Wildflowers"),
        (("abejas recolectando",), "Unas abejas recolectando néctar", "es", "Abejas"),
    ],
)
def test_the_headline_names_a_thing_not_what_it_does(keywords, direction, language, headline):
    request = MediaRequest(
        scene_index=0,
        keywords=keywords,
        visual_description=direction,
        narration="",
        style=get_style("modern"),
        frame=FrameSize(1080, 1920),
        language=language,
    )

    assert illustrated.headline_text(request) == headline


def test_a_title_replaces_the_headline_and_keeps_the_illustrations(tmp_path, art_shelf):
    frame = FRAMES["9:16"]
    item = IllustratedMediaProvider().find(request_for(frame), tmp_path)

    titled = illustrated.retitle(
        item, "Why bees matter", get_style("modern"), tmp_path / "titled.png"
    )

    art_layers = [layer for layer in item.extra["layers"] if layer["kind"] != "text"]
    assert [layer for layer in titled.extra["layers"] if layer["kind"] != "text"] == art_layers
    [text] = [layer for layer in titled.extra["layers"] if layer["kind"] == "text"]
    assert text["path"] != next(
        layer["path"] for layer in item.extra["layers"] if layer["kind"] == "text"
    )
    with Image.open(titled.path) as still, Image.open(item.path) as before:
        assert still.size == before.size
        assert np.abs(np.asarray(still, float) - np.asarray(before, float)).mean() > 0.5


def test_a_scene_that_names_nothing_shows_what_the_video_is_about(tmp_path):
    request = MediaRequest(
        scene_index=1,
        keywords=("versión sencilla",),
        visual_description="",
        narration="Aquí va la versión sencilla.",
        style=get_style("modern"),
        frame=FrameSize(1296, 2304),
        language="es",
        topic="Por qué importan las abejas",
    )

    item = IllustratedMediaProvider().find(request, tmp_path)

    assert [art["id"] for art in item.extra["art"]] == ["fluent-emoji:honeybee"]
    assert "fallback_reason" not in item.extra
