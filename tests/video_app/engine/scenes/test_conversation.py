"""Dialogue: which lines a character speaks, and the voice each character gets."""

from video_app.engine.scenes.conversation import (
    Turn,
    assign_voices,
    find_speakers,
    is_speaker_name,
    split_turns,
)


def turns_of(script: str) -> list[Turn]:
    speakers = find_speakers(script.split("\n"))
    return [turn for paragraph in script.split("\n\n") for turn in split_turns(paragraph, speakers)]


def test_it_finds_a_speaker_written_in_capitals():
    assert find_speakers(["ANNA: We did it."]) == {"anna": "ANNA"}


def test_it_finds_title_case_speakers_in_an_exchange():
    speakers = find_speakers(["Anna: Ready?", "Ben Carter: Almost.", "Anna: Go!"])

    assert list(speakers.values()) == ["Anna", "Ben Carter"]


def test_it_keeps_a_single_colon_line_in_prose_as_narration():
    script = "Paris: the city of light.\nIt has been a capital for centuries."

    assert find_speakers(script.split("\n")) == {}
    assert turns_of(script) == [Turn(None, script)]


def test_it_never_takes_times_urls_or_labels_for_speakers():
    lines = [
        "ANNA: Hello.",
        "BEN: Hi.",
        "At 10:30 we start.",
        "10:30: doors open.",
        "https://example.com: our site.",
        "Note: bring water.",
        "Tip: start early.",
        "Fun fact: it works.",
        "Step two: mix it.",
        "Here is why: it is cheap.",
        "The big question: why?",
    ]

    assert list(find_speakers(lines).values()) == ["ANNA", "BEN"]


def test_it_takes_a_name_alone_on_its_line_for_a_speaker_only_in_capitals():
    assert find_speakers(["Materials:", "Wood and glue.", "Tools:", "A saw."]) == {}
    assert find_speakers(["ANNA:", "We did it."]) == {"anna": "ANNA"}


def test_it_reads_a_label_line_as_narration_in_a_dialogue():
    turns = turns_of("ANNA: Hello.\nNote: bring water.\nBEN: Hi.")

    assert turns == [
        Turn("ANNA", "Hello."),
        Turn(None, "Note: bring water."),
        Turn("BEN", "Hi."),
    ]


def test_it_finds_speakers_in_scripts_without_letter_case():
    chinese = find_speakers(["小明：你好！", "小红：你好吗？"])
    arabic = find_speakers(["أحمد: مرحبا", "سارة: أهلا"])

    assert list(chinese.values()) == ["小明", "小红"]
    assert list(arabic.values()) == ["أحمد", "سارة"]


def test_it_merges_consecutive_lines_of_one_speaker():
    turns = turns_of("ANNA: First line.\nANNA: Second line.\nBEN: Reply.")

    assert turns == [Turn("ANNA", "First line.\nSecond line."), Turn("BEN", "Reply.")]


def test_it_continues_a_turn_after_a_name_on_its_own_line():
    turns = turns_of("ANNA:\nI wrote this\nover two lines.\nBEN: Nice.")

    assert turns == [Turn("ANNA", "I wrote this\nover two lines."), Turn("BEN", "Nice.")]


def test_it_reads_an_unlabelled_line_after_dialogue_as_narration():
    turns = turns_of("ANNA: Hi.\nThey walk to the door.")

    assert turns == [Turn("ANNA", "Hi."), Turn(None, "They walk to the door.")]


def test_it_gives_narrator_labels_to_the_narrator():
    turns = turns_of("VO: Meanwhile, in the lab.\nANNA: Look!\nNarrator: She was right.")

    assert turns == [
        Turn(None, "Meanwhile, in the lab."),
        Turn("ANNA", "Look!"),
        Turn(None, "She was right."),
    ]


def test_it_keeps_directions_written_before_the_name():
    turns = turns_of("[Close-up of Anna] ANNA: We did it.\n[Ben laughs] BEN (V.O.): Told you.")

    assert turns == [
        Turn("ANNA", "[Close-up of Anna] We did it."),
        Turn("BEN", "[Ben laughs] Told you."),
    ]


def test_it_matches_a_speaker_whatever_the_case_of_later_lines():
    turns = turns_of("ANNA: One.\nBEN: Two.\nAnna: Three.")

    assert [turn.speaker for turn in turns] == ["ANNA", "BEN", "ANNA"]


def test_it_tells_which_names_can_label_dialogue():
    assert is_speaker_name("Anna")
    assert is_speaker_name("Dr. Jean-Luc Picard")
    assert is_speaker_name("小明")
    assert not is_speaker_name("Note")
    assert not is_speaker_name("anna")
    assert not is_speaker_name("A very long speaker name")
    assert not is_speaker_name("R2-D2")


def test_it_gives_speakers_distinct_voices_in_order_of_appearance():
    voices = assign_voices(["BEN", "ANNA", "BEN"], ["v1", "v2", "v3"], narrator_voice="v0")

    assert voices == {"BEN": "v1", "ANNA": "v2"}


def test_it_keeps_the_narrator_voice_for_the_narrator_only():
    voices = assign_voices(["ANNA", "Narrator", "BEN"], ["v0", "v1", "v2"], narrator_voice="v0")

    assert voices == {"ANNA": "v1", "Narrator": "v0", "BEN": "v2"}


def test_it_cycles_voices_when_speakers_outnumber_them():
    voices = assign_voices(["A1", "B1", "C1", "D1"], ["v1", "v2"], narrator_voice="v0")

    assert list(voices.values()) == ["v1", "v2", "v1", "v2"]


def test_it_assigns_the_same_voices_every_time():
    speakers = ["ZOE", "ADAM", "MIA"]
    voices = ["v3", "v1", "v2", "v1"]

    assert assign_voices(speakers, voices, "v0") == assign_voices(speakers, voices, "v0")
    assert list(assign_voices(speakers, voices, "v0").values()) == ["v3", "v1", "v2"]


def test_it_shares_the_narrator_voice_when_it_is_the_only_one():
    assert assign_voices(["ANNA"], ["v0"], narrator_voice="v0") == {"ANNA": "v0"}
    assert assign_voices(["ANNA"], [], narrator_voice="v0") == {"ANNA": "v0"}
