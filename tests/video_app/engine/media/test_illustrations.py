"""Illustrations: packaged art chosen for what a scene says, with the real art and the real
embedding model (the index is built once per checkout of the art, then loaded from disk)."""

import pytest

from video_app.engine.core import packaged_models
from video_app.engine.media import illustrations
from video_app.engine.media.illustrations import choose_art, render_art


@pytest.fixture(scope="module", autouse=True)
def loaded_index():
    illustrations._index()


FLOWERS = {
    "wilted-flower",
    "hibiscus",
    "blossom",
    "bouquet",
    "rosette",
    "tulip",
    "rose",
    "sunflower",
    "cherry-blossom",
}


def ids(texts, **options):
    return [art.id for art in choose_art(texts, **options)]


def test_it_illustrates_bees_with_a_bee_or_honey():
    [art] = choose_art(["Bees fly from flower to flower and bring nectar back to the hive."])

    assert art.id in {"fluent-emoji:honeybee", "fluent-emoji:honey-pot"}
    assert art.title in {"honeybee", "honey pot"}


def test_it_reads_spanish_words():
    assert ids(["volcán"], language="es") == ["fluent-emoji:volcano"]
    assert ids(["Una taza de café por la mañana"], language="es")[0] in {
        "fluent-emoji:hot-beverage",
        "fluent-emoji:teacup-without-handle",
    }


@pytest.mark.parametrize(
    "text, acceptable",
    [
        ("Astronauts landed on the moon in 1969.", {"astronaut", "rocket", "full-moon"}),
        ("Doctors treat patients in the hospital.", {"hospital", "stethoscope", "health-worker"}),
        ("Wildfires burned the forest for weeks.", {"fire", "fire-engine", "firefighter"}),
        ("Football fans filled the stadium.", {"stadium", "soccer-ball"}),
        ("Solar panels turn sunlight into electricity.", {"electricity", "sun", "high-voltage"}),
        ("Elections decide who governs the country.", {"ballot-box-with-ballot"}),
        ("El invierno trae nieve y frío.", {"snowflake", "snowman", "cold-face"}),
        ("Cook the pasta for ten minutes.", {"spaghetti", "cooking"}),
        ("Your password keeps your account safe.", {"key", "locked", "locked-with-key"}),
        ("Los trenes unen las ciudades de Europa.", {"train", "high-speed-train", "station"}),
    ],
)
def test_it_finds_a_sensible_picture_for_a_topic(text, acceptable):
    [art] = choose_art([text], language="es" if "El " in text or "Los " in text else "en")

    assert art.id.split(":")[1] in acceptable


def test_it_finds_an_object_for_an_abstract_phrase():
    [art] = choose_art(["thirty minutes"])

    assert "clock" in art.title or "hourglass" in art.title or art.title == "stopwatch"


@pytest.mark.parametrize(
    "noise", ["asdf qwerty zxcv", "lorem ipsum dolor sit amet", "the the the", "blah blah blah"]
)
def test_it_chooses_nothing_for_noise(noise):
    assert choose_art([noise], count=3) == []


def test_a_piece_already_in_the_video_comes_back_only_when_nothing_fresh_fits_as_well():
    honey = ["Bees make honey in the hive."]
    first, second = choose_art(honey, count=2)
    assert {first.id, second.id} == {"fluent-emoji:honeybee", "fluent-emoji:honey-pot"}
    # Both used already: the bee is still far the best, so it comes back rather than a bear.
    assert choose_art(honey, exclude={first.id, second.id})[0].id == "fluent-emoji:honeybee"

    flower = ["A bee on a flower"]
    assert choose_art(flower)[0].id == "fluent-emoji:honeybee"
    # The bee is used: a flower fits nearly as well, so the scene gets something fresh.
    fresh = choose_art(flower, exclude={"fluent-emoji:honeybee"})[0]
    assert fresh.id in {f"fluent-emoji:{name}" for name in FLOWERS}


def test_a_scene_with_one_good_match_gets_no_filler():
    # Asked for three, the scene about bees and nectar gets the bee and flowers, not a beaver.
    ids_ = ids(["A bee collecting nectar from a flower"], count=3)

    assert ids_[0] == "fluent-emoji:honeybee"
    assert "fluent-emoji:beaver" not in ids_


def test_it_gives_another_piece_for_another_variant_and_the_same_for_the_same():
    texts = ["A table full of fresh fruit."]

    assert ids(texts, variant=1) != ids(texts)
    assert ids(texts, variant=1) == ids(texts, variant=1)


def test_it_weighs_the_direction_above_the_narration():
    [art] = choose_art(["A snowman in the garden", "Winter came early that year.", "winter"])

    assert art.id == "fluent-emoji:snowman"


def test_it_names_the_licence_and_the_attribution_twemoji_asks_for():
    [flag] = choose_art(["Our trip through Nepal"])
    [bee] = choose_art(["bees"])

    assert flag.id == "twemoji:flag-nepal"
    assert flag.licence.startswith("CC-BY-4.0")
    assert flag.attribution == "Twemoji by Twitter, Inc and other contributors, CC-BY 4.0"
    assert bee.licence == "MIT (Microsoft Fluent Emoji)"
    assert bee.attribution == ""


def test_it_shows_a_flag_only_when_the_country_is_named():
    assert not [i for i in ids(["The ocean is full of plastic."], count=5) if "flag" in i]


def test_it_renders_the_art_crisp_at_the_size_asked():
    [art] = choose_art(["volcano"])

    image = render_art(art, 256)

    assert art.svg().startswith("<svg") and 'viewBox="0 0 32 32"' in art.svg()
    assert image.mode == "RGBA" and image.size == (256, 256)
    alpha = image.getchannel("A")
    assert alpha.getextrema() == (0, 255)  # a transparent background around an opaque picture
    assert 0.1 < sum(1 for a in alpha.getdata() if a > 0) / 256**2 < 0.95


def test_it_says_the_art_is_missing_in_words_a_person_understands(settings, tmp_path, monkeypatch):
    settings.PACKAGED_MODELS_DIR = tmp_path
    monkeypatch.setattr(illustrations, "_loaded", None)

    with pytest.raises(packaged_models.ModelUnavailable) as raised:
        choose_art(["volcano"])

    assert "illustration library" in raised.value.message
    assert "make install" in raised.value.message
