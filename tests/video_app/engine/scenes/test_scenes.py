"""Script processing: scenes of the right length, directions kept apart, keywords a picture
search can use, in any script the user writes."""

import time

import pytest

from video_app.engine.core.errors import InvalidInput
from video_app.engine.scenes import (
    MIN_SCENE_S,
    TARGET_SCENE_S,
    estimate_duration_s,
    process_script,
    split_sentences,
)

SENTENCES = [
    "Coffee began as a wild berry in the highlands of Ethiopia.",
    "Goat herders noticed their animals dancing after eating it.",
    "Monks brewed the berries to stay awake through long prayers.",
    "Traders carried the beans across the Red Sea to Yemen.",
    "By the fifteenth century, coffee houses filled the cities of Arabia.",
    "People met there to talk, play chess and hear the news.",
    "Europe caught on a century later, in Venice and then London.",
    "Today the world drinks about two billion cups every single day.",
    "Brazil grows more of it than any other country on Earth.",
    "And the story is still brewing in every kitchen.",
]


def test_it_makes_a_scene_per_short_paragraph():
    scenes = process_script("Coffee is old.\n\nIt came from Ethiopia.\n\n\nNow it is everywhere.")

    assert [scene.narration for scene in scenes] == [
        "Coffee is old.",
        "It came from Ethiopia.",
        "Now it is everywhere.",
    ]
    assert [scene.index for scene in scenes] == [0, 1, 2]


@pytest.mark.parametrize("platform", ["youtube", "tiktok"])
def test_it_groups_sentences_near_the_platform_target(platform):
    scenes = process_script(" ".join(SENTENCES), platform=platform)
    target = TARGET_SCENE_S[platform]

    assert len(scenes) > 1
    for scene in scenes:
        assert 0.5 * target <= scene.estimated_duration_s <= 1.6 * target


def test_it_cuts_short_form_scripts_into_more_scenes_than_youtube():
    script = " ".join(SENTENCES)

    assert len(process_script(script, platform="tiktok")) > len(process_script(script))


def test_it_never_cuts_a_sentence_of_ordinary_length():
    scenes = process_script(" ".join(SENTENCES), platform="tiktok")

    assert " ".join(scene.narration for scene in scenes) == " ".join(SENTENCES)
    assert all(scene.narration.endswith(".") for scene in scenes)


def test_it_cuts_a_very_long_sentence_at_its_clauses():
    sentence = (
        "When the rain finally stopped, the farmers went back to the hills, where the coffee "
        "plants had survived the storm, and they picked the ripest red cherries by hand, "
        "one by one, carrying heavy baskets down narrow paths to the village, where the "
        "whole family waited to sort, wash and dry the harvest in the afternoon sun."
    )
    scenes = process_script(sentence, platform="tiktok")

    assert len(scenes) > 1
    assert all(scene.narration.endswith((",", ".")) for scene in scenes)
    assert " ".join(scene.narration for scene in scenes) == sentence


def test_it_keeps_visual_directions_apart_from_narration():
    scenes = process_script("[Steam rising from a cup] Coffee wakes up the world [slow zoom].")

    assert scenes[0].narration == "Coffee wakes up the world."
    assert scenes[0].visual_direction == "Steam rising from a cup; slow zoom"


def test_it_attaches_a_direction_to_the_scene_it_is_written_in():
    script = "Monks brewed the berries. [A monastery at dawn] They prayed all night. " * 3
    scenes = process_script(script.strip(), platform="tiktok")

    with_direction = [scene for scene in scenes if scene.visual_direction]
    assert with_direction
    assert all("prayed" in scene.narration for scene in with_direction)


def test_it_gives_a_direction_on_its_own_paragraph_to_the_next_scene():
    scenes = process_script("Coffee is old.\n\n[Map of the Red Sea]\n\nTraders carried it.")

    assert [(scene.narration, scene.visual_direction) for scene in scenes] == [
        ("Coffee is old.", ""),
        ("Traders carried it.", "Map of the Red Sea"),
    ]


def test_it_gives_a_closing_direction_to_the_last_scene():
    scenes = process_script("Coffee is old.\n\n[Logo on black]")

    assert scenes[-1].visual_direction == "Logo on black"
    assert scenes[-1].keywords[0] == "Logo"


def test_it_ranks_the_keywords_of_directions_first_without_camera_words():
    scenes = process_script("[Close-up of a coffee grinder, warm light] Fresh beans smell best.")

    assert scenes[0].keywords[0] == "coffee grinder"
    assert not {"Close-up", "warm light", "warm"} & set(scenes[0].keywords)


def test_it_refuses_a_script_of_directions_only():
    with pytest.raises(InvalidInput, match="nothing to say"):
        process_script("[A sunrise]\n\n[A sunset]")


def test_it_refuses_an_empty_script():
    with pytest.raises(InvalidInput, match="The script is empty"):
        process_script(" \n\t\n ")


def test_it_refuses_a_script_over_the_limit_and_says_the_limit():
    with pytest.raises(InvalidInput, match="50,000"):
        process_script("Coffee is great. " * 3000)


def test_it_refuses_an_unknown_platform():
    with pytest.raises(InvalidInput, match="Unknown platform"):
        process_script("Coffee.", platform="myspace")


