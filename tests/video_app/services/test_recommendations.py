"""The recommender against cases a person would agree with: what the text says wins, habits come
next, and every suggestion gives its reason."""

import pytest

from video_app.services.recommendations import ContentRecommender, PastProject

recommend = ContentRecommender().recommend


def finished(template, style="modern", platforms=("youtube",)):
    return PastProject(template=template, style=style, platforms=platforms, completed=True)


@pytest.mark.parametrize(
    ("description", "template"),
    [
        ("How to repot a cactus without getting hurt, step by step", "tutorial"),
        ("Top 7 mistakes new runners make", "listicle"),
        ("Summer sale: 30% off every course until Sunday", "promo"),
        ("Unboxing and first look at our new smart lamp's features", "product"),
        ("The city council announced a new bike lane plan this week", "news"),
        ("The story of how my grandmother crossed the Andes", "story"),
        ("A motivational quote to start your Monday", "quote"),
        ("Black holes explained: what is an event horizon?", "explainer"),
        ("Cómo preparar una receta de arepas paso a paso", "tutorial"),
    ],
)
def test_the_kind_of_video_follows_the_description(description, template):
    suggestion = recommend(description)

    assert suggestion.template == template
    assert suggestion.reasons["template"].startswith("Your description mentions")


def test_a_tutorial_on_tiktok_gets_the_short_form_length_and_says_so():
    suggestion = recommend("How to tie a tie, for TikTok")

    assert suggestion.platforms == ("tiktok",)
    assert suggestion.duration_range_s == (45, 60)
    assert suggestion.reason == "Tutorials on TikTok do best at 45–60 s."
    assert suggestion.duration_s == 52


def test_the_same_tutorial_for_youtube_runs_longer():
    suggestion = recommend("How to tie a tie, a YouTube guide")

    assert suggestion.platforms == ("youtube",)
    assert suggestion.duration_range_s == (180, 300)


def test_platforms_are_kept_in_the_order_named_and_shorts_is_not_youtube():
    suggestion = recommend("Quick tips for Reels and YouTube Shorts")

    assert suggestion.platforms == ("instagram_reels", "youtube_shorts")
    assert suggestion.reasons["platforms"] == "You named Instagram Reels and YouTube Shorts."


def test_the_plan_limit_caps_the_length_and_the_reason_says_why():
    suggestion = recommend("How to bake sourdough bread, step by step", max_duration_s=60)

    assert suggestion.platforms == ("youtube",)
    assert suggestion.duration_range_s == (60, 60)
    assert suggestion.reason.endswith("your plan allows up to 60 s.")


def test_the_platform_limit_caps_the_length_too():
    # YouTube Shorts take three minutes at most; a story runs up to 75 s there anyway.
    suggestion = recommend("A story for YouTube Shorts")

    assert suggestion.duration_range_s == (45, 75)


def test_without_a_platform_the_kind_decides_where_it_goes():
    assert recommend("Top 5 reasons to learn chess").platforms == ("tiktok", "instagram_reels")
    assert recommend("Rust's borrow checker explained").platforms == ("youtube",)


@pytest.mark.parametrize(
    ("description", "style"),
    [
        ("Getting started with Python programming", "tech"),
        ("A weekend hiking trip through the forest", "nature"),
        ("Quarterly finance update for our business", "minimal"),
        ("Grandma's lemon cake recipe", "warm"),
        ("A 10 minute workout challenge", "bold"),
    ],
)
def test_the_style_follows_the_topic(description, style):
    assert recommend(description).style == style


def test_without_cues_the_creators_habits_decide():
    history = [finished("listicle", "bold", ("tiktok",)) for _ in range(3)]

    suggestion = recommend("Something about our neighbourhood", history)

    assert (suggestion.template, suggestion.style, suggestion.platforms) == (
        "listicle",
        "bold",
        ("tiktok",),
    )
    assert suggestion.reasons["template"] == "You have finished 3 listicle videos."
    assert suggestion.reasons["style"] == "You chose Bold for 3 finished videos."
    assert suggestion.reasons["platforms"] == "3 of your finished videos went to TikTok."


def test_one_video_is_not_a_habit_and_unfinished_ones_do_not_count():
    history = [finished("quote", "warm")] + [
        PastProject(template="promo", style="bold", platforms=("tiktok",), completed=False)
    ] * 4

    suggestion = recommend("Something about our neighbourhood", history)

    assert (suggestion.template, suggestion.style) == ("explainer", "modern")
    assert suggestion.platforms == ("youtube",)


def test_what_the_text_says_beats_habits():
    history = [finished("listicle", "bold", ("tiktok",)) for _ in range(5)]

    suggestion = recommend("How to set up a home server, a YouTube tutorial", history)

    assert suggestion.template == "tutorial"
    assert suggestion.platforms == ("youtube",)
    assert suggestion.style == "tech"  # "server" and "home" tie: the table's order decides


def test_same_input_same_suggestion():
    history = [finished("story", "nature"), finished("story", "nature")]

    assert recommend("our trip", history) == recommend("our trip", history)


def test_words_match_whole_not_inside_other_words():
    # "top" is a listicle cue; "laptop" and "stop" must not trigger it.
    suggestion = recommend("Why my laptop will not stop overheating")

    assert suggestion.template == "explainer"
