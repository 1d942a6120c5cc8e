"""Keywords: phrases a picture search can use, ranked the same way every time, in the script's
own language."""

from video_app.engine.core.keywords import (
    content_words,
    extract_keywords,
    keywords_for_scenes,
    looks_like_noun,
    stopwords_for,
)


def test_it_ranks_keywords_best_first_and_the_same_every_time():
    text = (
        "Cold brew coffee is made without heat. Cold brew coffee steeps for twelve hours. "
        "The result is a smooth drink."
    )

    keywords = extract_keywords(text, "en")

    assert keywords[0] == "Cold brew"
    assert keywords == extract_keywords(text, "en")
    assert len(keywords) <= 8


def test_it_puts_a_scenes_own_subject_before_what_every_scene_shares():
    scenes = [
        ("", "Coffee reached Vienna in 1683, after the siege."),
        ("", "London had its first coffee house a little earlier."),
        ("", "In Boston, coffee became a drink of protest."),
    ]

    first, second, third = keywords_for_scenes(scenes, "en")

    assert first[0] == "Vienna"
    assert second[:2] == ("coffee house", "London")
    assert third[0] == "Boston"
    assert third[-1] == "coffee"


def test_it_ranks_what_to_show_first_without_filming_words():
    [keywords] = keywords_for_scenes(
        [("Close-up of a coffee grinder, warm light", "Fresh beans smell best.")], "en"
    )

    assert keywords[0] == "coffee grinder"
    assert not {"Close-up", "warm light", "warm"} & set(keywords)
    assert "Fresh beans" in keywords


def test_it_prefers_the_nouns_of_a_sentence_to_a_noun_and_its_verb():
    keywords = extract_keywords(
        "Solar panels turn sunlight into electricity for the whole house.", "en"
    )

    assert keywords[0] == "Solar panels"
    assert "electricity" in keywords
    assert "panels turn" not in keywords
    assert looks_like_noun("electricity", "Solar panels turn sunlight into electricity.", "en")
    assert not looks_like_noun("panels turn", "Solar panels turn sunlight into it.", "en")


def test_it_counts_a_singular_and_its_plural_once():
    keywords = extract_keywords("The battery is full. Batteries store the sun for the night.", "en")

    assert len([k for k in keywords if k.casefold().startswith("batter")]) == 1


def test_it_leaves_spanish_stopwords_out_of_spanish_keywords():
    keywords = extract_keywords(
        "Los paneles solares convierten la luz del sol en electricidad para las casas de la "
        "ciudad, y las baterías guardan la energía para la noche.",
        "es",
    )
    words = {word.casefold() for keyword in keywords for word in keyword.split()}

    assert "paneles solares" in keywords
    assert not words & {"los", "la", "las", "del", "de", "en", "para", "y"}


def test_it_leaves_emoji_urls_and_hashtags_out():
    keywords = extract_keywords("Coffee time ☕️🔥 at https://example.com #latte 👍🏽", "en")

    assert keywords == ("Coffee time", "latte")


def test_it_finds_word_like_keywords_in_chinese_and_japanese():
    assert extract_keywords("太阳能电池板把阳光转化为电力。它们在屋顶上工作。", "zh")[:3] == (
        "太阳能电池板",
        "阳光转化",
        "电力",
    )
    assert extract_keywords("今日はいい天気ですね。太陽光パネルを屋根に設置しました。", "ja") == (
        "今日",
        "天気",
        "太陽光パネル",
        "屋根",
        "設置",
    )


def test_it_finds_keywords_in_right_to_left_scripts():
    arabic = extract_keywords("الألواح الشمسية تحول ضوء الشمس إلى كهرباء.", "ar")
    hebrew = extract_keywords("הקפה הגיע מאתיופיה לפני מאות שנים.", "he")

    assert arabic
    assert not {"إلى"} & {word for keyword in arabic for word in keyword.split()}
    assert hebrew


def test_it_reads_the_stopword_lists_yake_ships():
    assert {"the", "and"} <= stopwords_for("en")
    assert {"el", "los", "para"} <= stopwords_for("es")
    assert "إلى" in stopwords_for("ar")
    assert stopwords_for("lt")  # one of the lists written in Latin-1
    assert stopwords_for("xx") == frozenset()


def test_it_leaves_out_numbers_written_as_words():
    keywords = extract_keywords(
        "A hundred bees left the hive. DOZENS of them never came back. Cien abejas.", "en"
    )
    words = {word.casefold() for keyword in keywords for word in keyword.split()}

    assert "bees" in keywords
    assert not words & {"hundred", "dozens", "cien"}


def test_it_leaves_out_shouted_verbs_and_past_forms():
    stolen = extract_keywords("Scammers STEAL your passwords. They STEAL money from banks.", "en")
    built = extract_keywords("The bridge was BUILT in 1890 by the city.", "en")
    raised = extract_keywords("The MOVEMENT RAISES the money for new schools.", "en")

    assert "passwords" in stolen and "banks" in stolen
    assert not [keyword for keyword in stolen if "steal" in keyword.casefold()]
    assert set(built) == {"bridge", "city"}
    assert "schools" in raised
    assert not [keyword for keyword in raised if "raises" in keyword.casefold()]


def test_it_leaves_out_adverbs_but_keeps_names_that_end_like_them():
    keywords = extract_keywords("The coffee was quickly roasted and shipped to Italy.", "en")

    assert "coffee" in keywords and "Italy" in keywords
    assert not {"quickly", "roasted", "shipped"} & set(keywords)


def test_it_names_the_words_of_a_text_that_may_be_shown():
    assert content_words("Bees fly from flower to flower.", "en") == {"bees", "flower"}
    assert content_words("Cien abejas salen de la colmena.", "es") >= {"abejas", "colmena"}