def test_it_processes_a_20000_character_script_quickly():
    cities = ["Mocha", "Venice", "London", "Vienna", "Paris", "Boston", "Lima", "Hanoi", "Oslo"]
    crops = ["coffee", "cocoa", "tea", "sugar", "pepper", "cotton", "silk"]
    paragraphs = [
        f"[A harbour in {cities[i % 9]}] In {1500 + i}, traders in {cities[i % 9]} sold "
        f"{i + 3} sacks of {crops[i % 7]}. Buyers from {cities[(i + 4) % 9]} paid in silver, "
        f"and ships left for {cities[(i + 2) % 9]} at dawn. Record number {i} tells the rest."
        for i in range(200)
    ]
    script = "\n\n".join(paragraphs)[:20_000]
    started = time.perf_counter()

    scenes = process_script(script)

    assert time.perf_counter() - started < 2.0
    assert len(scenes) >= 60
    assert all(scene.narration for scene in scenes)


def test_it_keeps_abbreviations_and_decimals_inside_sentences():
    sentences = split_sentences(
        "Dr. Smith met Mr. Jones at 10:30 a.m. today. They talked, e.g. about the U.S. "
        "market, which grew 3.5 percent. Wow! Really? Yes… The end."
    )

    assert sentences == [
        "Dr. Smith met Mr. Jones at 10:30 a.m. today.",
        "They talked, e.g. about the U.S. market, which grew 3.5 percent.",
        "Wow!",
        "Really?",
        "Yes…",
        "The end.",
    ]


def test_it_splits_chinese_japanese_and_arabic_sentences():
    assert split_sentences("咖啡很古老。它来自埃塞俄比亚！你喝吗？") == [
        "咖啡很古老。",
        "它来自埃塞俄比亚！",
        "你喝吗？",
    ]
    assert split_sentences("コーヒーは古い。エチオピアから来た。") == [
        "コーヒーは古い。",
        "エチオピアから来た。",
    ]
    assert split_sentences("هل تحب القهوة؟ نعم. إنها لذيذة!") == [
        "هل تحب القهوة؟",
        "نعم.",
        "إنها لذيذة!",
    ]


def test_it_cuts_chinese_scripts_into_scenes_joined_without_spaces():
    script = "咖啡起源于埃塞俄比亚的高原。牧羊人发现山羊吃了果实后很兴奋。" * 3
    scenes = process_script(script, language="zh", platform="tiktok")

    assert len(scenes) > 1
    assert "".join(scene.narration for scene in scenes) == script
    assert " " not in scenes[0].narration
    assert "埃塞俄比亚" in scenes[0].keywords


def test_it_reads_right_to_left_scripts():
    arabic = process_script("القهوة مشروب قديم.\n\nجاءت القهوة من إثيوبيا.", language="ar")
    hebrew = process_script("הקפה הגיע מאתיופיה. הוא משקה עתיק.", language="he")

    assert [scene.narration for scene in arabic] == [
        "القهوة مشروب قديم.",
        "جاءت القهوة من إثيوبيا.",
    ]
    assert "القهوة" in arabic[1].keywords[0]
    assert hebrew[0].narration == "הקפה הגיע מאתיופיה. הוא משקה עתיק."
    assert hebrew[0].keywords


def test_it_keeps_emoji_in_narration_but_not_in_keywords():
    scenes = process_script("Coffee time ☕️🔥 with friends 👍🏽!\n\n🎉🎉")

    assert scenes[0].narration == "Coffee time ☕️🔥 with friends 👍🏽!"
    assert scenes[0].keywords == ("Coffee time", "friends")
    assert scenes[1].narration == "🎉🎉"
    assert scenes[1].keywords == ()
    assert scenes[1].estimated_duration_s == MIN_SCENE_S


def test_it_gives_each_speaker_their_own_scenes():
    script = (
        "Two friends meet at a cafe.\n\n"
        "ANNA: Did you try the new roast?\nANNA: It is very strong.\n"
        "BEN: I did. I loved it.\nANNA: Told you!"
    )
    scenes = process_script(script)

    assert [(scene.speaker, scene.narration) for scene in scenes] == [
        (None, "Two friends meet at a cafe."),
        ("ANNA", "Did you try the new roast? It is very strong."),
        ("BEN", "I did. I loved it."),
        ("ANNA", "Told you!"),
    ]


def test_it_rejoins_hard_wrapped_lines_into_sentences():
    scenes = process_script("Coffee began as a wild\nberry in Ethiopia.\nTraders took it east.")

    assert scenes[0].narration == "Coffee began as a wild berry in Ethiopia. Traders took it east."


def test_it_estimates_reading_time_by_language():
    words = "one two three four five six seven eight nine ten " * 3

    assert estimate_duration_s(words, "en") == pytest.approx(30 * 60 / 155, abs=0.01)
    assert estimate_duration_s(words, "de") > estimate_duration_s(words, "en")
    assert estimate_duration_s("咖啡很古老", "zh") == pytest.approx(5 / 4.3, abs=0.01)
    assert estimate_duration_s("Coffee. Tea.", "en") > estimate_duration_s("Coffee Tea", "en")
    assert estimate_duration_s("🎉 [a party]", "en") == 0
